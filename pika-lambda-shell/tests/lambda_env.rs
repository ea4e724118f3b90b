//! The Lambda functions' environment: refused at cold start with the
//! variable named, and — against the CDK stack's synthesized template
//! (`bash infra/synth.sh`) — every variable a function needs is set by the
//! stack, and the stack sets no `PIKA_*` variable the binary does not read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

mod template_support;

use pika_domain::site::SiteConfig;
use pika_lambda_shell::env::{AuthEnv, FunctionKind, LambdaEnv, RuntimeKind, SearchTarget};
use serde_json::Value;
use std::collections::BTreeMap;
use template_support::template;

const BASE: &[(&str, &str)] = &[
    ("PIKA_TABLE_PREFIX", "pika"),
    ("PIKA_FILES_BUCKET", "files"),
    ("PIKA_INSIGHTS_BUCKET", "insights"),
    ("PIKA_AGENT_RUNTIME", "converse"),
];

fn read(function: FunctionKind, extra: &[(&str, &str)]) -> Result<LambdaEnv, String> {
    let mut vars: BTreeMap<String, String> = BASE
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    vars.entry("PIKA_FUNCTION".to_string())
        .or_insert_with(|| function.as_str().to_string());
    LambdaEnv::read(function, |k| vars.get(k).cloned()).map_err(|e| e.to_string())
}

#[test]
fn a_complete_environment_reads_back() {
    let env = read(
        FunctionKind::Stream,
        &[
            ("PIKA_AUTH_MODE", "jwt"),
            (
                "PIKA_JWKS_URL",
                "https://cognito-idp.us-east-1.amazonaws.com/p/.well-known/jwks.json",
            ),
            (
                "PIKA_JWT_ISSUER",
                "https://cognito-idp.us-east-1.amazonaws.com/p",
            ),
            ("PIKA_JWT_AUDIENCE", "client"),
            ("PIKA_SEARCH_DOMAIN", "pika-search"),
            ("PIKA_AGENT_RUNTIME", "inline-agent"),
            ("PIKA_TURN_DEADLINE_MARGIN_MS", "15000"),
            ("PIKA_CORS_ORIGINS", "https://a.example, https://b.example"),
        ],
    )
    .unwrap();
    assert_eq!(env.runtime, RuntimeKind::InlineAgent);
    assert_eq!(env.search, SearchTarget::Domain("pika-search".to_string()));
    assert_eq!(env.deadline_margin.as_millis(), 15000);
    assert!(
        env.cors_origins.is_empty(),
        "the stream's URL answers CORS; its router adds nothing"
    );
    assert!(env.tool_tag_check, "tag checking is on unless turned off");
    assert!(matches!(env.auth, Some(AuthEnv::Jwt { .. })));
    assert!(
        env.http_tools.allow_private.is_empty(),
        "private ranges stay closed"
    );
    let opened = read(
        FunctionKind::Stream,
        &[
            ("PIKA_AUTH_MODE", "jwt"),
            ("PIKA_JWKS_URL", "https://idp.example/jwks.json"),
            ("PIKA_JWT_ISSUER", "https://idp.example"),
            ("PIKA_JWT_AUDIENCE", "client"),
            (
                "PIKA_HTTP_TOOLS_ALLOWED_HOSTS",
                "tools.example.com, api.example.com",
            ),
            ("PIKA_HTTP_TOOLS_ALLOW_PRIVATE", "10.0.0.0/16"),
        ],
    );
    let opened = opened.unwrap();
    assert_eq!(
        opened.http_tools.allowed_hosts,
        ["tools.example.com", "api.example.com"]
    );
    assert_eq!(opened.http_tools.allow_private.len(), 1);
    let typo = read(
        FunctionKind::Stream,
        &[
            ("PIKA_AUTH_MODE", "jwt"),
            ("PIKA_JWKS_URL", "https://idp.example/jwks.json"),
            ("PIKA_JWT_ISSUER", "https://idp.example"),
            ("PIKA_JWT_AUDIENCE", "client"),
            ("PIKA_HTTP_TOOLS_ALLOW_PRIVATE", "10.0.0.0/16, 10.1.0.0/33"),
        ],
    )
    .unwrap_err();
    assert!(
        typo.contains("PIKA_HTTP_TOOLS_ALLOW_PRIVATE") && typo.contains("10.1.0.0/33"),
        "{typo}"
    );
    let api = read(
        FunctionKind::Api,
        &[
            ("PIKA_AUTH_MODE", "authorizer"),
            ("PIKA_CORS_ORIGINS", "https://a.example, https://b.example"),
        ],
    )
    .unwrap();
    assert_eq!(api.cors_origins, ["https://a.example", "https://b.example"]);
}

#[test]
fn the_memory_namespaces_come_from_the_environment() {
    let env = read(
        FunctionKind::Stream,
        &[
            ("PIKA_AUTH_MODE", "jwt"),
            ("PIKA_JWKS_URL", "https://idp.example/jwks.json"),
            ("PIKA_JWT_ISSUER", "https://idp.example"),
            ("PIKA_JWT_AUDIENCE", "client"),
            ("PIKA_MEMORY_ID", "pikamem-1"),
            ("PIKA_MEMORY_FACTS_NAMESPACE", "/tenants/{actorId}/facts"),
        ],
    )
    .unwrap();
    let config = pika_lambda_shell::compose::memory_config("pikamem-1", &env);
    assert_eq!(config.semantic_namespace, "/tenants/{actorId}/facts");
    assert_eq!(config.preferences_namespace, "/users/{actorId}/preferences");
}

#[test]
fn the_stream_answers_cors_once_through_its_function_url() {
    let Some(template) = template() else { return };
    let resources = template["Resources"].as_object().unwrap();
    let url = resources
        .values()
        .find(|r| r["Type"] == "AWS::Lambda::Url")
        .unwrap();
    // The URL's own CORS configuration is the one authority: absent when
    // no origin is configured (the default), else listing them.
    if let Some(cors) = url["Properties"].get("Cors") {
        assert!(
            cors["AllowOrigins"]
                .as_array()
                .is_some_and(|o| !o.is_empty()),
            "{cors}"
        );
    }
    let stream = resources
        .values()
        .find(|r| r["Properties"]["Environment"]["Variables"]["PIKA_FUNCTION"] == "stream")
        .unwrap();
    assert!(
        stream["Properties"]["Environment"]["Variables"]
            .get("PIKA_CORS_ORIGINS")
            .is_none(),
        "the stream's router would add CORS headers a second time"
    );
}

#[test]
fn every_missing_or_malformed_variable_is_named() {
    // (function, variables beside the base ones, what the error must name)
    type Case<'a> = (FunctionKind, &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (
            FunctionKind::Jobs,
            &[("PIKA_TABLE_PREFIX", " ")],
            "PIKA_TABLE_PREFIX: missing",
        ),
        (
            FunctionKind::Jobs,
            &[("PIKA_FUNCTION", "api")],
            "PIKA_FUNCTION",
        ),
        (
            FunctionKind::Jobs,
            &[("PIKA_AGENT_RUNTIME", "gpt")],
            "PIKA_AGENT_RUNTIME",
        ),
        (FunctionKind::Api, &[], "PIKA_AUTH_MODE: missing"),
        (
            FunctionKind::Stream,
            &[("PIKA_AUTH_MODE", "authorizer")],
            "PIKA_AUTH_MODE",
        ),
        (
            FunctionKind::Api,
            &[("PIKA_AUTH_MODE", "jwt")],
            "PIKA_JWKS_URL",
        ),
        (
            FunctionKind::Api,
            &[
                ("PIKA_AUTH_MODE", "jwt"),
                ("PIKA_JWKS_URL", "https://x/jwks"),
            ],
            "PIKA_JWT_ISSUER",
        ),
        (
            FunctionKind::Jobs,
            &[("PIKA_SEARCH_ENDPOINT", "search.local")],
            "PIKA_SEARCH_ENDPOINT",
        ),
        (
            FunctionKind::Jobs,
            &[("PIKA_GUARDRAIL_ID", "g")],
            "PIKA_GUARDRAIL_VERSION",
        ),
        (
            FunctionKind::Jobs,
            &[("PIKA_TOOL_TAG_CHECK", "yes")],
            "PIKA_TOOL_TAG_CHECK",
        ),
        (
            FunctionKind::Jobs,
            &[("PIKA_S3_FORCE_PATH_STYLE", "yes")],
            "PIKA_S3_FORCE_PATH_STYLE",
        ),
        (
            FunctionKind::Jobs,
            &[("PIKA_TURN_DEADLINE_MARGIN_MS", "ten")],
            "PIKA_TURN_DEADLINE_MARGIN_MS",
        ),
    ];
    for (function, extra, named) in cases {
        let err = read(*function, extra).unwrap_err();
        assert!(err.contains(named), "{extra:?}: {err}");
    }
}

const API: &[(&str, &str)] = &[("PIKA_AUTH_MODE", "authorizer")];

#[test]
fn the_site_seed_comes_from_the_api_functions_environment() {
    let default = pika_lambda_shell::site_seed(&read(FunctionKind::Api, API).unwrap());
    assert_eq!(default, SiteConfig::default());
    let chosen = pika_lambda_shell::site_seed(
        &read(
            FunctionKind::Api,
            &[
                ("PIKA_AUTH_MODE", "authorizer"),
                ("PIKA_INSIGHTS_MODEL_ID", "amazon.nova-lite-v1:0"),
                (
                    "PIKA_SITE_CONFIG",
                    r#"{"features":{"entity":{"enabled":true,"attributePath":"accountId"}},"quotas":{"entityTokensPerWindow":5000}}"#,
                ),
            ],
        )
        .unwrap(),
    );
    assert_eq!(chosen.insights.model_id, "amazon.nova-lite-v1:0");
    assert_eq!(chosen.entity_attribute_path(), Some("accountId"));
    assert_eq!(chosen.quotas.entity_tokens_per_window, Some(5000));
}

#[test]
fn a_malformed_or_invalid_site_seed_stops_the_cold_start_naming_the_variable() {
    for bad in [
        "{not json",
        r#"{"features":{"entity":{"enabled":true}}}"#,
        r#"{"quotas":{"windowHours":0}}"#,
        r#"{"turn":{"maxOutputTokens":"many"}}"#,
        r#"{"featuers":{}}"#,
    ] {
        let err = read(
            FunctionKind::Api,
            &[("PIKA_AUTH_MODE", "authorizer"), ("PIKA_SITE_CONFIG", bad)],
        )
        .unwrap_err();
        assert!(err.contains("PIKA_SITE_CONFIG"), "{bad}: {err}");
    }
}

#[test]
fn each_function_reads_what_it_requires() {
    for f in [FunctionKind::Api, FunctionKind::Stream, FunctionKind::Jobs] {
        for required in f.required() {
            assert!(f.variables().contains(&required), "{f:?} {required}");
        }
    }
}

#[test]
fn the_cdk_stack_sets_what_each_function_reads() {
    let Some(template) = template() else { return };
    let mut seen = Vec::new();
    for resource in template["Resources"].as_object().unwrap().values() {
        if resource["Type"] != "AWS::Lambda::Function" {
            continue;
        }
        let vars = resource["Properties"]["Environment"]["Variables"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let Some(function) = vars.get("PIKA_FUNCTION").and_then(Value::as_str) else {
            continue;
        };
        let kind = match function {
            "api" => FunctionKind::Api,
            "stream" => FunctionKind::Stream,
            "jobs" => FunctionKind::Jobs,
            other => panic!("a function with PIKA_FUNCTION={other}"),
        };
        seen.push(kind);
        for name in vars.keys().filter(|k| k.starts_with("PIKA_")) {
            assert!(
                kind.variables().contains(&name.as_str()),
                "the stack sets {name} on {function}, which the binary does not read"
            );
        }
        // Values CloudFormation fills in at deploy time (bucket names,
        // ARNs, URLs) stand in as plausible literals.
        let literal = |name: &str| -> Option<String> {
            vars.get(name).map(|v| match v.as_str() {
                Some(text) => text.to_string(),
                None if name.ends_with("_URL")
                    || name.ends_with("ENDPOINT")
                    || name.ends_with("ISSUER") =>
                {
                    "https://deploy-time.example".to_string()
                }
                None => "deploy-time-value".to_string(),
            })
        };
        if let Err(e) = LambdaEnv::read(kind, literal) {
            panic!("the {function} function would not start: {e}");
        }
    }
    seen.sort_by_key(|k| k.as_str());
    assert_eq!(
        seen,
        [FunctionKind::Api, FunctionKind::Jobs, FunctionKind::Stream],
        "one function of each kind"
    );
}

#[test]
fn tables_and_logs_survive_deletion_but_not_a_failed_first_deploy() {
    let Some(template) = template() else { return };
    let mut checked = 0;
    for (id, resource) in template["Resources"].as_object().unwrap() {
        let kind = resource["Type"].as_str().unwrap_or_default();
        if kind == "AWS::DynamoDB::Table" || kind == "AWS::Logs::LogGroup" {
            // RETAIN_ON_UPDATE_OR_DELETE: kept on delete and replacement,
            // rolled back when the stack's creation fails (so a retried
            // first deploy finds the names free).
            assert_eq!(resource["DeletionPolicy"], "RetainExceptOnCreate", "{id}");
            assert_eq!(resource["UpdateReplacePolicy"], "Retain", "{id}");
            checked += 1;
        }
    }
    assert!(checked >= 12, "9 tables and 3 log groups, found {checked}");
}

#[test]
fn the_stack_seeds_entities_by_account_through_the_api_function() {
    let Some(template) = template() else { return };
    let api = template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .find(|r| r["Properties"]["Environment"]["Variables"]["PIKA_FUNCTION"] == "api")
        .unwrap();
    let seed = api["Properties"]["Environment"]["Variables"]["PIKA_SITE_CONFIG"]
        .as_str()
        .unwrap();
    let site: SiteConfig = serde_json::from_str(seed).unwrap();
    assert_eq!(site.entity_attribute_path(), Some("accountId"));
}

/// A key schema as (attribute, HASH|RANGE) pairs.
fn key_schema(schema: &Value) -> Vec<(String, String)> {
    schema
        .as_array()
        .unwrap()
        .iter()
        .map(|k| {
            (
                k["AttributeName"].as_str().unwrap().to_string(),
                k["KeyType"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn spec_schema(key: &pika_aws_adapters::dynamodb::tables::KeySpec) -> Vec<(String, String)> {
    let mut out = vec![(key.partition.to_string(), "HASH".to_string())];
    if let Some(sort) = key.sort {
        out.push((sort.to_string(), "RANGE".to_string()));
    }
    out
}

#[test]
fn the_cdk_stack_declares_the_tables_the_adapters_use() {
    let Some(template) = template() else { return };
    let tables: BTreeMap<String, &Value> = template["Resources"]
        .as_object()
        .unwrap()
        .values()
        .filter(|r| r["Type"] == "AWS::DynamoDB::Table")
        .map(|r| {
            (
                r["Properties"]["TableName"].as_str().unwrap().to_string(),
                &r["Properties"],
            )
        })
        .collect();
    assert_eq!(tables.len(), pika_aws_adapters::dynamodb::ALL_TABLES.len());
    for spec in pika_aws_adapters::dynamodb::ALL_TABLES {
        let name = pika_aws_adapters::dynamodb::table_name("pika", spec);
        let table = tables
            .get(&name)
            .unwrap_or_else(|| panic!("no table {name}"));
        assert_eq!(
            key_schema(&table["KeySchema"]),
            spec_schema(&spec.key),
            "{name}"
        );
        assert_eq!(table["BillingMode"], "PAY_PER_REQUEST", "{name}");
        assert_eq!(
            table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"], true,
            "{name}"
        );
        let indexes: BTreeMap<String, Vec<(String, String)>> = table["GlobalSecondaryIndexes"]
            .as_array()
            .map(|all| {
                all.iter()
                    .map(|g| {
                        assert_eq!(g["Projection"]["ProjectionType"], "ALL");
                        (
                            g["IndexName"].as_str().unwrap().to_string(),
                            key_schema(&g["KeySchema"]),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        let expected: BTreeMap<String, Vec<(String, String)>> = spec
            .indexes
            .iter()
            .map(|i| (i.name.to_string(), spec_schema(&i.key)))
            .collect();
        assert_eq!(indexes, expected, "{name}");
        let ttl = table["TimeToLiveSpecification"]["AttributeName"].as_str();
        assert_eq!(ttl, spec.ttl, "{name}");
    }
}
