//! Search over sessions (PIKA.md §10): a user searches only what they may
//! read; site and content admins may search everyone's.

use crate::error::ServiceError;
use crate::ports::Ports;
use pika_domain::user::User;
use pika_ports::{Page, PageRequest, SearchHit, SearchQuery};

/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 500;

/// The search use case.
#[derive(Clone)]
pub struct SearchService {
    ports: Ports,
}

impl SearchService {
    /// A search service.
    pub fn new(ports: Ports) -> Self {
        Self { ports }
    }

    /// Runs `query` for `caller`. For callers who may read only their own
    /// sessions the user filter is forced to themselves, whatever was asked.
    ///
    /// # Errors
    /// `Invalid` for an oversized query or a bad cursor (an inverted date range finds nothing).
    pub async fn search(
        &self,
        caller: &User,
        mut query: SearchQuery,
        page: PageRequest,
    ) -> Result<Page<SearchHit>, ServiceError> {
        if query.text.chars().count() > MAX_QUERY_CHARS {
            return Err(ServiceError::Invalid(format!(
                "the query is longer than {MAX_QUERY_CHARS} characters"
            )));
        }
        if let (Some(from), Some(to)) = (query.from, query.to) {
            // An inverted range holds nothing: an empty page, no store read.
            if from > to {
                return Ok(Page::last(Vec::new()));
            }
        }
        if !caller.may_view_others() {
            query.user_id = Some(caller.user_id.clone());
        }
        Ok(self.ports.search.search(&query, page).await?)
    }
}
