#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The chat page at `/`, driven in headless Chromium by the Node tests in
//! `tests/browser/` (playwright-core, `node --test`) against the real local
//! server with a fake model. Needs `npm ci --prefix
//! pika-local/tests/browser` and `/usr/bin/chromium`; without them
//! the test is skipped, unless `CI` is set, where it fails.
//! With `PIKA_SCREENSHOTS=1` it also runs `screenshots.mjs`, which saves
//! PNGs of the main screens into `docs/screenshots/`.

mod local_support;

use local_support::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const CHROMIUM: &str = "/usr/bin/chromium";

fn browser_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/browser")
}

/// Why the browser tests cannot run here, if they cannot.
fn missing() -> Option<String> {
    if !browser_dir().join("node_modules/playwright-core").is_dir() {
        return Some(
            "tests/browser/node_modules is missing (run `npm ci --prefix pika-local/tests/browser`)"
                .to_string(),
        );
    }
    if !Path::new(CHROMIUM).exists() {
        return Some(format!("{CHROMIUM} is missing (apt-get install chromium)"));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("node is not installed".to_string());
    }
    None
}

/// Runs `node args…` in tests/browser against `base`; its status and output.
fn node(base: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new("node")
        .args(args)
        .current_dir(browser_dir())
        .env("PIKA_URL", base)
        .env("CHROMIUM", CHROMIUM)
        .output()
        .expect("cannot run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_page_works_in_a_real_browser() {
    if let Some(why) = missing() {
        if std::env::var_os("CI").is_some() {
            panic!("browser tests cannot run in CI: {why}");
        }
        eprintln!("SKIPPED the browser tests: {why}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A knowledge base for the page's sources.
    let handbook = dir.path().join("knowledge").join("handbook");
    std::fs::create_dir_all(&handbook).unwrap();
    std::fs::write(
        handbook.join("quokkas.md"),
        "Quokkas live on Rottnest Island; their habitat is scrub and swamp.",
    )
    .unwrap();
    // A pause between chunks, so the answer visibly streams.
    let model = FakeModel::start(Duration::from_millis(40)).await;
    let server = LocalServer::start(config(dir.path(), Some(&model.base_url))).await;
    let base = server.base.clone();

    let run = |args: Vec<&'static str>| {
        let base = base.clone();
        tokio::task::spawn_blocking(move || node(&base, &args))
    };
    let tests = tokio::time::timeout(
        Duration::from_secs(300),
        run(vec![
            "--test",
            "--test-concurrency=1",
            "markdown.test.mjs",
            "page.test.mjs",
            "features.test.mjs",
            "controls.test.mjs",
        ]),
    )
    .await
    .expect("the browser tests did not finish within 300 s")
    .unwrap();
    println!("{}", tests.1);
    assert!(tests.0, "the browser tests failed:\n{}", tests.1);

    if std::env::var_os("PIKA_SCREENSHOTS").is_some() {
        let shots = tokio::time::timeout(Duration::from_secs(120), run(vec!["screenshots.mjs"]))
            .await
            .expect("screenshots.mjs did not finish within 120 s")
            .unwrap();
        println!("{}", shots.1);
        assert!(shots.0, "screenshots.mjs failed:\n{}", shots.1);
    }
    server.stop().await;
}
