//! Child processes of a benchmark: their peak memory and CPU time read
//! from `/proc`, and a `moto_server` when a row needs DynamoDB or S3.

use std::net::TcpListener as StdListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The kernel's clock ticks a second (`getconf CLK_TCK`), for [`cpu_ms`].
pub fn clock_ticks() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse::<f64>().ok())
        .unwrap_or(100.0)
}

/// `VmHWM` of a running process, in KiB.
pub fn peak_rss_kib(pid: u32) -> Result<f64, BoxError> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no VmHWM in /proc/{pid}/status").into())
}

/// `utime + stime` of a running process, in milliseconds.
pub fn cpu_ms(pid: u32, ticks: f64) -> Result<f64, BoxError> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest)
        .ok_or("malformed /proc/PID/stat")?;
    // Field 3 (state) is the first after the name: utime is 14, stime 15.
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| -> Result<f64, BoxError> {
        Ok(fields
            .get(i)
            .ok_or("short /proc/PID/stat")?
            .parse::<f64>()?)
    };
    Ok((tick(11)? + tick(12)?) * 1e3 / ticks)
}

/// Kills a child (if still running) and reaps it.
pub fn stop(child: &mut Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// A moto server this program started (stopped on drop).
pub struct Moto(Option<Child>);

impl Drop for Moto {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            stop(child);
        }
    }
}

/// `BENCH_MOTO_ENDPOINT`, else a `moto_server` of the pika venv (or
/// `PATH`) on a free loopback port.
pub async fn moto() -> Result<(String, Moto), BoxError> {
    if let Ok(url) = std::env::var("BENCH_MOTO_ENDPOINT") {
        if !url.trim().is_empty() {
            return Ok((url.trim().trim_end_matches('/').to_string(), Moto(None)));
        }
    }
    let port = StdListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let venv = std::env::var_os("HOME")
        .map(|h| PathBuf::from(h).join(".cache/pika-moto-venv/bin/moto_server"))
        .filter(|p| p.is_file());
    let program = venv.unwrap_or_else(|| PathBuf::from("moto_server"));
    let child = Command::new(program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    let guard = Moto(Some(child));
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if started.elapsed() > Duration::from_secs(60) {
            return Err("moto_server did not answer".into());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok((format!("http://127.0.0.1:{port}"), guard))
}
