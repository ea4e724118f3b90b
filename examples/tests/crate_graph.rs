//! The shape of the workspace, checked mechanically from `cargo metadata`
//! (normal dependencies only; any crate may use anything as a dev-dependency):
//! the domain is pure, ports sit on the domain only, the service on domain and
//! ports, adapters never on each other or on the service, and every crate's
//! third-party dependencies stay within what DEVELOPERS.md allows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// name → (normal dependency names, with features asked of each).
fn workspace_graph() -> BTreeMap<String, BTreeMap<String, Vec<String>>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut graph = BTreeMap::new();
    for pkg in meta["packages"].as_array().unwrap() {
        let mut deps = BTreeMap::new();
        for dep in pkg["dependencies"].as_array().unwrap() {
            if dep["kind"].is_null() {
                let features = dep["features"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap().to_string())
                    .collect();
                deps.insert(dep["name"].as_str().unwrap().to_string(), features);
            }
        }
        graph.insert(pkg["name"].as_str().unwrap().to_string(), deps);
    }
    graph
}

fn ours(name: &str) -> bool {
    name.starts_with("pika-")
}

/// What each crate may depend on (normal dependencies). Crates of later
/// issues are listed so the rule holds the day they appear.
fn allowed(krate: &str) -> Option<BTreeSet<&'static str>> {
    let list: &[&str] = match krate {
        "pika-domain" => &["serde", "serde_json", "chrono", "uuid", "thiserror"],
        "pika-ports" => &[
            "pika-domain",
            "async-trait",
            "futures",
            "serde",
            "serde_json",
            "mockall",
        ],
        // serde_json for the JSON values the domain's types carry.
        "pika-service" => &[
            "pika-domain",
            "pika-ports",
            "tokio",
            "futures",
            "tracing",
            "serde_json",
        ],
        "pika-testkit" => &[
            "pika-domain",
            "pika-ports",
            "async-trait",
            "futures",
            "serde_json",
            "tokio",
        ],
        _ => return None,
    };
    Some(list.iter().copied().collect())
}

#[test]
fn the_core_crates_depend_only_on_what_they_may() {
    let graph = workspace_graph();
    for krate in ["pika-domain", "pika-ports", "pika-service", "pika-testkit"] {
        let deps = graph
            .get(krate)
            .unwrap_or_else(|| panic!("{krate} is a workspace member"));
        let allowed = allowed(krate).unwrap();
        for dep in deps.keys() {
            assert!(
                allowed.contains(dep.as_str()),
                "{krate} may not depend on {dep}"
            );
        }
    }
}

#[test]
fn the_domain_has_no_async_runtime_io_or_aws() {
    let graph = workspace_graph();
    let domain = &graph["pika-domain"];
    for dep in domain.keys() {
        assert!(
            ![
                "tokio",
                "async-trait",
                "futures",
                "reqwest",
                "hyper",
                "axum",
                "rusqlite",
                "tantivy"
            ]
            .contains(&dep.as_str())
                && !dep.starts_with("aws-")
                && !ours(dep),
            "pika-domain must stay pure, but depends on {dep}"
        );
    }
}

#[test]
fn our_crates_form_the_hexagon() {
    let graph = workspace_graph();
    let our_deps = |k: &str| -> BTreeSet<String> {
        graph
            .get(k)
            .map(|d| d.keys().filter(|n| ours(n)).cloned().collect())
            .unwrap_or_default()
    };
    assert_eq!(
        our_deps("pika-ports"),
        BTreeSet::from(["pika-domain".to_string()])
    );
    assert_eq!(
        our_deps("pika-service"),
        BTreeSet::from(["pika-domain".to_string(), "pika-ports".to_string()])
    );
    // The edges: each may use the crates inside it, never a sibling edge.
    let edges: [(&str, &[&str]); 4] = [
        ("pika-http", &["pika-domain", "pika-ports", "pika-service"]),
        (
            "pika-local",
            &[
                "pika-domain",
                "pika-ports",
                "pika-service",
                "pika-http",
                "pika-local-adapters",
                "pika-postgres-adapters",
                "pika-tool-adapters",
            ],
        ),
        (
            "pika-lambda-shell",
            &[
                "pika-domain",
                "pika-ports",
                "pika-service",
                "pika-http",
                "pika-aws-adapters",
                "pika-tool-adapters",
            ],
        ),
        ("pika-lambda-tool", &["pika-domain", "pika-ports"]),
    ];
    for (edge, allowed) in edges {
        assert!(graph.contains_key(edge), "{edge} is a workspace member");
        for dep in our_deps(edge) {
            assert!(
                allowed.contains(&dep.as_str()),
                "{edge} may not depend on {dep}"
            );
        }
    }
    for adapter in [
        "pika-aws-adapters",
        "pika-local-adapters",
        "pika-tool-adapters",
        "pika-postgres-adapters",
        "pika-testkit",
    ] {
        for dep in our_deps(adapter) {
            assert!(
                dep == "pika-domain" || dep == "pika-ports",
                "{adapter} may depend on pika-domain and pika-ports only among our crates, not {dep}"
            );
        }
    }
    // Production crates never contain a fake.
    for (krate, deps) in &graph {
        // The examples and the benchmarks are not published and run on fakes.
        if krate != "pika-examples" && krate != "pika-bench" {
            assert!(
                !deps.contains_key("pika-testkit"),
                "{krate} depends on pika-testkit"
            );
        }
    }
}

#[test]
fn the_service_uses_only_the_tokio_parts_it_needs() {
    let graph = workspace_graph();
    let features: BTreeSet<&str> = graph["pika-service"]["tokio"]
        .iter()
        .map(String::as_str)
        .collect();
    let allowed = BTreeSet::from(["rt", "time", "sync", "macros"]);
    assert!(
        features.is_subset(&allowed),
        "pika-service asks tokio for {features:?}"
    );
}

/// What `cargo tree -p {package} -e normal --prefix none --offline` prints
/// with `args` added, line by line (the package built alone: its own
/// features only, as the release build of its binaries is).
fn cargo_tree(package: &str, args: &[&str]) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .args([
            "tree",
            "-p",
            package,
            "-e",
            "normal",
            "--prefix",
            "none",
            "--offline",
        ])
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo tree runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The crates a package compiles (normal dependencies, its own features
/// only).
fn compiled_crates(package: &str) -> BTreeSet<String> {
    cargo_tree(package, &["--format", "{p}"])
        .iter()
        .filter_map(|l| l.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

/// Whether `krate` is one of the heavy embedded engines or stores.
fn embedded_engine(krate: &str) -> bool {
    matches!(
        krate,
        "rusqlite"
            | "libsqlite3-sys"
            | "tantivy"
            | "llama-cpp-2"
            | "llama-cpp-sys-2"
            | "pika-local-adapters"
    )
}

fn aws(krate: &str) -> bool {
    krate.starts_with("aws-sdk-") || krate == "aws-config" || krate == "pika-aws-adapters"
}

#[test]
fn a_tool_function_compiles_no_web_framework_aws_sdk_or_sqlite() {
    for package in ["pika-lambda-tool", "pika-example-order-status-tool"] {
        let crates = compiled_crates(package);
        assert!(crates.contains("lambda_runtime"), "{crates:?}");
        assert!(crates.contains("pika-lambda-tool"), "{crates:?}");
        for krate in &crates {
            assert!(
                !(krate == "axum"
                    || krate == "pika-http"
                    || krate == "pika-service"
                    || aws(krate)
                    || embedded_engine(krate)),
                "{package} compiles {krate}"
            );
        }
    }
}

#[test]
fn a_lambda_binary_compiles_no_embedded_engine() {
    let crates = compiled_crates("pika-lambda-shell");
    assert!(crates.contains("aws-sdk-dynamodb"), "{crates:?}");
    assert!(crates.contains("lambda_http"), "{crates:?}");
    for krate in &crates {
        assert!(
            !embedded_engine(krate) && krate != "pika-local" && krate != "pika-testkit",
            "the Lambda binaries compile {krate}"
        );
    }
}

#[test]
fn the_http_edge_compiles_no_adapter() {
    let crates = compiled_crates("pika-http");
    assert!(crates.contains("axum"), "{crates:?}");
    for krate in &crates {
        assert!(
            !embedded_engine(krate) && !aws(krate) && !krate.starts_with("lambda_"),
            "pika-http compiles {krate}"
        );
    }
}

#[test]
fn the_local_server_compiles_no_aws() {
    let crates = compiled_crates("pika-local");
    assert!(crates.contains("rusqlite"), "{crates:?}");
    for krate in &crates {
        assert!(
            !aws(krate) && !krate.starts_with("lambda_") && krate != "pika-lambda-shell",
            "pika-local compiles {krate}"
        );
    }
}

/// The features `dependency` is compiled with when `package` is built
/// alone.
fn features_of(package: &str, dependency: &str) -> BTreeSet<String> {
    cargo_tree(
        package,
        &["-i", dependency, "--depth", "0", "--format", "{f}"],
    )
    .iter()
    .flat_map(|l| l.split(','))
    .map(|f| f.trim().to_string())
    .filter(|f| !f.is_empty())
    .collect()
}

/// `POST /dev/token` mints a token for anyone: the Lambda binaries are
/// built without it; only the local server has it.
#[test]
fn development_tokens_exist_in_the_local_server_only() {
    let lambda = features_of("pika-lambda-shell", "pika-http");
    assert!(!lambda.contains("dev-tokens"), "{lambda:?}");
    let local = features_of("pika-local", "pika-http");
    assert!(local.contains("dev-tokens"), "{local:?}");
}
