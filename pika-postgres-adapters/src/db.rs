//! The database handle: a pool of connections to one PostgreSQL server, in
//! one schema, brought up to date by the migrations when it is opened.

use crate::migrations;
use crate::support::sql_error;
use deadpool_postgres::{
    Manager, ManagerConfig, Object, Pool, PoolError, RecyclingMethod, Runtime, Transaction,
};
use pika_ports::{ErrorKind, PortError, PortResult};
use std::str::FromStr;
use std::time::Duration;
use tokio_postgres::NoTls;

/// How many connections a pool holds at most unless told otherwise.
pub const DEFAULT_MAX_CONNECTIONS: usize = 16;

/// How long a call waits for a free connection, or for a new one to be
/// made, before failing with `Transient`.
const WAIT: Duration = Duration::from_secs(5);

/// Where and how to connect.
#[derive(Clone, Debug)]
pub struct PostgresOptions {
    /// A libpq connection string or URL
    /// (`postgres://pika@db.internal:5432/pika`).
    pub url: String,
    /// The schema holding Pika's tables (created when missing); `None` for
    /// the connection's default (`public`). Letters, digits and `_` only.
    pub schema: Option<String>,
    /// The most connections this process opens.
    pub max_connections: usize,
}

impl PostgresOptions {
    /// `url`, the default schema, [`DEFAULT_MAX_CONNECTIONS`].
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            schema: None,
            max_connections: DEFAULT_MAX_CONNECTIONS,
        }
    }

    /// The same, with Pika's tables in `schema`.
    #[must_use]
    pub fn with_schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }
}

/// A PostgreSQL database shared by every store of this crate.
///
/// Cloning is cheap (the pool is shared). Every store call takes a pooled
/// connection for the length of one statement or one transaction; several
/// processes on one database see the same data, which is the point of this
/// crate: several servers behind a load balancer, one store.
#[derive(Clone)]
pub struct PostgresDb {
    pool: Pool,
    schema: Option<String>,
}

impl std::fmt::Debug for PostgresDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresDb")
            .field("schema", &self.schema)
            .field("max_connections", &self.pool.status().max_size)
            .finish()
    }
}

/// A schema name safe to put in a statement unquoted.
fn valid_schema(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63
}

fn pool_error(e: PoolError) -> PortError {
    match e {
        PoolError::Backend(e) => sql_error(e),
        PoolError::Timeout(_) => PortError::new(
            ErrorKind::Transient,
            "postgres: no connection became free in time",
        ),
        other => PortError::new(ErrorKind::Transient, format!("postgres pool: {other}")),
    }
}

impl PostgresDb {
    /// Connects, creates the schema when it is missing and applies the
    /// migrations it lacks (several processes may do so at once: one
    /// applies them, the others wait and find them applied).
    ///
    /// # Errors
    /// `Invalid` for a connection string or schema name that does not
    /// parse; `Transient` when the server cannot be reached;
    /// `Permanent` when the database was written by a newer version of this
    /// crate, or a migration fails.
    pub async fn connect(options: &PostgresOptions) -> PortResult<Self> {
        let mut config = tokio_postgres::Config::from_str(&options.url).map_err(|e| {
            PortError::invalid(format!("postgres connection string: {e}")).with_source(e)
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(WAIT);
        }
        if let Some(schema) = &options.schema {
            if !valid_schema(schema) {
                return Err(PortError::invalid(format!(
                    "postgres schema {schema:?}: use lower-case letters, digits and _"
                )));
            }
            config.options(format!("-c search_path={schema}"));
        }
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(options.max_connections.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(WAIT))
            .create_timeout(Some(WAIT))
            .build()
            .map_err(|e| PortError::invalid(format!("postgres pool: {e}")))?;
        let db = Self {
            pool,
            schema: options.schema.clone(),
        };
        let mut client = db.client().await?;
        migrations::run(&mut client, db.schema.as_deref()).await?;
        Ok(db)
    }

    /// The newest migration applied to this database.
    ///
    /// # Errors
    /// `Transient` / `Permanent` as for every read.
    pub async fn schema_version(&self) -> PortResult<u32> {
        let client = self.client().await?;
        migrations::current_version(&client).await
    }

    /// The schema holding the tables (`None`: the connection's default).
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// A pooled connection.
    pub(crate) async fn client(&self) -> PortResult<Object> {
        self.pool.get().await.map_err(pool_error)
    }
}

/// Starts a transaction on `client` (read committed: each store locks the
/// rows it reads to change with `FOR UPDATE`).
pub(crate) async fn begin(client: &mut Object) -> PortResult<Transaction<'_>> {
    client.transaction().await.map_err(sql_error)
}

/// Commits `tx`.
pub(crate) async fn commit(tx: Transaction<'_>) -> PortResult<()> {
    tx.commit().await.map_err(sql_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_names_are_plain_identifiers() {
        for ok in ["pika", "pika_test_3", "_x"] {
            assert!(valid_schema(ok), "{ok}");
        }
        for bad in ["", "Pika", "3x", "a;drop table x", "a b", "\"q\""] {
            assert!(!valid_schema(bad), "{bad}");
        }
    }
}
