//! The port bundle of a Lambda container, built once at cold start from
//! the AWS adapters and the environment ([`LambdaEnv`]): clients are created
//! here, never per request.

use super::env::{FunctionKind, LambdaEnv, RuntimeKind, SearchTarget};
use super::split_files::SplitFileStore;
use pika_aws_adapters::aws::SdkConfig;
use pika_aws_adapters::bedrock::{
    BedrockKnowledge, BedrockOptions, ConverseCompletions, ConverseRuntime, InlineAgentRuntime,
};
use pika_aws_adapters::dynamodb::{Dynamo, DynamoStores};
use pika_aws_adapters::emf::EmfMetrics;
use pika_aws_adapters::lambda_tools::{LambdaToolInvoker, LambdaToolsConfig};
use pika_aws_adapters::memory::{AgentCoreMemory, AgentCoreMemoryConfig};
use pika_aws_adapters::opensearch::{
    resolve_domain_endpoint, IndexName, OpenSearchConfig, OpenSearchIndex,
};
use pika_aws_adapters::s3::{S3Config, S3FileStore};
use pika_domain::agent::GuardrailConfig;
use pika_ports::{AgentRuntime, FileStore, PortError, Ports, SearchIndex, UserMemory};
use pika_ports::{NoMemory, NoSearch};
use pika_service::Platform;
use pika_tool_adapters::dispatch::ToolDispatcher;
use pika_tool_adapters::http::{HttpToolInvoker, HttpToolsConfig};
use pika_tool_adapters::mcp::McpToolInvoker;
use std::sync::Arc;

/// The OpenSearch index of Pika's documents.
pub const SEARCH_INDEX: &str = "pika-messages";

/// The AgentCore Memory configuration of `env`: its namespace templates
/// where the environment names them, else the defaults.
pub fn memory_config(memory_id: &str, env: &LambdaEnv) -> AgentCoreMemoryConfig {
    let mut config = AgentCoreMemoryConfig::new(memory_id);
    let (preferences, facts) = &env.memory_namespaces;
    if let Some(template) = preferences {
        config.preferences_namespace = template.clone();
    }
    if let Some(template) = facts {
        config.semantic_namespace = template.clone();
    }
    config
}

/// Every port on AWS for `env`.
///
/// # Errors
/// When an adapter cannot be configured (e.g. an OpenSearch domain that
/// cannot be resolved); the message says which.
pub async fn aws_ports(env: &LambdaEnv, sdk: &SdkConfig) -> Result<Ports, PortError> {
    let stores = DynamoStores::new(&Dynamo::from_sdk_config(sdk, env.table_prefix.clone()));
    let bedrock = BedrockOptions {
        guardrail: env.guardrail.as_ref().map(|(id, version)| GuardrailConfig {
            guardrail_identifier: id.clone(),
            guardrail_version: version.clone(),
        }),
        ..BedrockOptions::default()
    };
    let runtime: Arc<dyn AgentRuntime> = match env.runtime {
        RuntimeKind::Converse => Arc::new(ConverseRuntime::new(sdk, bedrock.clone())),
        RuntimeKind::InlineAgent => Arc::new(InlineAgentRuntime::new(sdk, bedrock.clone())),
    };
    let bucket = |name: &String| S3Config {
        force_path_style: env.s3_force_path_style,
        ..S3Config::new(name.clone())
    };
    let uploads = S3FileStore::new(sdk, bucket(&env.files_bucket));
    let files: Arc<dyn FileStore> = Arc::new(SplitFileStore::new(
        Arc::new(uploads.clone()),
        // Versioned bucket: only the jobs function destroys old versions
        // (its cleanup purges what the api's deletions marked deleted);
        // the function facing users deletes, and may not destroy history.
        Arc::new(S3FileStore::new(
            sdk,
            S3Config {
                versioned: env.function == FunctionKind::Jobs,
                ..bucket(&env.insights_bucket)
            },
        )),
        match &env.assets_bucket {
            Some(name) => Arc::new(S3FileStore::new(sdk, bucket(name))),
            None => Arc::new(uploads),
        },
    ));
    let search: Arc<dyn SearchIndex> = match &env.search {
        SearchTarget::Off => Arc::new(NoSearch),
        SearchTarget::Endpoint(url) => Arc::new(open_search(url, sdk)?),
        SearchTarget::Domain(name) => {
            let url = resolve_domain_endpoint(sdk, name).await?;
            Arc::new(open_search(url.as_str(), sdk)?)
        }
    };
    let memory: Arc<dyn UserMemory> = match &env.memory_id {
        // A template without `{actorId}` (every user's records in one
        // namespace) stops the cold start here.
        Some(id) => Arc::new(AgentCoreMemory::new(sdk, memory_config(id, env))?),
        None => Arc::new(NoMemory),
    };
    let tools = LambdaToolsConfig {
        require_tag: env.tool_tag_check,
        ..LambdaToolsConfig::default()
    };
    let tool_invoker = tool_executors(env, sdk, LambdaToolInvoker::new(sdk, tools)).await?;
    let (ports, _) = Platform::builder()
        .sessions(stores.sessions)
        .messages(stores.messages)
        .chat_apps(stores.chat_apps)
        .site(stores.site)
        .agents(stores.agents)
        .tools(stores.tools)
        .users(stores.users)
        .feedback(stores.feedback)
        .usage(stores.usage)
        .job_lock(stores.job_lock)
        .turns(stores.turns)
        .allowances(stores.allowances)
        .runtime(runtime)
        .completions(Arc::new(ConverseCompletions::new(sdk, bedrock)))
        .tool_invoker(Arc::new(tool_invoker))
        .files(files)
        .search(search)
        // `Retrieve` for the Converse path's search tool (the inline agent
        // searches its knowledge bases itself); an agent without knowledge
        // bases never calls it.
        .knowledge(Arc::new(BedrockKnowledge::new(sdk)))
        .memory(memory)
        // EMF lines on stdout: CloudWatch turns them into metrics, no API call.
        .metrics(Arc::new(EmfMetrics::stdout("Pika")))
        // A turn's writes as two DynamoDB transactions.
        .journal(stores.journal)
        .ports()
        .map_err(|e| PortError::permanent(e.to_string()))?;
    Ok(ports)
}

fn open_search(url: &str, sdk: &SdkConfig) -> Result<OpenSearchIndex, PortError> {
    let endpoint = pika_aws_adapters::opensearch::Url::parse(url)
        .map_err(|e| PortError::permanent(format!("search endpoint {url:?}: {e}")))?;
    let config = OpenSearchConfig::aws(endpoint, IndexName::parse(SEARCH_INDEX)?);
    OpenSearchIndex::new(&config, sdk)
}

/// Every tool kind a Lambda deployment runs: Lambda functions, and `http`
/// and `mcp` tools behind the SSRF guard (their header secrets read once
/// per container). Every function has the same kinds, so the api function's
/// admin routes accept exactly the tools the stream function can run.
///
/// # Errors
/// When the tools' secret cannot be read.
async fn tool_executors(
    env: &LambdaEnv,
    sdk: &SdkConfig,
    lambda: LambdaToolInvoker,
) -> Result<ToolDispatcher, PortError> {
    let secrets = match &env.http_tools.secrets_arn {
        Some(arn) => {
            let client = aws_sdk_secretsmanager::Client::new(sdk);
            crate::secrets::tool_secrets(&client, arn)
                .await
                .map_err(|e| PortError::permanent(e.to_string()))?
        }
        None => Default::default(),
    };
    let guard = HttpToolsConfig {
        allowed_hosts: env.http_tools.allowed_hosts.clone(),
        allow_private: env.http_tools.allow_private.clone(),
        secrets,
        ..HttpToolsConfig::default()
    };
    Ok(ToolDispatcher::new()
        .with(Arc::new(lambda))
        .with(Arc::new(McpToolInvoker::new(guard.clone())))
        .with(Arc::new(HttpToolInvoker::new(guard))))
}
