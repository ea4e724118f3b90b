//! Helpers shared by the store contract suites: error-kind assertions and a
//! pager that walks a listing to its end, checking the paging rules.

// Contract suites are tests: a failed expectation panics with a message.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pika_domain::cost::Usage;
use pika_ports::{Cursor, ErrorKind, Page, PageRequest, PortResult};
use std::fmt::Debug;
use std::future::Future;

/// Cursors no store issues: garbage, empty, and a plausible-looking token.
pub(crate) fn foreign_cursors() -> Vec<Cursor> {
    vec![
        Cursor::new("not-a-cursor"),
        Cursor::new(""),
        Cursor::new("eyJwayI6IngifQ=="),
    ]
}

/// Asserts that `result` failed with `kind`.
pub(crate) fn assert_kind<T: Debug>(result: PortResult<T>, kind: ErrorKind, what: &str) {
    match result {
        Ok(v) => panic!("{what}: expected {kind}, got Ok({v:?})"),
        Err(e) => assert_eq!(e.kind, kind, "{what}: expected {kind}, got {e}"),
    }
}

/// Asserts that two usages carry the same tokens and (to a micro-dollar) cost.
pub(crate) fn assert_usage_eq(actual: &Usage, expected: &Usage, what: &str) {
    assert_eq!(
        actual.tokens(),
        expected.tokens(),
        "{what}: tokens {actual:?} != {expected:?}"
    );
    for (a, e, name) in [
        (actual.input_cost, expected.input_cost, "input cost"),
        (actual.output_cost, expected.output_cost, "output cost"),
        (actual.total_cost, expected.total_cost, "total cost"),
    ] {
        assert!(
            (a - e).abs() < 1e-7,
            "{what}: {name} {a} != {e} ({actual:?} vs {expected:?})"
        );
    }
}

/// Reads a listing page by page with `limit`, from the first page to the
/// one without a cursor, and returns every item in order. Checks that every
/// page but the last holds exactly `limit` items and that a cursor never
/// leads to an empty page (the last page carries no cursor).
pub(crate) async fn collect_pages<T, F, Fut>(limit: u32, fetch: F, what: &str) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = PortResult<Page<T>>>,
{
    collect_pages_after(limit, None, fetch, what).await
}

/// Like [`collect_pages`], but starts after `start` (a cursor from an
/// earlier page; `None` for the first page).
pub(crate) async fn collect_pages_after<T, F, Fut>(
    limit: u32,
    start: Option<Cursor>,
    mut fetch: F,
    what: &str,
) -> Vec<T>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = PortResult<Page<T>>>,
{
    let mut all = Vec::new();
    let mut cursor = start;
    for n in 1..=1000 {
        let after_cursor = cursor.is_some();
        let page = fetch(PageRequest::after(limit, cursor.take()))
            .await
            .unwrap_or_else(|e| panic!("{what}: page {n} failed: {e}"));
        if after_cursor {
            assert!(
                !page.items.is_empty(),
                "{what}: page {n} is empty although the page before gave a cursor \
                 (the last page must carry no cursor)"
            );
        }
        match page.next_cursor {
            Some(next) => {
                assert_eq!(
                    page.items.len(),
                    limit as usize,
                    "{what}: page {n} has a next cursor, so it must hold exactly {limit} items"
                );
                all.extend(page.items);
                cursor = Some(next);
            }
            None => {
                assert!(
                    page.items.len() <= limit as usize,
                    "{what}: page {n} holds more than {limit} items"
                );
                all.extend(page.items);
                return all;
            }
        }
    }
    panic!("{what}: more than 1000 pages; the listing never ends")
}

/// Checks that every cursor from [`foreign_cursors`] is refused as `Invalid`.
pub(crate) async fn assert_foreign_cursors_refused<T, F, Fut>(mut fetch: F, what: &str)
where
    T: Debug,
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = PortResult<Page<T>>>,
{
    for cursor in foreign_cursors() {
        let shown = cursor.as_str().to_string();
        assert_kind(
            fetch(PageRequest::after(5, Some(cursor))).await,
            ErrorKind::Invalid,
            &format!("{what} with the foreign cursor {shown:?}"),
        );
    }
}
