//! A user's records newest first, paged with a cursor naming the last
//! record of the previous page (its time and id), so pages neither repeat
//! nor skip records when others are added or removed meanwhile.

use pika_domain::memory::MemoryRecord;
use pika_ports::page::{Cursor, Page, PageRequest};
use pika_ports::{PortError, PortResult};
use std::cmp::Ordering;

/// Every cursor of this adapter starts with this.
const CURSOR_PREFIX: &str = "agentcore-memory.v1:";

/// Where a page starts: after the record of this time (µs) and id.
#[derive(Debug, PartialEq, Eq)]
struct After {
    micros: i64,
    record_id: String,
}

fn cursor_of(record: &MemoryRecord) -> Cursor {
    Cursor::new(format!(
        "{CURSOR_PREFIX}{}:{}",
        record.created_at.timestamp_micros(),
        record.record_id
    ))
}

fn parse(cursor: &Cursor) -> PortResult<After> {
    let refused = || PortError::invalid("not a cursor of this memory listing");
    let rest = cursor
        .as_str()
        .strip_prefix(CURSOR_PREFIX)
        .ok_or_else(refused)?;
    let (micros, record_id) = rest.split_once(':').ok_or_else(refused)?;
    Ok(After {
        micros: micros.parse().map_err(|_| refused())?,
        record_id: record_id.to_string(),
    })
}

/// Newest first; records of one instant by id, so the order is total.
fn newest_first(a: &MemoryRecord, b: &MemoryRecord) -> Ordering {
    b.created_at
        .cmp(&a.created_at)
        .then_with(|| a.record_id.cmp(&b.record_id))
}

/// Whether `record` comes after `after` in [`newest_first`] order.
fn comes_after(record: &MemoryRecord, after: &After) -> bool {
    let micros = record.created_at.timestamp_micros();
    micros < after.micros || (micros == after.micros && record.record_id > after.record_id)
}

/// The page `request` asks for out of all the user's `records`.
///
/// # Errors
/// `Invalid` for a cursor this listing did not make.
pub(super) fn page_of(
    mut records: Vec<MemoryRecord>,
    request: &PageRequest,
) -> PortResult<Page<MemoryRecord>> {
    records.sort_by(newest_first);
    if let Some(cursor) = &request.cursor {
        let after = parse(cursor)?;
        records.retain(|r| comes_after(r, &after));
    }
    let more = records.len() > request.size();
    records.truncate(request.size());
    let next_cursor = if more {
        records.last().map(cursor_of)
    } else {
        None
    };
    Ok(Page {
        items: records,
        next_cursor,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pika_domain::chrono::{DateTime, Utc};
    use pika_domain::ids::UserId;
    use pika_domain::memory::MemoryStrategy;

    fn record(id: &str, secs: i64) -> MemoryRecord {
        MemoryRecord {
            record_id: id.to_string(),
            user_id: UserId::parse("alice").unwrap(),
            strategy: MemoryStrategy::Semantic,
            content: id.to_string(),
            created_at: DateTime::<Utc>::from_timestamp(secs, 0).unwrap(),
            source_session_id: None,
        }
    }

    #[test]
    fn pages_walk_newest_first_without_repeats() {
        let all = vec![
            record("a", 1),
            record("c", 3),
            record("b", 3),
            record("d", 2),
        ];
        let mut seen = Vec::new();
        let mut cursor = None;
        loop {
            let page = page_of(all.clone(), &PageRequest::after(1, cursor.take())).unwrap();
            seen.extend(page.items.into_iter().map(|r| r.record_id));
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen, ["b", "c", "d", "a"]);
    }

    #[test]
    fn foreign_cursors_are_invalid() {
        for raw in [
            "",
            "memmem1:3",
            "agentcore-memory.v1:x:a",
            "agentcore-memory.v1:12",
        ] {
            let request = PageRequest::after(2, Some(Cursor::new(raw)));
            assert!(page_of(vec![record("a", 1)], &request).is_err(), "{raw:?}");
        }
    }
}
