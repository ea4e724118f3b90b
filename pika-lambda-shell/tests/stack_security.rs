#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]
//! The CDK stack's security settings, read from its synthesized template
//! (`bash infra/synth.sh`; CI runs it first): what a default deployment
//! gets without any context.

mod template_support;

use serde_json::Value;
use template_support::template;

/// The resources of `kind`, by logical id.
fn of_kind<'a>(template: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    template["Resources"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

#[test]
fn no_hs256_key_exists_unless_an_operator_asks_for_one() {
    let Some(template) = template() else { return };
    assert!(
        of_kind(&template, "AWS::SecretsManager::Secret").is_empty(),
        "no HS256 key by default: whoever reads it mints site admins"
    );
    let functions = of_kind(&template, "AWS::Lambda::Function");
    assert_eq!(functions.len(), 3);
    for (id, function) in functions {
        let vars = &function["Properties"]["Environment"]["Variables"];
        assert!(vars.get("PIKA_JWT_SECRET_ARN").is_none(), "{id}");
        if vars["PIKA_FUNCTION"] == "stream" {
            assert!(
                vars.get("PIKA_JWKS_URL").is_some(),
                "the stream verifies Cognito's tokens"
            );
        }
    }
}

#[test]
fn every_table_is_protected_from_deletion() {
    let Some(template) = template() else { return };
    let tables = of_kind(&template, "AWS::DynamoDB::Table");
    assert_eq!(tables.len(), 9);
    for (id, table) in tables {
        assert_eq!(
            table["Properties"]["DeletionProtectionEnabled"], true,
            "{id}"
        );
    }
}

#[test]
fn the_rest_api_writes_an_access_log_line_per_request() {
    let Some(template) = template() else { return };
    let stages = of_kind(&template, "AWS::ApiGateway::Stage");
    assert_eq!(stages.len(), 1);
    let setting = &stages[0].1["Properties"]["AccessLogSetting"];
    assert!(setting["DestinationArn"].is_object(), "{setting}");
    let format: Value = serde_json::from_str(setting["Format"].as_str().unwrap()).unwrap();
    for field in ["requestId", "ip", "user", "method", "path", "status"] {
        assert!(format.get(field).is_some(), "{field} in {format}");
    }
    assert_eq!(
        of_kind(&template, "AWS::ApiGateway::Account").len(),
        1,
        "access logging needs API Gateway's CloudWatch role"
    );
}

#[test]
fn a_scheduled_job_that_cannot_be_delivered_lands_in_an_alarmed_dead_letter_queue() {
    let Some(template) = template() else { return };
    let queues = of_kind(&template, "AWS::SQS::Queue");
    assert_eq!(queues.len(), 1);
    let queue_id = queues[0].0;
    let rules = of_kind(&template, "AWS::Events::Rule");
    assert_eq!(rules.len(), 3);
    for (id, rule) in rules {
        for target in rule["Properties"]["Targets"].as_array().unwrap() {
            assert_eq!(
                target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0], *queue_id,
                "{id}"
            );
        }
    }
    let alarmed = of_kind(&template, "AWS::CloudWatch::Alarm")
        .into_iter()
        .any(|(_, a)| {
            a["Properties"]["Dimensions"]
                .as_array()
                .is_some_and(|d| d.iter().any(|d| d["Value"]["Fn::GetAtt"][0] == *queue_id))
        });
    assert!(alarmed, "an alarm watches the dead-letter queue");
}

#[test]
fn the_stream_function_has_reserved_concurrency() {
    let Some(template) = template() else { return };
    let functions = of_kind(&template, "AWS::Lambda::Function");
    for (id, function) in functions {
        let props = &function["Properties"];
        let reserved = &props["ReservedConcurrentExecutions"];
        if props["Environment"]["Variables"]["PIKA_FUNCTION"] == "stream" {
            assert_eq!(reserved, 50, "{id}: turns at once are capped");
        } else {
            assert!(reserved.is_null(), "{id}: only the stream is capped");
        }
    }
}

#[test]
fn only_the_jobs_function_may_destroy_old_versions_of_insight_documents() {
    let Some(template) = template() else { return };
    let roles: Vec<String> = of_kind(&template, "AWS::Lambda::Function")
        .iter()
        .map(|(_, f)| {
            let function = f["Properties"]["Environment"]["Variables"]["PIKA_FUNCTION"]
                .as_str()
                .unwrap()
                .to_string();
            let may_purge = of_kind(&template, "AWS::IAM::Policy").iter().any(|(_, p)| {
                let attached = p["Properties"]["Roles"].to_string();
                let role = f["Properties"]["Role"]["Fn::GetAtt"][0]
                    .as_str()
                    .unwrap_or("?");
                attached.contains(role)
                    && p["Properties"]["PolicyDocument"]["Statement"]
                        .to_string()
                        .contains("s3:DeleteObjectVersion")
            });
            format!("{function}:{may_purge}")
        })
        .collect();
    let mut roles = roles;
    roles.sort();
    assert_eq!(roles, ["api:false", "jobs:true", "stream:false"]);
}

#[test]
fn cognito_threat_protection_is_on() {
    let Some(template) = template() else { return };
    let pools = of_kind(&template, "AWS::Cognito::UserPool");
    assert_eq!(pools.len(), 1);
    let pool = &pools[0].1["Properties"];
    assert_eq!(pool["UserPoolTier"], "PLUS");
    assert_eq!(pool["UserPoolAddOns"]["AdvancedSecurityMode"], "ENFORCED");
}

#[test]
fn no_origin_is_allowed_unless_configured() {
    let Some(template) = template() else { return };
    let text = template.to_string();
    assert!(!text.contains("localhost"), "no default localhost origin");
    for (id, url) in of_kind(&template, "AWS::Lambda::Url") {
        assert!(url["Properties"].get("Cors").is_none(), "{id}");
    }
    for (id, method) in of_kind(&template, "AWS::ApiGateway::Method") {
        assert_ne!(method["Properties"]["HttpMethod"], "OPTIONS", "{id}");
    }
}

#[test]
fn the_insights_lock_does_not_outlive_the_jobs_function() {
    let Some(template) = template() else { return };
    let jobs = of_kind(&template, "AWS::Lambda::Function")
        .into_iter()
        .find(|(_, f)| f["Properties"]["Environment"]["Variables"]["PIKA_FUNCTION"] == "jobs")
        .unwrap()
        .1;
    let timeout = jobs["Properties"]["Timeout"].as_i64().unwrap();
    let lock = pika_domain::site::InsightsSettings::default().lock_ttl_seconds;
    assert!(
        lock <= timeout,
        "a run killed at {timeout} s must not hold the lock for {lock} s"
    );
}

/// The statements of the role of the function with `PIKA_FUNCTION` = `kind`.
fn statements_of(template: &Value, kind: &str) -> Vec<Value> {
    let role = of_kind(template, "AWS::Lambda::Function")
        .into_iter()
        .find(|(_, f)| f["Properties"]["Environment"]["Variables"]["PIKA_FUNCTION"] == kind)
        .unwrap()
        .1["Properties"]["Role"]["Fn::GetAtt"][0]
        .clone();
    of_kind(template, "AWS::IAM::Policy")
        .into_iter()
        .filter(|(_, p)| p["Properties"]["Roles"][0]["Ref"] == role)
        .flat_map(|(_, p)| {
            p["Properties"]["PolicyDocument"]["Statement"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .collect()
}

/// Erasure runs on the api function and stops the user's running turns
/// first: its role may write their stop flags in the turns table.
#[test]
fn the_api_function_may_stop_turns_before_an_erasure() {
    let Some(template) = template() else { return };
    let may_update_turns = statements_of(&template, "api").iter().any(|s| {
        s["Action"].to_string().contains("dynamodb:UpdateItem")
            && s["Resource"].to_string().contains("TurnsTable")
    });
    assert!(may_update_turns, "{:?}", statements_of(&template, "api"));
}

/// Turns search the agents' knowledge bases: the stream function may call
/// `Retrieve` on this account's knowledge bases, and only it.
#[test]
fn only_the_stream_function_may_retrieve_from_knowledge_bases() {
    let Some(template) = template() else { return };
    let retrieves = |kind: &str| {
        statements_of(&template, kind).iter().any(|s| {
            s["Action"].to_string().contains("bedrock:Retrieve")
                && s["Resource"].to_string().contains("knowledge-base/*")
        })
    };
    assert!(
        retrieves("stream"),
        "{:?}",
        statements_of(&template, "stream")
    );
    assert!(!retrieves("api"));
    assert!(!retrieves("jobs"));
}

/// The stream function records its callers and reads their user data
/// overrides at every turn: its role reaches the users table, or overrides
/// would silently not apply on Lambda.
#[test]
fn the_stream_function_reads_and_records_users() {
    let Some(template) = template() else { return };
    let statements = statements_of(&template, "stream");
    let on_users = |action: &str| {
        statements.iter().any(|s| {
            s["Action"].to_string().contains(action)
                && s["Resource"].to_string().contains("UsersTable")
        })
    };
    assert!(on_users("dynamodb:GetItem"), "{statements:?}");
    assert!(on_users("dynamodb:PutItem"), "{statements:?}");
}

/// Tags' component modules live in the assets bucket: the api function,
/// which uploads and serves them, may read and write `components/*` there
/// (and is told the bucket); the other functions may not touch it.
#[test]
fn only_the_api_function_reaches_the_component_modules() {
    let Some(template) = template() else { return };
    let on_assets = |kind: &str, action: &str| {
        statements_of(&template, kind).iter().any(|s| {
            s["Action"].to_string().contains(action)
                && s["Resource"].to_string().contains("AssetsBucket")
        })
    };
    assert!(
        on_assets("api", "s3:GetObject"),
        "{:?}",
        statements_of(&template, "api")
    );
    assert!(on_assets("api", "s3:PutObject"));
    assert!(!on_assets("stream", "s3:"));
    assert!(!on_assets("jobs", "s3:"));
    let api = of_kind(&template, "AWS::Lambda::Function")
        .into_iter()
        .find(|(_, f)| f["Properties"]["Environment"]["Variables"]["PIKA_FUNCTION"] == "api")
        .unwrap();
    assert_eq!(
        api.1["Properties"]["Environment"]["Variables"]["PIKA_ASSETS_BUCKET"]["Ref"],
        "AssetsBucket"
    );
}

/// The page loads component modules as scripts, without a token: the REST
/// API lets `GET /components/{name}` through without the authorizer, and
/// nothing else beside `/health`.
#[test]
fn only_health_and_component_modules_skip_the_authorizer() {
    let Some(template) = template() else { return };
    let resources: std::collections::HashMap<&String, &Value> =
        of_kind(&template, "AWS::ApiGateway::Resource")
            .into_iter()
            .collect();
    let mut open: Vec<String> = of_kind(&template, "AWS::ApiGateway::Method")
        .into_iter()
        .filter(|(_, m)| m["Properties"]["AuthorizationType"] == "NONE")
        .filter(|(_, m)| m["Properties"]["HttpMethod"] != "OPTIONS")
        .map(|(_, m)| {
            let mut path = Vec::new();
            let mut at = m["Properties"]["ResourceId"]["Ref"]
                .as_str()
                .map(String::from);
            while let Some(id) = at {
                let Some(r) = resources.get(&id) else { break };
                path.push(
                    r["Properties"]["PathPart"]
                        .as_str()
                        .unwrap_or("?")
                        .to_string(),
                );
                at = r["Properties"]["ParentId"]["Ref"]
                    .as_str()
                    .map(String::from);
            }
            path.reverse();
            format!(
                "{} /{}",
                m["Properties"]["HttpMethod"].as_str().unwrap_or("?"),
                path.join("/")
            )
        })
        .collect();
    open.sort();
    assert_eq!(open, ["GET /components/{name}", "GET /health"]);
}
