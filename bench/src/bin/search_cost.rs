//! Row 6: embedded search. 100 000 answers in 10 000 sessions, searched
//! through the `SearchIndex` port on the tantivy index `pika-local` uses,
//! beside SQLite `LIKE '%word%'` over the same rows (what Open WebUI does),
//! with the indexes a fair anchor would have (owner, chat app, time).
//!
//! Three kinds of search, taken in turn so drift hits all alike:
//! a customer's own sessions (owner filter, best match first), a content
//! admin's (chat app and a week, newest first), and the second page of a
//! customer's search (the cursor from the first). Times are in process:
//! the HTTP edge adds what row 4 measures.

use pika_bench::{cell, tiny, RowResult, Samples};
use pika_domain::chrono::{DateTime, Duration as Span, Utc};
use pika_domain::ids::{ChatAppId, EntityId, SessionId, UserId};
use pika_local_adapters::search::TantivySearchIndex;
use pika_ports::page::PageRequest;
use pika_ports::{IdGeneratorExt, SearchDocument, SearchIndex, SearchQuery, SearchSort};
use pika_testkit::fakes::clock::SequentialIds;
use pika_testkit::fixtures;
use rusqlite::{params, Connection};
use std::error::Error;
use std::time::Instant;

type BoxError = Box<dyn Error + Send + Sync>;

const ANSWERS_PER_SESSION: usize = 10;
const USERS: usize = 500;
const CHAT_APPS: usize = 5;
const WORDS_PER_ANSWER: usize = 40;
const VOCABULARY: usize = 4000;
const PAGE: u32 = 20;

/// A small deterministic generator (xorshift64*): the same data every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Skewed towards small indexes, as word frequencies are.
    fn skewed(&mut self, n: usize) -> usize {
        let x = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((x * x * x) * n as f64) as usize
    }
}

/// Pronounceable made-up words, none a stop word of any analyzer.
fn vocabulary() -> Vec<String> {
    const ONSETS: [&str; 16] = [
        "b", "d", "f", "g", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "kl",
    ];
    const VOWELS: [&str; 5] = ["a", "e", "i", "o", "u"];
    (0..VOCABULARY)
        .map(|i| {
            let mut word = String::new();
            let mut n = i + 16 * 5 * 16;
            while n > 0 {
                word.push_str(ONSETS[n % 16]);
                n /= 16;
                word.push_str(VOWELS[n % 5]);
                n /= 5;
            }
            word
        })
        .collect()
}

struct Corpus {
    docs: Vec<SearchDocument>,
    users: Vec<UserId>,
    apps: Vec<ChatAppId>,
    words: Vec<String>,
    start: DateTime<Utc>,
}

fn corpus(sessions: usize) -> Corpus {
    let words = vocabulary();
    let ids = SequentialIds::default();
    let users: Vec<UserId> = (0..USERS)
        .map(|i| fixtures::user_id(&format!("user-{i}")))
        .collect();
    let apps: Vec<ChatAppId> = (0..CHAT_APPS)
        .map(|i| fixtures::chat_app_id(&format!("app-{i}")))
        .collect();
    let entity: EntityId = fixtures::entity_id("acme");
    let start = fixtures::t0();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut docs = Vec::with_capacity(sessions * ANSWERS_PER_SESSION);
    for s in 0..sessions {
        let session: SessionId = ids.session_id();
        let user = users[s % USERS].clone();
        let app = apps[rng.below(CHAT_APPS)].clone();
        for a in 0..ANSWERS_PER_SESSION {
            let text: Vec<&str> = (0..WORDS_PER_ANSWER)
                .map(|_| words[rng.skewed(VOCABULARY)].as_str())
                .collect();
            docs.push(SearchDocument {
                session_id: session,
                message_id: ids.message_id(),
                user_id: user.clone(),
                chat_app_id: app.clone(),
                entity_id: entity.clone(),
                title: Some(format!("Session {s}")),
                text: text.join(" "),
                created_at: start + Span::minutes((s * ANSWERS_PER_SESSION + a) as i64),
                insight_score: None,
            });
        }
    }
    Corpus {
        docs,
        users,
        apps,
        words,
        start,
    }
}

/// One search, as both engines are asked it.
struct Ask {
    words: Vec<String>,
    user: Option<UserId>,
    app: Option<ChatAppId>,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    sort: SearchSort,
    second_page: bool,
}

fn asks(c: &Corpus, count: usize) -> Vec<Ask> {
    let mut rng = Rng(42);
    let span = c.docs.len() as i64;
    (0..count)
        .map(|i| {
            // Words of middling frequency: found, but not everywhere.
            let n = 1 + rng.below(2);
            let words = (0..n)
                .map(|_| c.words[60 + rng.below(400)].clone())
                .collect();
            let from = c.start + Span::minutes(rng.below(span as usize) as i64);
            match i % 3 {
                0 => Ask {
                    words,
                    user: Some(c.users[rng.below(USERS)].clone()),
                    app: None,
                    from: None,
                    to: None,
                    sort: SearchSort::Relevance,
                    second_page: false,
                },
                1 => Ask {
                    words,
                    user: None,
                    app: Some(c.apps[rng.below(CHAT_APPS)].clone()),
                    from: Some(from),
                    to: Some(from + Span::days(7)),
                    sort: SearchSort::Newest,
                    second_page: false,
                },
                _ => Ask {
                    words: vec![c.words[20 + rng.below(40)].clone()],
                    user: Some(c.users[rng.below(USERS)].clone()),
                    app: None,
                    from: None,
                    to: None,
                    sort: SearchSort::Newest,
                    second_page: true,
                },
            }
        })
        .collect()
}

const KINDS: [&str; 3] = [
    "own sessions, best match",
    "chat app + week, newest",
    "own sessions, page 2",
];

async fn search_tantivy(index: &TantivySearchIndex, ask: &Ask) -> Result<usize, BoxError> {
    let query = SearchQuery {
        text: ask.words.join(" "),
        user_id: ask.user.clone(),
        chat_app_id: ask.app.clone(),
        from: ask.from,
        to: ask.to,
        sort: ask.sort,
        ..SearchQuery::default()
    };
    let mut page = index.search(&query, PageRequest::first(PAGE)).await?;
    if ask.second_page {
        page = index
            .search(&query, PageRequest::after(PAGE, page.next_cursor))
            .await?;
    }
    Ok(page.items.len())
}

fn load_sqlite(conn: &Connection, docs: &[SearchDocument]) -> Result<(), BoxError> {
    conn.execute_batch(
        "CREATE TABLE docs (message_id TEXT PRIMARY KEY, session_id TEXT, user_id TEXT,
           chat_app_id TEXT, title TEXT, text TEXT, created_at INTEGER);
         CREATE INDEX docs_user ON docs (user_id, created_at);
         CREATE INDEX docs_app ON docs (chat_app_id, created_at);",
    )?;
    let tx = conn.unchecked_transaction()?;
    {
        let mut insert = tx.prepare("INSERT INTO docs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?;
        for d in docs {
            insert.execute(params![
                d.message_id.to_string(),
                d.session_id.to_string(),
                d.user_id.as_str(),
                d.chat_app_id.as_str(),
                d.title,
                d.text,
                d.created_at.timestamp()
            ])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The same search with `LIKE`: every word somewhere in title or text
/// (case-insensitive for ASCII, as SQLite's `LIKE` is), newest first —
/// `LIKE` cannot rank, so "best match" is newest here.
fn search_like(conn: &Connection, ask: &Ask) -> Result<usize, BoxError> {
    let mut sql = String::from("SELECT message_id, text FROM docs WHERE 1 = 1");
    let mut args: Vec<rusqlite::types::Value> = Vec::new();
    for w in &ask.words {
        args.push(format!("%{w}%").into());
        let n = args.len();
        sql.push_str(&format!(" AND (text LIKE ?{n} OR title LIKE ?{n})"));
    }
    if let Some(user) = &ask.user {
        args.push(user.as_str().to_string().into());
        sql.push_str(&format!(" AND user_id = ?{}", args.len()));
    }
    if let Some(app) = &ask.app {
        args.push(app.as_str().to_string().into());
        sql.push_str(&format!(" AND chat_app_id = ?{}", args.len()));
    }
    if let (Some(from), Some(to)) = (ask.from, ask.to) {
        args.push(from.timestamp().into());
        args.push(to.timestamp().into());
        let n = args.len();
        sql.push_str(&format!(
            " AND created_at >= ?{} AND created_at < ?{n}",
            n - 1
        ));
    }
    let order = if ask.sort == SearchSort::Oldest {
        "ASC"
    } else {
        "DESC"
    };
    let offset = if ask.second_page { PAGE } else { 0 };
    sql.push_str(&format!(
        " ORDER BY created_at {order} LIMIT {PAGE} OFFSET {offset}"
    ));
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(rusqlite::params_from_iter(args), |r| r.get::<_, String>(1))?;
    Ok(rows.filter_map(Result::ok).count())
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let (sessions, count) = if tiny() { (100, 9) } else { (10_000, 300) };
    let c = corpus(sessions);
    let dir = tempfile::tempdir()?;
    let loaded = Instant::now();
    let index = TantivySearchIndex::open(dir.path().join("search"))?;
    for chunk in c.docs.chunks(10_000) {
        index.index_all(chunk.to_vec()).await?;
    }
    let index_secs = loaded.elapsed().as_secs_f64();
    let conn = Connection::open(dir.path().join("like.db"))?;
    load_sqlite(&conn, &c.docs)?;
    eprintln!("loaded {} answers (index {index_secs:.1} s)", c.docs.len());

    let asks = asks(&c, count);
    let mut tantivy = [Samples::default(), Samples::default(), Samples::default()];
    let mut like = [Samples::default(), Samples::default(), Samples::default()];
    let mut hits = [0usize; 2];
    // One warm-up pass over a few searches, then the measured ones.
    for ask in asks.iter().take(6) {
        search_tantivy(&index, ask).await?;
        search_like(&conn, ask)?;
    }
    for (i, ask) in asks.iter().enumerate() {
        let t = Instant::now();
        hits[0] += search_tantivy(&index, ask).await?;
        tantivy[i % 3].push_micros(t.elapsed());
        let t = Instant::now();
        hits[1] += search_like(&conn, ask)?;
        like[i % 3].push_micros(t.elapsed());
    }

    let all = |s: &[Samples; 3]| Samples(s.iter().flat_map(|x| x.0.clone()).collect());
    let (t_all, l_all) = (all(&tantivy), all(&like));
    let mut rows = Vec::new();
    for k in 0..3 {
        rows.push(row(KINDS[k], &tantivy[k], &like[k]));
    }
    rows.push(row("all searches", &t_all, &l_all));
    let p50_ms = t_all.median() / 1000.0;
    let speedup = l_all.median() / t_all.median().max(f64::MIN_POSITIVE);
    RowResult {
        row: 6,
        title: format!(
            "Embedded search: {} answers in {sessions} sessions, tantivy vs SQLite LIKE",
            c.docs.len()
        ),
        command: "bash bench/run.sh 06".into(),
        columns: [
            "search",
            "tantivy p50 ms",
            "tantivy p99 ms",
            "LIKE p50 ms",
            "LIKE p99 ms",
            "LIKE / tantivy (p50)",
        ]
        .map(String::from)
        .to_vec(),
        rows,
        goal: "≤ 5 ms p50 and ≥ 100× faster than LIKE".into(),
        met: p50_ms <= 5.0 && speedup >= 100.0,
        summary: format!(
            "p50 {} ms, {}× faster than LIKE at p50",
            cell(p50_ms, 2),
            cell(speedup, 1)
        ),
        notes: format!(
            "{count} searches of one or two words over {} made-up words ({WORDS_PER_ANSWER} \
             words an answer, skewed as word frequencies are), {USERS} users, {CHAT_APPS} chat \
             apps; pages of {PAGE}; hits returned: tantivy {}, LIKE {}. In process through the \
             `SearchIndex` port (tantivy on tokio's blocking pool, index in a directory as \
             pika-local keeps it, built in {index_secs:.1} s with `index_all`); SQLite on a \
             file with indexes on (owner, time) and (chat app, time). LIKE cannot rank: its \
             \"best match\" is newest first, and a LIKE word also matches inside longer words.",
            c.words.len(),
            hits[0],
            hits[1]
        ),
    }
    .write()?;
    Ok(())
}

fn row(kind: &str, tantivy: &Samples, like: &Samples) -> Vec<String> {
    vec![
        kind.to_string(),
        cell(tantivy.median() / 1000.0, 2),
        cell(tantivy.quantile(0.99) / 1000.0, 2),
        cell(like.median() / 1000.0, 2),
        cell(like.quantile(0.99) / 1000.0, 2),
        cell(like.median() / tantivy.median().max(f64::MIN_POSITIVE), 1),
    ]
}
