//! The stores the local server runs on: SQLite in the data directory by
//! default, PostgreSQL when `[store] postgres_url` is set (several servers
//! on one database).

use super::config::StoreConfig;
use pika_local_adapters::sqlite::{SqliteDb, SqliteStores};
use pika_postgres_adapters::{PostgresDb, PostgresOptions, PostgresStores};
use pika_service::PlatformBuilder;
use std::path::Path;
use std::sync::Arc;

/// Which store the server opened, for the banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreChoice {
    /// SQLite: the database file.
    Sqlite(String),
    /// PostgreSQL: the server and schema (never the password).
    Postgres(String),
}

impl std::fmt::Display for StoreChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => write!(f, "SQLite {path}"),
            Self::Postgres(at) => write!(f, "PostgreSQL {at}"),
        }
    }
}

/// `url` without its password, for logs.
fn redacted(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        // A key-value connection string: every pair but the password.
        _ => url
            .split_whitespace()
            .filter(|pair| !pair.starts_with("password="))
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// Opens the configured store and hands every store port to `builder`.
///
/// # Errors
/// What could not be opened or reached, with the setting involved.
pub async fn open(
    config: &StoreConfig,
    data_dir: &Path,
    builder: PlatformBuilder,
) -> Result<(PlatformBuilder, StoreChoice), String> {
    if let Some(url) = config.postgres_url.as_deref().filter(|u| !u.is_empty()) {
        let options = PostgresOptions {
            url: url.to_string(),
            schema: config.postgres_schema.clone(),
            max_connections: config.postgres_max_connections,
        };
        let db = PostgresDb::connect(&options).await.map_err(|e| {
            format!(
                "cannot open the PostgreSQL store ([store] postgres_url): {}",
                e.message
            )
        })?;
        let s = PostgresStores::new(db);
        let at = match &config.postgres_schema {
            Some(schema) => format!("{} (schema {schema})", redacted(url)),
            None => redacted(url),
        };
        let builder = builder
            .sessions(Arc::new(s.sessions))
            .messages(Arc::new(s.messages))
            .chat_apps(Arc::new(s.chat_apps))
            .site(Arc::new(s.site))
            .agents(Arc::new(s.agents))
            .tools(Arc::new(s.tools))
            .users(Arc::new(s.users))
            .feedback(Arc::new(s.feedback))
            .usage(Arc::new(s.usage))
            .job_lock(Arc::new(s.job_lock))
            .turns(Arc::new(s.turns))
            .allowances(Arc::new(s.allowances))
            .memory(Arc::new(s.memory));
        return Ok((builder, StoreChoice::Postgres(at)));
    }
    let path = data_dir.join("pika.db");
    let db =
        SqliteDb::open(&path).map_err(|e| format!("cannot open the database: {}", e.message))?;
    let s = SqliteStores::new(db);
    let builder = builder
        .sessions(Arc::new(s.sessions))
        .messages(Arc::new(s.messages))
        .chat_apps(Arc::new(s.chat_apps))
        .site(Arc::new(s.site))
        .agents(Arc::new(s.agents))
        .tools(Arc::new(s.tools))
        .users(Arc::new(s.users))
        .feedback(Arc::new(s.feedback))
        .usage(Arc::new(s.usage))
        .job_lock(Arc::new(s.job_lock))
        .turns(Arc::new(s.turns))
        .allowances(Arc::new(s.allowances))
        .memory(Arc::new(s.memory));
    Ok((builder, StoreChoice::Sqlite(path.display().to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_stay_out_of_the_banner() {
        assert_eq!(
            redacted("postgres://pika:s3cret@db.internal:5432/pika"),
            "postgres://pika@db.internal:5432/pika"
        );
        assert_eq!(redacted("postgres://db/pika"), "postgres://db/pika");
        assert_eq!(
            redacted("host=db user=pika password=s3cret"),
            "host=db user=pika"
        );
    }
}
