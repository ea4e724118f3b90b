//! The index's fields and the mapping between [`SearchDocument`]s and
//! tantivy documents.

use pika_domain::chrono::{DateTime, Utc};
use pika_domain::ids::{ChatAppId, EntityId, MessageId, SessionId, UserId};
use pika_ports::{PortError, PortResult, SearchDocument};
use tantivy::schema::{Field, Schema, TantivyDocument, Value, FAST, INDEXED, STORED, STRING, TEXT};
use tantivy::Term;

/// The fast field holding `created_at` as nanoseconds since the Unix epoch.
pub(super) const CREATED_AT: &str = "created_at";
/// The fast field holding the session's insight score, absent until assessed.
pub(super) const INSIGHT_SCORE: &str = "insight_score";

/// The schema of the index. Ids are raw strings (one term each, exact
/// match); title and text go through tantivy's default analyzer (split on
/// non-alphanumerics, lowercase, tokens over 40 bytes dropped).
pub(super) fn schema() -> Schema {
    let mut b = Schema::builder();
    for id in [
        "message_id",
        "session_id",
        "user_id",
        "chat_app_id",
        "entity_id",
    ] {
        b.add_text_field(id, STRING | STORED);
    }
    b.add_text_field("title", TEXT | STORED);
    b.add_text_field("text", TEXT | STORED);
    b.add_i64_field(CREATED_AT, INDEXED | FAST | STORED);
    b.add_u64_field(INSIGHT_SCORE, INDEXED | FAST | STORED);
    b.build()
}

/// The fields of [`schema`], looked up once.
#[derive(Debug, Clone, Copy)]
pub(super) struct Fields {
    pub message_id: Field,
    pub session_id: Field,
    pub user_id: Field,
    pub chat_app_id: Field,
    pub entity_id: Field,
    pub title: Field,
    pub text: Field,
    pub created_at: Field,
    pub insight_score: Field,
}

/// `at` in nanoseconds since the epoch, when it fits an `i64` (1677–2262).
pub(super) fn nanos(at: DateTime<Utc>) -> Option<i64> {
    at.timestamp_nanos_opt()
}

fn corrupt(what: &str) -> PortError {
    PortError::permanent(format!("search index document without a valid {what}"))
}

impl Fields {
    /// Looks the fields up in `schema`.
    pub fn from_schema(schema: &Schema) -> tantivy::Result<Self> {
        Ok(Self {
            message_id: schema.get_field("message_id")?,
            session_id: schema.get_field("session_id")?,
            user_id: schema.get_field("user_id")?,
            chat_app_id: schema.get_field("chat_app_id")?,
            entity_id: schema.get_field("entity_id")?,
            title: schema.get_field("title")?,
            text: schema.get_field("text")?,
            created_at: schema.get_field(CREATED_AT)?,
            insight_score: schema.get_field(INSIGHT_SCORE)?,
        })
    }

    /// The term naming one exact value of a raw-string field.
    pub fn term(field: Field, value: &str) -> Term {
        Term::from_field_text(field, value)
    }

    /// `doc` as a tantivy document.
    ///
    /// # Errors
    /// `Invalid` when `created_at` lies outside 1677–2262.
    pub fn encode(&self, doc: &SearchDocument) -> PortResult<TantivyDocument> {
        let created = nanos(doc.created_at).ok_or_else(|| {
            PortError::invalid(format!(
                "created_at {} is outside what the search index can hold",
                doc.created_at
            ))
        })?;
        let mut out = TantivyDocument::new();
        out.add_text(self.message_id, doc.message_id);
        out.add_text(self.session_id, doc.session_id);
        out.add_text(self.user_id, &doc.user_id);
        out.add_text(self.chat_app_id, &doc.chat_app_id);
        out.add_text(self.entity_id, &doc.entity_id);
        if let Some(title) = &doc.title {
            out.add_text(self.title, title);
        }
        out.add_text(self.text, &doc.text);
        out.add_i64(self.created_at, created);
        if let Some(score) = doc.insight_score {
            out.add_u64(self.insight_score, u64::from(score));
        }
        Ok(out)
    }

    fn text<'a>(&self, doc: &'a TantivyDocument, field: Field) -> Option<&'a str> {
        doc.get_first(field).and_then(|v| v.as_str())
    }

    fn required<'a>(
        &self,
        doc: &'a TantivyDocument,
        field: Field,
        what: &str,
    ) -> PortResult<&'a str> {
        self.text(doc, field).ok_or_else(|| corrupt(what))
    }

    /// The [`SearchDocument`] stored in `doc`.
    ///
    /// # Errors
    /// `Permanent` when a field is missing or no longer parses.
    pub fn decode(&self, doc: &TantivyDocument) -> PortResult<SearchDocument> {
        let message_id = MessageId::parse(self.required(doc, self.message_id, "message id")?)
            .map_err(|_| corrupt("message id"))?;
        let session_id = SessionId::parse(self.required(doc, self.session_id, "session id")?)
            .map_err(|_| corrupt("session id"))?;
        let user_id = UserId::parse(self.required(doc, self.user_id, "user id")?)
            .map_err(|_| corrupt("user id"))?;
        let chat_app_id = ChatAppId::parse(self.required(doc, self.chat_app_id, "chat app id")?)
            .map_err(|_| corrupt("chat app id"))?;
        let entity_id = EntityId::parse(self.required(doc, self.entity_id, "entity id")?)
            .map_err(|_| corrupt("entity id"))?;
        let created = doc
            .get_first(self.created_at)
            .and_then(|v| v.as_i64())
            .ok_or_else(|| corrupt("created_at"))?;
        let insight_score = match doc.get_first(self.insight_score).and_then(|v| v.as_u64()) {
            Some(score) => Some(u8::try_from(score).map_err(|_| corrupt("insight score"))?),
            None => None,
        };
        Ok(SearchDocument {
            session_id,
            message_id,
            user_id,
            chat_app_id,
            entity_id,
            title: self.text(doc, self.title).map(str::to_string),
            text: self.required(doc, self.text, "text")?.to_string(),
            created_at: DateTime::from_timestamp_nanos(created),
            insight_score,
        })
    }
}
