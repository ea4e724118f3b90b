//! Row 1: the Lambda cold start of `pika-api` (and `pika-stream` when
//! given) beside a Node.js 20 handler loading the AWS SDK v3 clients Pika's
//! API function loads, measured in the same run.
//!
//! Each cold start is a fresh process under a local stand-in of the Lambda
//! Runtime API (axum, in this process, on a loopback port of its own):
//!
//! - init: process start to its first `GET /2018-06-01/runtime/invocation/next`;
//! - then `BENCH_INVOCATIONS` (5) invocations of an API Gateway REST proxy
//!   event `GET /sessions` with a valid bearer token, each timed from the
//!   event handed out to the response posted back;
//! - peak RSS (`VmHWM`) and CPU (`utime + stime`) of the process, read from
//!   `/proc` once it waits for its next invocation, before it is killed.
//!
//! Both sides reach only loopback: DynamoDB, S3 and Secrets Manager are
//! moto (`BENCH_MOTO_ENDPOINT`, else a `moto_server` started here).
//!
//! Inputs (environment): `BENCH_PIKA_API` (the `pika-api` binary),
//! optional `BENCH_PIKA_STREAM`, `BENCH_NODE_CMD` (default
//! `node bench/node-baseline/index.mjs`), `BENCH_TINY`, `BENCH_OUT`.

mod runtime_api;

use pika_aws_adapters::dynamodb::sessions::DynamoSessionStore;
use pika_aws_adapters::dynamodb::{create_tables, Dynamo};
use pika_bench::process::{clock_ticks, cpu_ms, moto, peak_rss_kib, stop};
use pika_bench::{cell, tiny, RowResult, Samples};
use pika_http::auth::{AuthConfig, AuthMode, Authenticator, DevClaims};
use pika_ports::{SessionStore, UuidV7Ids};
use runtime_api::{Posted, RuntimeApi};
use serde_json::{json, Value};
use std::error::Error;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::sync::{mpsc, Mutex};

type BoxError = Box<dyn Error + Send + Sync>;

const ISSUER: &str = "pika-bench";
const AUDIENCE: &str = "pika";
/// The HS256 key (stored in Secrets Manager for `pika-api`).
const JWT_KEY: &str = "bench-only-hs256-key-of-at-least-32-bytes";
const USER: &str = "alice";
/// Sessions of the user, so that the Query answers items.
const SEEDED_SESSIONS: usize = 3;
/// How long a process may take to reach its first `next`.
const INIT_LIMIT: Duration = Duration::from_secs(60);
/// How long an invocation may take.
const INVOKE_LIMIT: Duration = Duration::from_secs(30);

/// The API Gateway REST proxy event of the Lambda tests.
const REST_EVENT: &str =
    include_str!("../../../../pika-lambda-shell/tests/lambda_events/apigw_rest_proxy.json");
/// The Function URL event of the Lambda tests.
const URL_EVENT: &str =
    include_str!("../../../../pika-lambda-shell/tests/lambda_events/function_url_post.json");

// ---------------------------------------------------------------- functions

/// A function to start cold.
struct Function {
    label: &'static str,
    program: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    event: Value,
    /// Whether its answers must be API Gateway responses with status 200.
    expect_ok: bool,
}

/// What one cold start measured.
struct ColdStart {
    init_ms: f64,
    invokes_ms: Vec<f64>,
    rss_kib: f64,
    cpu_ms: f64,
}

/// The figures of one function over its cold starts.
#[derive(Default)]
struct Figures {
    init: Samples,
    first: Samples,
    later: Samples,
    rss_mib: Samples,
    cpu: Samples,
}

impl Figures {
    fn add(&mut self, run: &ColdStart) {
        self.init.0.push(run.init_ms);
        if let Some((first, later)) = run.invokes_ms.split_first() {
            self.first.0.push(*first);
            self.later.0.extend_from_slice(later);
        }
        self.rss_mib.0.push(run.rss_kib / 1024.0);
        self.cpu.0.push(run.cpu_ms);
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One cold start of `f`: a fresh Runtime API, a fresh process.
async fn cold_start(f: &Function, invocations: usize, ticks: f64) -> Result<ColdStart, BoxError> {
    let (events_tx, events_rx) = mpsc::channel(1);
    let (nexts_tx, mut nexts) = mpsc::unbounded_channel();
    let (posted_tx, mut posted) = mpsc::unbounded_channel();
    let api = RuntimeApi {
        events: Arc::new(Mutex::new(events_rx)),
        nexts: nexts_tx,
        posted: posted_tx,
    };
    let app = api.router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let log = tempfile::NamedTempFile::new()?;
    let started = Instant::now();
    let mut child = Command::new(&f.program)
        .args(&f.args)
        .env_clear()
        .envs(f.env.iter().map(|(k, v)| (k, v)))
        .env("AWS_LAMBDA_RUNTIME_API", addr.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.reopen()?))
        .stderr(Stdio::from(log.reopen()?))
        .spawn()?;
    let result = drive(
        f,
        &mut child,
        started,
        invocations,
        ticks,
        &events_tx,
        &mut nexts,
        &mut posted,
    )
    .await;
    stop(&mut child);
    server.abort();
    result.map_err(|e| {
        let output = std::fs::read_to_string(log.path()).unwrap_or_default();
        let tail: String = output
            .lines()
            .rev()
            .take(20)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n");
        format!("{}: {e}\n--- its output (last lines):\n{tail}", f.label).into()
    })
}

#[allow(clippy::too_many_arguments)]
async fn drive(
    f: &Function,
    child: &mut Child,
    started: Instant,
    invocations: usize,
    ticks: f64,
    events: &mpsc::Sender<(String, Value)>,
    nexts: &mut mpsc::UnboundedReceiver<Instant>,
    posted: &mut mpsc::UnboundedReceiver<Posted>,
) -> Result<ColdStart, BoxError> {
    // Init: until the first `next`, unless the process dies first.
    let first_next = loop {
        if let Ok(Some(at)) = tokio::time::timeout(Duration::from_millis(20), nexts.recv()).await {
            break at;
        }
        if let Some(status) = child.try_wait()? {
            let why = posted
                .try_recv()
                .map(|p| String::from_utf8_lossy(&p.body).into_owned())
                .unwrap_or_default();
            return Err(format!("exited during init ({status}) {why}").into());
        }
        if started.elapsed() > INIT_LIMIT {
            return Err("no `next` within the init limit".into());
        }
    };
    let init_ms = ms(first_next - started);

    let mut invokes_ms = Vec::with_capacity(invocations);
    for i in 0..invocations {
        let id = format!("bench-{i}");
        let sent = Instant::now();
        events.send((id.clone(), f.event.clone())).await?;
        let reply = tokio::time::timeout(INVOKE_LIMIT, posted.recv())
            .await
            .map_err(|_| format!("invocation {i}: no response"))?
            .ok_or("the runtime API stopped")?;
        let body = String::from_utf8_lossy(&reply.body).into_owned();
        if !reply.ok || reply.request_id != id {
            return Err(format!("invocation {i} failed ({}): {body}", reply.request_id).into());
        }
        if f.expect_ok {
            let answer: Value = serde_json::from_str(&body)?;
            if answer["statusCode"] != json!(200) {
                return Err(format!("invocation {i}: not 200: {body}").into());
            }
        }
        invokes_ms.push(ms(reply.at - sent));
    }
    // Its `next` after the last answer: idle, every figure is in.
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline && nexts.len() < invocations {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let pid = child.id();
    Ok(ColdStart {
        init_ms,
        invokes_ms,
        rss_kib: peak_rss_kib(pid)?,
        cpu_ms: cpu_ms(pid, ticks)?,
    })
}

// ---------------------------------------------------------------- main

fn env_path(var: &str) -> Option<String> {
    std::env::var(var).ok().filter(|v| !v.trim().is_empty())
}

fn rest_event(token: &str) -> Result<Value, BoxError> {
    let mut e: Value = serde_json::from_str(REST_EVENT)?;
    // No API Gateway authorizer: the function verifies the token itself.
    e["requestContext"]["authorizer"] = json!({});
    e["headers"]["Authorization"] = json!(format!("Bearer {token}"));
    e["multiValueHeaders"]["Authorization"] = json!([format!("Bearer {token}")]);
    Ok(e)
}

fn url_event(token: &str) -> Result<Value, BoxError> {
    let mut e: Value = serde_json::from_str(URL_EVENT)?;
    e["rawPath"] = json!("/sessions");
    e["requestContext"]["http"]["method"] = json!("GET");
    e["requestContext"]["http"]["path"] = json!("/sessions");
    e["headers"]["authorization"] = json!(format!("Bearer {token}"));
    e["headers"]["accept"] = json!("application/json");
    e["body"] = Value::Null;
    Ok(e)
}

fn ratio(node: f64, rust: f64) -> String {
    if rust > 0.0 {
        format!("{:.1}×", node / rust)
    } else {
        "—".to_string()
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), BoxError> {
    let api_bin = env_path("BENCH_PIKA_API").ok_or("BENCH_PIKA_API: the pika-api binary")?;
    let stream_bin = env_path("BENCH_PIKA_STREAM");
    let node_cmd = env_path("BENCH_NODE_CMD")
        .unwrap_or_else(|| "node bench/node-baseline/index.mjs".to_string());
    let mut node_words = node_cmd.split_whitespace().map(str::to_string);
    let node_program = node_words.next().ok_or("BENCH_NODE_CMD is empty")?;
    let node_args: Vec<String> = node_words.collect();
    let runs = if tiny() { 1 } else { 5 };
    let invocations = 5;
    let ticks = clock_ticks();

    let (endpoint, _moto) = moto().await?;
    let aws_env = [
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
    ];
    for (k, v) in aws_env {
        std::env::set_var(k, v);
    }
    let sdk = pika_aws_adapters::aws::load_sdk_config().await;
    let prefix = format!("bench{}", std::process::id());
    let dynamo = Dynamo::from_sdk_config(&sdk, prefix.clone());
    create_tables(dynamo.client(), &prefix).await?;
    let sessions = DynamoSessionStore::new(dynamo.clone());
    let ids = UuidV7Ids;
    for _ in 0..SEEDED_SESSIONS {
        let session = pika_testkit::fixtures::session(&ids, USER, "support", "acme");
        sessions.create(&session).await?;
    }
    let secret = aws_sdk_secretsmanager::Client::new(&sdk)
        .create_secret()
        .name(format!("{prefix}-jwt"))
        .secret_string(JWT_KEY)
        .send()
        .await?;
    let secret_arn = secret.arn().ok_or("no secret ARN")?.to_string();

    let mut auth = AuthConfig::new(AuthMode::Jwt);
    auth.hs256_secret = Some(JWT_KEY.as_bytes().to_vec());
    auth.issuer = Some(ISSUER.to_string());
    auth.audience = Some(AUDIENCE.to_string());
    let mut claims = DevClaims::new(USER);
    claims.user_type = Some("external-user".to_string());
    if let Value::Object(data) = json!({ "accountId": "acme" }) {
        claims.custom_data = data;
    }
    let token = Authenticator::new(auth).await?.issue_dev_token(
        claims,
        Duration::from_secs(3600),
        SystemTime::now(),
    )?;

    let home = tempfile::tempdir()?;
    let mut common: Vec<(String, String)> = aws_env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let path = std::env::var("PATH").unwrap_or_default();
    common.extend(
        [
            ("PATH", path.as_str()),
            // No profile files of this machine's user.
            ("HOME", &home.path().to_string_lossy()),
            ("AWS_LAMBDA_FUNCTION_NAME", "bench"),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024"),
            ("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST"),
            ("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/bench"),
            ("AWS_LAMBDA_LOG_STREAM_NAME", "bench"),
            ("PIKA_TABLE_PREFIX", &prefix),
            ("PIKA_S3_FORCE_PATH_STYLE", "true"),
            ("PIKA_JWT_ISSUER", ISSUER),
            ("PIKA_JWT_AUDIENCE", AUDIENCE),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let pika_env = |function: &str| -> Vec<(String, String)> {
        let mut env = common.clone();
        env.extend(
            [
                ("PIKA_FUNCTION", function),
                ("PIKA_FILES_BUCKET", "pika-files"),
                ("PIKA_INSIGHTS_BUCKET", "pika-insights"),
                ("PIKA_AGENT_RUNTIME", "converse"),
                ("PIKA_AUTH_MODE", "jwt"),
                ("PIKA_JWT_SECRET_ARN", &secret_arn),
                ("RUST_LOG", "warn"),
            ]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        env
    };
    let mut node_env = common.clone();
    node_env.push(("BENCH_JWT_KEY".to_string(), JWT_KEY.to_string()));
    node_env.push(("NODE_ENV".to_string(), "production".to_string()));

    let rest = rest_event(&token)?;
    let mut functions = vec![
        Function {
            label: "pika-api",
            program: api_bin,
            args: Vec::new(),
            env: pika_env("api"),
            event: rest.clone(),
            expect_ok: true,
        },
        Function {
            label: "Node 20",
            program: node_program,
            args: node_args,
            env: node_env,
            event: rest,
            expect_ok: true,
        },
    ];
    if let Some(stream) = stream_bin {
        functions.push(Function {
            label: "pika-stream",
            program: stream,
            args: Vec::new(),
            env: pika_env("stream"),
            event: url_event(&token)?,
            expect_ok: false,
        });
    }

    // Interleaved: each round starts every function once.
    let mut figures: Vec<Figures> = functions.iter().map(|_| Figures::default()).collect();
    for round in 0..runs {
        for (f, fig) in functions.iter().zip(figures.iter_mut()) {
            let run = cold_start(f, invocations, ticks).await?;
            eprintln!(
                "round {round} {}: init {:.1} ms, invokes {:?} ms, peak RSS {:.1} MiB, CPU {:.0} ms",
                f.label,
                run.init_ms,
                run.invokes_ms
                    .iter()
                    .map(|v| (v * 10.0).round() / 10.0)
                    .collect::<Vec<_>>(),
                run.rss_kib / 1024.0,
                run.cpu_ms
            );
            fig.add(&run);
        }
    }

    let [api, node, rest @ ..] = figures.as_slice() else {
        return Err("no figures".into());
    };
    let mut rows = Vec::new();
    let mut figure_rows = |prefix: &str, fig: &Figures, anchor: Option<&Figures>| {
        let measures: [(&str, &Samples, Option<&Samples>, usize); 5] = [
            ("init ms", &fig.init, anchor.map(|a| &a.init), 1),
            ("first invoke ms", &fig.first, anchor.map(|a| &a.first), 1),
            ("later invokes ms", &fig.later, anchor.map(|a| &a.later), 2),
            ("peak RSS MiB", &fig.rss_mib, anchor.map(|a| &a.rss_mib), 1),
            ("CPU ms", &fig.cpu, anchor.map(|a| &a.cpu), 0),
        ];
        for (name, s, a, digits) in measures {
            rows.push(vec![
                format!("{prefix}{name}"),
                cell(s.min(), digits),
                cell(s.median(), digits),
                cell(s.max(), digits),
                a.map_or("—".to_string(), |a| cell(a.median(), digits)),
                a.map_or("—".to_string(), |a| ratio(a.median(), s.median())),
            ]);
        }
    };
    figure_rows("", api, Some(node));
    if let Some(stream) = rest.first() {
        figure_rows("pika-stream ", stream, Some(node));
    }

    let init_ratio = node.init.median() / api.init.median().max(f64::MIN_POSITIVE);
    let rss_ratio = node.rss_mib.median() / api.rss_mib.median().max(f64::MIN_POSITIVE);
    let met = init_ratio >= 10.0 && rss_ratio >= 4.0;
    let result = RowResult {
        row: 1,
        title: "Lambda cold start: pika-api vs a Node.js 20 handler on the AWS SDK v3".to_string(),
        command: "bash bench/run.sh 01".to_string(),
        columns: [
            "figure",
            "pika-api min",
            "median",
            "max",
            "Node 20 median",
            "ratio (Node / Pika)",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows,
        goal: "pika-api's init at most 1/10 of Node's, its peak RSS at most 1/4 of Node's"
            .to_string(),
        met,
        summary: format!(
            "pika-api reaches the Runtime API in {:.1} ms (Node 20: {:.1} ms, {:.1}× longer) and peaks at {:.1} MiB RSS (Node: {:.1} MiB, {:.1}×); its first GET /sessions takes {:.1} ms (Node: {:.1} ms)",
            api.init.median(),
            node.init.median(),
            init_ratio,
            api.rss_mib.median(),
            node.rss_mib.median(),
            rss_ratio,
            api.first.median(),
            node.first.median(),
        ),
        notes: format!(
            "{runs} cold start(s) of each function, interleaved, each a fresh process under a local stand-in of the Lambda Runtime API (axum on loopback, in the benchmark's process); init is process start to its first GET /2018-06-01/runtime/invocation/next, then {invocations} invocations of an API Gateway REST proxy event GET /sessions with a valid HS256 bearer token (invoke = event handed out to response posted; later invokes pool invocations 2 to {invocations}); peak RSS is VmHWM and CPU is utime+stime from /proc once the process waits for its next event, before it is killed. No network beyond loopback: DynamoDB, S3 and Secrets Manager are moto on 127.0.0.1 (AWS_ENDPOINT_URL, static test credentials, us-east-1), so request latencies are moto's, not AWS's, and no Lambda sandbox, Firecracker or image download is in the figures. \
             pika-api at init: reads its environment, loads the SDK config, builds the DynamoDB/S3/Bedrock/etc. clients, seeds the site configuration (a DynamoDB read, and a write on the first cold start of the run), fetches the HS256 key from Secrets Manager (GetSecretValue); per GET /sessions it verifies the token and Queries the sessions table's byUser index (and whatever else its router does for the route). \
             Node 20 ({node_cmd}, bench/node-baseline, unbundled node_modules from its package-lock): at init imports @aws-sdk/client-dynamodb, lib-dynamodb, client-bedrock-agent-runtime and client-s3 and builds the clients, sending nothing; the HS256 key is a plain environment variable (no Secrets Manager call); its own runtime loop uses fetch; per GET /sessions it verifies the token with node:crypto and sends one DynamoDB Query (byUser, newest first, limit 20). \
             The user has {SEEDED_SESSIONS} sessions. {}{}",
            if tiny() { "Tiny run: debug build of pika-api, one cold start each. " } else { "pika-api built with the profile its zip ships with (release-lambda: fat LTO, one codegen unit, stripped), for this machine's architecture. " },
            if rest.is_empty() { "pika-stream not measured." } else { "pika-stream rows: the same cold start of the stream function (Function URL event GET /sessions, which it refuses with 421 use_rest_api; its init and RSS are the figures that count), beside the same Node medians." },
        ),
    };
    result.write()?;
    Ok(())
}
