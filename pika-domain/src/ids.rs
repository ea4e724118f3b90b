//! Identifiers. Each id is a validated newtype: once constructed, nobody
//! checks it again.
//!
//! Two families:
//! - **UUID ids** minted by the platform ([`SessionId`] is always a UUIDv7, so
//!   ids sort by creation time; [`MessageId`], [`FeedbackId`], [`FileId`]).
//! - **Secret ids**: [`ShareId`], 256 random bits.
//! - **Name ids** chosen by people ([`ChatAppId`], [`AgentId`], [`ToolId`],
//!   [`UserId`], [`EntityId`], [`ClientMessageId`]), each with its own
//!   character rules.

use serde::{Deserialize, Serialize};
use std::fmt;
use thiserror::Error;
use uuid::Uuid;

/// Why a raw value is not a valid id.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid {kind}: {reason}")]
pub struct InvalidId {
    /// Which id was being parsed, e.g. `chat app id`.
    pub kind: &'static str,
    /// What was wrong with it.
    pub reason: String,
}

impl InvalidId {
    fn new(kind: &'static str, reason: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
        }
    }
}

macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $v7:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(Uuid);

        impl $name {
            /// Wraps a UUID, checking the version this id requires.
            ///
            /// # Errors
            /// [`InvalidId`] when the UUID is nil or of the wrong version.
            pub fn from_uuid(uuid: Uuid) -> Result<Self, InvalidId> {
                if uuid.is_nil() {
                    return Err(InvalidId::new($kind, "must not be the nil UUID"));
                }
                if $v7 && uuid.get_version_num() != 7 {
                    return Err(InvalidId::new($kind, "must be a UUIDv7"));
                }
                Ok(Self(uuid))
            }

            /// Parses the hyphenated text form.
            ///
            /// # Errors
            /// [`InvalidId`] when the text is not a UUID of the right version.
            pub fn parse(raw: &str) -> Result<Self, InvalidId> {
                let uuid = Uuid::try_parse(raw)
                    .map_err(|_| InvalidId::new($kind, "not a UUID"))?;
                Self::from_uuid(uuid)
            }

            /// Builds a UUIDv7 id from its parts: milliseconds since the Unix
            /// epoch and ten random bytes (the version and variant bits are set
            /// here). Id generators use this; it cannot fail.
            pub fn from_v7_parts(unix_millis: u64, random: &[u8; 10]) -> Self {
                Self(uuid::Builder::from_unix_timestamp_millis(unix_millis, random).into_uuid())
            }

            /// The UUID inside.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(&raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.to_string()
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::parse(raw)
            }
        }
    };
}

uuid_id!(
    /// A chat session. Always a UUIDv7 so sessions sort by creation time.
    SessionId, "session id", true
);
uuid_id!(
    /// A message inside a session.
    MessageId, "message id", false
);
uuid_id!(
    /// A feedback record.
    FeedbackId, "feedback id", false
);
/// A share link of a session. Whoever holds it reads the session, so it
/// is a secret: 256 random bits (64 hex digits), nothing else — no time,
/// nothing guessable. Shares made before these ids, with UUIDs, still parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ShareId(ShareKey);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum ShareKey {
    /// 32 random bytes.
    Secret([u8; 32]),
    /// A share id minted as a UUID (before share ids were secrets).
    Legacy(Uuid),
}

impl ShareId {
    /// The id of 32 random bytes (from a cryptographic source: the id is
    /// the only thing between a stranger and the session).
    pub fn from_secret(bytes: [u8; 32]) -> Self {
        Self(ShareKey::Secret(bytes))
    }

    /// Parses 64 lower-case hex digits, or the UUID of an older share.
    ///
    /// # Errors
    /// [`InvalidId`] for anything else.
    pub fn parse(raw: &str) -> Result<Self, InvalidId> {
        const KIND: &str = "share id";
        if raw.len() == 64 {
            let mut bytes = [0u8; 32];
            for (i, pair) in raw.as_bytes().chunks(2).enumerate() {
                let digit = |c: u8| match c {
                    b'0'..=b'9' => Some(c - b'0'),
                    b'a'..=b'f' => Some(c - b'a' + 10),
                    _ => None,
                };
                match (digit(pair[0]), digit(pair[1])) {
                    (Some(h), Some(l)) => bytes[i] = h << 4 | l,
                    _ => return Err(InvalidId::new(KIND, "not 64 lower-case hex digits")),
                }
            }
            return Ok(Self::from_secret(bytes));
        }
        let uuid = Uuid::try_parse(raw)
            .map_err(|_| InvalidId::new(KIND, "not 64 lower-case hex digits"))?;
        if uuid.is_nil() {
            return Err(InvalidId::new(KIND, "must not be the nil UUID"));
        }
        Ok(Self(ShareKey::Legacy(uuid)))
    }
}

impl fmt::Display for ShareId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            ShareKey::Secret(bytes) => bytes.iter().try_for_each(|b| write!(f, "{b:02x}")),
            ShareKey::Legacy(uuid) => uuid.hyphenated().fmt(f),
        }
    }
}

impl TryFrom<String> for ShareId {
    type Error = InvalidId;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(&raw)
    }
}

impl From<ShareId> for String {
    fn from(id: ShareId) -> String {
        id.to_string()
    }
}

impl std::str::FromStr for ShareId {
    type Err = InvalidId;
    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        Self::parse(raw)
    }
}
uuid_id!(
    /// An uploaded file.
    FileId, "file id", false
);

/// Which characters a name id accepts.
#[derive(Clone, Copy)]
enum Charset {
    /// Letters, digits, `-`, `_`.
    Slug,
    /// Any printable character except whitespace and `/`, `#` (they split keys).
    Opaque,
}

fn check_name(
    kind: &'static str,
    raw: &str,
    max: usize,
    charset: Charset,
) -> Result<(), InvalidId> {
    if raw.is_empty() {
        return Err(InvalidId::new(kind, "must not be empty"));
    }
    if raw.chars().count() > max {
        return Err(InvalidId::new(
            kind,
            format!("longer than {max} characters"),
        ));
    }
    let ok = match charset {
        Charset::Slug => raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        Charset::Opaque => raw
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && c != '/' && c != '#'),
    };
    if ok {
        Ok(())
    } else {
        let allowed = match charset {
            Charset::Slug => "letters, digits, '-' and '_'",
            Charset::Opaque => "printable characters without spaces, '/' or '#'",
        };
        Err(InvalidId::new(kind, format!("may contain only {allowed}")))
    }
}

macro_rules! name_id {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $max:expr, $charset:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps `raw`.
            ///
            /// # Errors
            /// [`InvalidId`] naming the rule `raw` breaks.
            pub fn parse(raw: impl Into<String>) -> Result<Self, InvalidId> {
                let raw = raw.into();
                check_name($kind, &raw, $max, $charset)?;
                Ok(Self(raw))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(raw: String) -> Result<Self, Self::Error> {
                Self::parse(raw)
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl std::str::FromStr for $name {
            type Err = InvalidId;
            fn from_str(raw: &str) -> Result<Self, Self::Err> {
                Self::parse(raw)
            }
        }
    };
}

name_id!(
    /// A chat app: letters, digits, `-`, `_` (PIKA.md §3), at most 128.
    ChatAppId, "chat app id", 128, Charset::Slug
);
name_id!(
    /// An agent: letters, digits, `-`, `_`, at most 128.
    AgentId, "agent id", 128, Charset::Slug
);
name_id!(
    /// A tool record: letters, digits, `-`, `_`, at most 128.
    ToolId, "tool id", 128, Charset::Slug
);
name_id!(
    /// A user as the identity provider names them, at most 256 characters.
    UserId, "user id", 256, Charset::Opaque
);
name_id!(
    /// A tenant (the value found at the site's entity attribute path).
    EntityId, "entity id", 256, Charset::Opaque
);
name_id!(
    /// The client's own id for a message, which makes a send idempotent.
    ClientMessageId, "client message id", 128, Charset::Opaque
);

impl EntityId {
    /// The entity recorded on sessions when the entity feature is off.
    pub const GLOBAL: &'static str = "chat-app-global";

    /// The `chat-app-global` entity.
    pub fn global() -> Self {
        Self(Self::GLOBAL.to_string())
    }
}

/// A tool (function) name as Bedrock accepts it: `([0-9a-zA-Z][_-]?){1,100}`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ToolName(String);

impl ToolName {
    /// Validates `raw` against Bedrock's pattern.
    ///
    /// # Errors
    /// [`InvalidId`] when `raw` does not match `([0-9a-zA-Z][_-]?){1,100}`.
    pub fn parse(raw: impl Into<String>) -> Result<Self, InvalidId> {
        let raw = raw.into();
        if matches_tool_name(&raw) {
            Ok(Self(raw))
        } else {
            Err(InvalidId::new(
                "tool name",
                "must match ([0-9a-zA-Z][_-]?){1,100}: 1 to 100 alphanumerics, each optionally followed by one '_' or '-'",
            ))
        }
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Hand-rolled matcher for `^([0-9a-zA-Z][_-]?){1,100}$`: a regex crate for one
/// fixed pattern is not worth the dependency in the pure domain crate.
fn matches_tool_name(raw: &str) -> bool {
    let bytes = raw.as_bytes();
    let mut groups = 0usize;
    let mut i = 0usize;
    while i < bytes.len() {
        if !bytes[i].is_ascii_alphanumeric() {
            return false;
        }
        i += 1;
        if i < bytes.len() && (bytes[i] == b'_' || bytes[i] == b'-') {
            i += 1;
        }
        groups += 1;
    }
    (1..=100).contains(&groups)
}

impl fmt::Display for ToolName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ToolName {
    type Error = InvalidId;
    fn try_from(raw: String) -> Result<Self, Self::Error> {
        Self::parse(raw)
    }
}

impl From<ToolName> for String {
    fn from(id: ToolName) -> String {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_ids_are_64_hex_digits_or_an_older_uuid() {
        let secret = ShareId::from_secret([0xab; 32]);
        let text = secret.to_string();
        assert_eq!(text, "ab".repeat(32));
        assert_eq!(ShareId::parse(&text).unwrap(), secret);
        let json = serde_json::to_string(&secret).unwrap();
        assert_eq!(serde_json::from_str::<ShareId>(&json).unwrap(), secret);
        let legacy = "019b76da-a800-7000-8000-000000000000";
        assert_eq!(ShareId::parse(legacy).unwrap().to_string(), legacy);
        for bad in [
            "",
            "AB".repeat(32).as_str(),
            "ab".repeat(31).as_str(),
            "g".repeat(64).as_str(),
            "00000000-0000-0000-0000-000000000000",
            "../../etc/passwd",
        ] {
            assert!(ShareId::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn session_ids_must_be_v7() {
        let v4 = "6f1c6a0e-4b5b-4c7e-9d3e-2a1b0c9d8e7f";
        assert!(SessionId::parse(v4).is_err());
        let v7 = "01890a5d-ac96-774b-bcce-b302099a8057";
        assert_eq!(SessionId::parse(v7).unwrap().to_string(), v7);
        assert!(SessionId::parse("not-a-uuid").is_err());
    }

    #[test]
    fn chat_app_ids_are_slugs() {
        assert!(ChatAppId::parse("weather-bot_2").is_ok());
        assert!(ChatAppId::parse("").is_err());
        assert!(ChatAppId::parse("has space").is_err());
        assert!(ChatAppId::parse("slash/no").is_err());
        assert!(ChatAppId::parse("é").is_err());
    }

    #[test]
    fn tool_names_follow_bedrock_pattern() {
        for ok in [
            "a",
            "get_weather",
            "get-weather",
            "a_b_c",
            "A1_",
            &"a".repeat(100),
        ] {
            assert!(ToolName::parse(ok).is_ok(), "{ok} should be valid");
        }
        for bad in ["", "_a", "a__b", "a-_b", "a b", "a.b", &"a".repeat(101)] {
            assert!(ToolName::parse(bad).is_err(), "{bad} should be invalid");
        }
    }

    #[test]
    fn ids_round_trip_through_json() {
        let id = ChatAppId::parse("app-1").unwrap();
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(json, "\"app-1\"");
        let bad: Result<ChatAppId, _> = serde_json::from_str("\"bad id\"");
        assert!(bad.is_err());
    }
}
