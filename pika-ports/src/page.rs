//! Paging with opaque cursors: a caller passes back what it was given and
//! never looks inside (an adapter may encode a DynamoDB key, an offset, …).

use serde::{Deserialize, Serialize};

/// The most items one page may hold.
pub const MAX_PAGE_SIZE: u32 = 100;
/// The page size when the caller names none.
pub const DEFAULT_PAGE_SIZE: u32 = 20;

/// An opaque position in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(String);

impl Cursor {
    /// Wraps an adapter's encoded position.
    pub fn new(raw: impl Into<String>) -> Self {
        Self(raw.into())
    }

    /// The encoded position.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which page to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    /// At most this many items (1 to [`MAX_PAGE_SIZE`]).
    pub limit: u32,
    /// Where to continue; `None` for the first page.
    pub cursor: Option<Cursor>,
}

impl PageRequest {
    /// The first page of `limit` items (clamped to 1..=100).
    pub fn first(limit: u32) -> Self {
        Self {
            limit: limit.clamp(1, MAX_PAGE_SIZE),
            cursor: None,
        }
    }

    /// The page after `cursor`, of `limit` items (clamped to 1..=100).
    pub fn after(limit: u32, cursor: Option<Cursor>) -> Self {
        Self {
            limit: limit.clamp(1, MAX_PAGE_SIZE),
            cursor,
        }
    }

    /// The limit as a `usize`, clamped again so adapters can trust it.
    pub fn size(&self) -> usize {
        self.limit.clamp(1, MAX_PAGE_SIZE) as usize
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::first(DEFAULT_PAGE_SIZE)
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    /// The items, in the listing's order.
    pub items: Vec<T>,
    /// Where the next page starts; `None` on the last page.
    pub next_cursor: Option<Cursor>,
}

impl<T> Page<T> {
    /// A last page holding `items`.
    pub fn last(items: Vec<T>) -> Self {
        Self {
            items,
            next_cursor: None,
        }
    }

    /// Maps the items, keeping the cursor.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}
