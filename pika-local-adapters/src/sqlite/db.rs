//! The database handle: one writer connection, a few reader connections,
//! migrations at every open, and the bridge from async callers to blocking
//! SQLite work.

use crate::sqlite::migrations;
use crate::sqlite::support::{Fail, Res};
use pika_ports::{PortError, PortResult};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, TryLockError};
use std::time::Duration;

/// How many reader connections [`SqliteDb::open`] keeps.
pub const DEFAULT_READERS: usize = 4;

/// How long a connection waits for a lock held by another process before
/// giving up with `SQLITE_BUSY` (reported as `Transient`).
const BUSY_TIMEOUT: Duration = Duration::from_millis(5000);

/// A SQLite database shared by every store of this module.
///
/// Cloning is cheap (an `Arc`); every clone uses the same connections. All
/// writes of the process go through the one writer connection, one
/// transaction at a time; reads use the reader pool and, in WAL mode, never
/// wait for the writer.
#[derive(Clone)]
pub struct SqliteDb {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Mutex<Connection>,
    /// Empty for an in-memory database: reads then use the writer.
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for SqliteDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteDb")
            .field("path", &self.inner.path)
            .field("readers", &self.inner.readers.len())
            .finish()
    }
}

/// Locks `m`, taking over a poisoned lock: a panic inside a closure rolls
/// its transaction back while unwinding, so the connection is intact.
fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn open_error(path: &Path, e: rusqlite::Error) -> PortError {
    let mut err = crate::sqlite::support::sql_error(e);
    err.message = format!("opening {}: {}", path.display(), err.message);
    err
}

/// Sets the pragmas every connection of a file database uses.
fn configure(conn: &Connection) -> Res<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(journal_mode = %mode, "SQLite did not switch to WAL mode");
    }
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

impl SqliteDb {
    /// Opens (creating if needed) the database at `path` with
    /// [`DEFAULT_READERS`] reader connections, and brings its schema up to
    /// date. Blocks while it does: call it at startup, or inside
    /// `spawn_blocking`.
    ///
    /// # Errors
    /// `Permanent` when the file cannot be opened or migrated, or was written
    /// by a newer version of this module; `Transient` when another process
    /// holds the database locked for longer than the busy timeout.
    pub fn open(path: impl AsRef<Path>) -> PortResult<Self> {
        Self::open_with_readers(path, DEFAULT_READERS)
    }

    /// Like [`SqliteDb::open`], with `readers` reader connections (at least 1).
    ///
    /// # Errors
    /// As for [`SqliteDb::open`].
    pub fn open_with_readers(path: impl AsRef<Path>, readers: usize) -> PortResult<Self> {
        let path = path.as_ref();
        let mut writer = Connection::open(path).map_err(|e| open_error(path, e))?;
        configure(&writer).map_err(Fail::into_port)?;
        migrations::run(&mut writer).map_err(Fail::into_port)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let readers = (0..readers.max(1))
            .map(|_| {
                let conn =
                    Connection::open_with_flags(path, flags).map_err(|e| open_error(path, e))?;
                configure(&conn).map_err(Fail::into_port)?;
                // Readers never write, by construction and by pragma.
                conn.pragma_update(None, "query_only", "ON")
                    .map_err(|e| open_error(path, e))?;
                Ok(Mutex::new(conn))
            })
            .collect::<PortResult<Vec<_>>>()?;
        Ok(Self::from_parts(writer, readers, Some(path.to_path_buf())))
    }

    /// A private in-memory database, for tests and throwaway runs. It has a
    /// single connection (an in-memory database cannot share WAL readers),
    /// so reads and writes take turns; it is gone when the last clone drops.
    ///
    /// # Errors
    /// `Permanent` if SQLite cannot create it.
    pub fn open_in_memory() -> PortResult<Self> {
        let mut conn = Connection::open_in_memory().map_err(crate::sqlite::support::sql_error)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(crate::sqlite::support::sql_error)?;
        migrations::run(&mut conn).map_err(Fail::into_port)?;
        Ok(Self::from_parts(conn, Vec::new(), None))
    }

    fn from_parts(
        writer: Connection,
        readers: Vec<Mutex<Connection>>,
        path: Option<PathBuf>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
                path,
            }),
        }
    }

    /// The database file; `None` for an in-memory database.
    pub fn path(&self) -> Option<&Path> {
        self.inner.path.as_deref()
    }

    /// The newest migration applied to this database.
    ///
    /// # Errors
    /// `Transient` / `Permanent` as for every read.
    pub async fn schema_version(&self) -> PortResult<u32> {
        self.read(migrations::current_version).await
    }

    /// Runs `f` on a reader connection (the writer for an in-memory
    /// database) on the blocking pool.
    pub(crate) async fn read<T, F>(&self, f: F) -> PortResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Res<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let conn = inner.reader();
            f(&conn)
        })
        .await
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction on the writer, on the
    /// blocking pool; commits when `f` succeeds, rolls back when it fails.
    pub(crate) async fn write<T, F>(&self, f: F) -> PortResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Transaction<'_>) -> Res<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let mut conn = lock(&inner.writer);
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        })
        .await
    }
}

impl Inner {
    /// A free reader if there is one (round robin), else waits for one.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        let n = self.readers.len();
        if n == 0 {
            return lock(&self.writer);
        }
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed) % n;
        let mut ring = self.readers.iter().cycle().skip(start).take(n);
        let first = ring.clone().next();
        for m in &mut ring {
            match m.try_lock() {
                Ok(guard) => return guard,
                Err(TryLockError::Poisoned(e)) => return e.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        match first {
            Some(m) => lock(m),
            None => lock(&self.writer),
        }
    }
}

/// Runs `f` on tokio's blocking pool and maps its failure to a [`PortError`].
async fn blocking<T, F>(f: F) -> PortResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> Res<T> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PortError::permanent("a SQLite task failed").with_source(e))?
        .map_err(Fail::into_port)
}
