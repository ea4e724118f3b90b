//! One moto server (a local AWS emulator) shared by the tests of a test
//! binary, and an SDK configuration pointing at it.
//!
//! [`endpoint`] is `PIKA_TEST_MOTO_ENDPOINT` when set (CI starts one
//! server for every test binary). Otherwise the first call starts
//! `moto_server -H 127.0.0.1 -p PORT` on a free loopback port — found at
//! `$HOME/.cache/pika-moto-venv/bin/moto_server` or on `PATH` — and waits
//! until it answers. The server runs under a small `sh` that holds a pipe
//! from this process: when the test process ends (even killed), the pipe
//! closes and the shell stops the server, so no server outlives its tests.
//!
//! Tests share the server, never its state: each creates its own bucket or
//! table under a unique name and never resets the emulator.

// Each test binary uses a different part of it.
#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// The variable naming an already running moto server.
pub const ENDPOINT_VAR: &str = "PIKA_TEST_MOTO_ENDPOINT";

/// How long a freshly started server may take to answer.
const STARTUP: Duration = Duration::from_secs(60);

const INSTALL_HINT: &str = "moto is needed for these tests: set PIKA_TEST_MOTO_ENDPOINT to a running \
moto server, or install it with \
`python3 -m venv ~/.cache/pika-moto-venv && ~/.cache/pika-moto-venv/bin/pip install 'moto[server]'` \
(or `pip install 'moto[server]'` so that `moto_server` is on PATH)";

/// The server this process started; kept so its pipe stays open.
static STARTED: Mutex<Option<Child>> = Mutex::new(None);

/// The moto endpoint, e.g. `http://127.0.0.1:5000`.
pub fn endpoint() -> String {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT
        .get_or_init(|| match std::env::var(ENDPOINT_VAR) {
            Ok(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_string(),
            _ => start_server(),
        })
        .clone()
}

/// An SDK configuration for the emulator: region `us-east-1`, dummy static
/// credentials, every service at [`endpoint`].
pub async fn sdk_config() -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .test_credentials()
        .endpoint_url(endpoint())
        .load()
        .await
}

/// A name no other test of any process uses: `{prefix}-{pid}-{n}-{nanos}`,
/// lower case (bucket names must be).
pub fn unique_name(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}-{}-{n}-{nanos}", std::process::id()).to_lowercase()
}

fn executable(path: &Path) -> bool {
    path.is_file()
}

/// The pika venv's server first (installed for these tests), then `PATH`.
fn find_moto_server() -> Option<PathBuf> {
    let venv = std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".cache/pika-moto-venv/bin/moto_server"));
    let on_path = std::env::var_os("PATH").into_iter().flat_map(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("moto_server"))
            .collect::<Vec<_>>()
    });
    venv.into_iter().chain(on_path).find(|p| executable(p))
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free loopback port");
    listener.local_addr().expect("local address").port()
}

fn start_server() -> String {
    let server = find_moto_server().unwrap_or_else(|| panic!("{INSTALL_HINT}"));
    // Another process may grab the free port first: try a few.
    let mut last_error = String::new();
    for _ in 0..5 {
        let port = free_port();
        let log = std::env::temp_dir().join(format!("pika-moto-{port}.log"));
        match spawn_and_wait(&server, port, &log) {
            Ok(child) => {
                *STARTED.lock().unwrap_or_else(|e| e.into_inner()) = Some(child);
                return format!("http://127.0.0.1:{port}");
            }
            Err(e) => last_error = e,
        }
    }
    panic!(
        "moto_server ({}) did not start: {last_error}\n{INSTALL_HINT}",
        server.display()
    );
}

/// Starts `server` on `port` under a shell that stops it when our end of its
/// stdin pipe closes, and waits until the port accepts connections.
fn spawn_and_wait(server: &Path, port: u16, log: &Path) -> Result<Child, String> {
    let log_file = std::fs::File::create(log).map_err(|e| format!("{}: {e}", log.display()))?;
    let log_err = log_file.try_clone().map_err(|e| e.to_string())?;
    let script = r#""$0" -H 127.0.0.1 -p "$1" </dev/null & pid=$!
trap 'kill $pid 2>/dev/null' EXIT
read _ignored
"#;
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(server)
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(log_file)
        .stderr(log_err)
        .spawn()
        .map_err(|e| format!("spawn sh: {e}"))?;
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let deadline = Instant::now() + STARTUP;
    while Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            let output = std::fs::read_to_string(log).unwrap_or_default();
            return Err(format!("exited with {status} on port {port}: {output}"));
        }
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(child);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // Closing the pipe makes the shell stop the server.
    drop(child.stdin.take());
    let _ = child.wait();
    Err(format!(
        "no answer on port {port} within {}s (log: {})",
        STARTUP.as_secs(),
        log.display()
    ))
}
