//! `pika-local`: the whole Pika platform on one machine. See `docs/local.md`.

use clap::{Parser, Subcommand};
use pika_http::auth::DevClaims;
use pika_local::config::LocalConfig;
use pika_local::server;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "pika-local",
    version,
    about = "Pika on one machine: chat apps for AI agents, no cloud account needed"
)]
struct Cli {
    /// The configuration file (default: pika.toml when it exists).
    #[arg(long, global = true, env = "PIKA_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (the default).
    Serve,
    /// Print a development JWT for a user.
    Token {
        /// The user id.
        #[arg(long)]
        user: String,
        /// `internal-user` or `external-user`.
        #[arg(long = "type", default_value = "external-user")]
        user_type: String,
        /// A role (repeatable), e.g. pika:site-admin.
        #[arg(long = "role")]
        roles: Vec<String>,
        /// The user's entity (custom data `accountId`).
        #[arg(long)]
        account: Option<String>,
    },
}

fn load(cli: &Cli) -> Result<LocalConfig, String> {
    let default = PathBuf::from("pika.toml");
    let path = cli
        .config
        .clone()
        .or_else(|| default.exists().then_some(default));
    LocalConfig::load(path.as_deref(), |k| std::env::var(k).ok()).map_err(|e| e.to_string())
}

fn banner(platform: &server::LocalPlatform, config: &LocalConfig) -> String {
    let url = &platform.public_url;
    let exe = std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "pika-local".to_string());
    let data = config.data_dir().display().to_string();
    let model = match &platform.model {
        server::ModelChoice::Embedded { name, path } => {
            format!("embedded model {name} from {path}")
        }
        server::ModelChoice::OpenAi { base_url, model } => format!("model {model} at {base_url}"),
        server::ModelChoice::None => format!(
            "NO MODEL: turns are refused.\n  {}",
            pika_local::unconfigured::MESSAGE
        ),
    };
    let store = &platform.store;
    let over_http = if config.auth.dev_tokens {
        format!(
            "  # or: curl -s -X POST {url}/dev/token -H 'content-type: application/json' -d '{{\"userId\":\"alice\"}}'\n"
        )
    } else {
        String::new()
    };
    format!(
        "\nPika is running at {url} ({model}; data in {store}).\n\n\
         Get a development token:\n  \
         TOKEN=$(PIKA_DATA_DIR={data} {exe} token --user alice --type internal-user)\n\
         {over_http}\n\
         Chat with the demo agent (streamed as server-sent events):\n  \
         curl -N -X POST {url}/chat/demo/messages -H \"authorization: Bearer $TOKEN\" \\\n       \
         -H 'content-type: application/json' -d '{{\"message\":\"What time is it in Tokyo?\"}}'\n\n\
         API description: {url}/openapi.json\n"
    )
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,tantivy=warn,llama_cpp_2=warn,llama-cpp-2=warn")
    });
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn run(cli: Cli) -> Result<(), String> {
    let config = load(&cli)?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Token {
            user,
            user_type,
            roles,
            account,
        } => {
            let mut claims = DevClaims::new(user);
            claims.user_type = Some(user_type);
            claims.roles = roles;
            if let Some(a) = account {
                claims
                    .custom_data
                    .insert("accountId".to_string(), serde_json::Value::String(a));
            }
            println!("{}", server::dev_token(&config, claims).await?);
            Ok(())
        }
        Command::Serve => {
            init_tracing();
            let platform = server::build(&config).await?;
            eprintln!("{}", banner(&platform, &config));
            server::serve(platform).await
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("pika-local: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pika-local: {e}");
            ExitCode::FAILURE
        }
    }
}
