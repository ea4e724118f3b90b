//! Every listing is served from a key or an index, never a scan of a table
//! or a sort of a whole table: checked with `EXPLAIN QUERY PLAN` over the
//! very queries the stores run. Test code only (`#[cfg(test)]` in the parent).
#![cfg(test)]
#![allow(clippy::unwrap_used, clippy::panic)]
// #[cfg(test)]: the whole file is a test module, so unwraps here are test asserts.

use super::{config, feedback, memory, messages, migrations, sessions, usage};
use rusqlite::Connection;

fn schema() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    migrations::run(&mut conn).unwrap();
    conn
}

/// The plan's detail lines of `sql`.
fn plan(conn: &Connection, sql: &str) -> Vec<String> {
    let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let mut rows = stmt.raw_query();
    let mut details = Vec::new();
    while let Some(row) = rows.next().unwrap() {
        details.push(row.get::<_, String>(3).unwrap());
    }
    details
}

/// `sql` looks rows up through an index or key and reads them in the
/// index's order (no temporary sort).
fn assert_searches(conn: &Connection, sql: &str, index: &str) {
    let details = plan(conn, sql);
    assert!(
        details
            .iter()
            .all(|d| d.starts_with("SEARCH") && !d.contains("TEMP B-TREE")),
        "{sql}\n  should search an index, plan: {details:?}"
    );
    assert!(
        details.iter().any(|d| d.contains(index)),
        "{sql}\n  should use {index}, plan: {details:?}"
    );
}

/// `sql` reads a whole listing in the order of `index` (an unfiltered,
/// limited listing: no sort, it stops after a page).
fn assert_walks(conn: &Connection, sql: &str, index: &str) {
    let details = plan(conn, sql);
    assert!(
        details
            .iter()
            .all(|d| d.contains(index) && !d.contains("TEMP B-TREE")),
        "{sql}\n  should walk {index} in order, plan: {details:?}"
    );
}

#[test]
fn session_listings_use_their_indexes() {
    let conn = schema();
    for after in [false, true] {
        let by_user = sessions::newest_first_sql("user_id = ?", after);
        assert_searches(&conn, &by_user, "sessions_by_user");
        let by_app = sessions::newest_first_sql("user_id = ? AND chat_app_id = ?", after);
        assert_searches(&conn, &by_app, "sessions_by_user_app");
        let by_entity = sessions::newest_first_sql("entity_id = ?", after);
        assert_searches(&conn, &by_entity, "sessions_by_entity");
    }
    assert_searches(
        &conn,
        sessions::NEEDING_INSIGHTS_SQL,
        "sessions_needing_insights",
    );
    assert_searches(&conn, sessions::EXPIRED_SQL, "sessions_by_expiry");
    assert_searches(&conn, sessions::BY_SHARE_SQL, "sessions_by_share");
}

#[test]
fn message_listings_use_the_primary_key() {
    let conn = schema();
    for after in [false, true] {
        assert_searches(
            &conn,
            messages::list_sql(after),
            "sqlite_autoindex_messages_1",
        );
    }
    assert_searches(&conn, messages::LATEST_SQL, "sqlite_autoindex_messages_1");
}

#[test]
fn configuration_listings_walk_the_primary_key() {
    let conn = schema();
    for table in ["chat_apps", "agents", "tools"] {
        let index = format!("sqlite_autoindex_{table}_1");
        assert_walks(&conn, &config::list_sql(table, false), &index);
        assert_searches(&conn, &config::list_sql(table, true), &index);
    }
}

#[test]
fn feedback_listings_use_their_indexes() {
    let conn = schema();
    assert_searches(&conn, feedback::BY_SESSION_SQL, "feedback_by_session");
    assert_walks(
        &conn,
        &feedback::list_sql(false, false, false),
        "feedback_by_time",
    );
    assert_searches(
        &conn,
        &feedback::list_sql(false, false, true),
        "feedback_by_time",
    );
    for after in [false, true] {
        let by_status = feedback::list_sql(true, false, after);
        assert_searches(&conn, &by_status, "feedback_by_status");
        let by_app = feedback::list_sql(false, true, after);
        assert_searches(&conn, &by_app, "feedback_by_app");
        let by_both = feedback::list_sql(true, true, after);
        assert_searches(&conn, &by_both, "feedback_by_status_app");
    }
}

#[test]
fn usage_reads_use_the_primary_keys() {
    let conn = schema();
    assert_searches(
        &conn,
        usage::BUCKETS_SQL,
        "sqlite_autoindex_usage_buckets_1",
    );
    assert_searches(&conn, usage::DAILY_SQL, "sqlite_autoindex_usage_daily_1");
}

#[test]
fn memory_reads_use_their_indexes() {
    let conn = schema();
    for after in [false, true] {
        assert_searches(&conn, &memory::list_sql(after), "memory_by_user");
    }
    // Retrieval ranks by a computed column, so it sorts, but only the one
    // user's records of one strategy, found through the index.
    let details = plan(&conn, &memory::retrieve_sql(3));
    assert!(
        details
            .iter()
            .any(|d| d.starts_with("SEARCH") && d.contains("memory_by_user_strategy")),
        "retrieval should search memory_by_user_strategy: {details:?}"
    );
    assert!(
        !details.iter().any(|d| d.starts_with("SCAN")),
        "retrieval never scans: {details:?}"
    );
}
