//! API Gateway's authorizer claims → the router's identity source in
//! [`AuthMode::AuthorizerContext`](pika_http::auth::AuthMode): the REST API's
//! Cognito (or JWT) authorizer verified the token; its claims arrive in the
//! event's request context and are put on the request as
//! [`AuthorizerClaims`] for the router's authentication layer.

use lambda_http::request::RequestContext;
use lambda_http::RequestExt;
use pika_http::auth::AuthorizerClaims;
use serde_json::{Map, Value};

/// Copies the authorizer's claims of a Lambda HTTP request into an
/// [`AuthorizerClaims`] extension. A request without claims gets none (the
/// router then answers 401).
pub fn attach_claims(mut request: lambda_http::Request) -> lambda_http::Request {
    if let Some(claims) = claims_of(&request) {
        request.extensions_mut().insert(AuthorizerClaims(claims));
    }
    request
}

fn claims_of(request: &lambda_http::Request) -> Option<Map<String, Value>> {
    let authorizer = match request.request_context_ref()? {
        RequestContext::ApiGatewayV1(ctx) => ctx.authorizer.clone(),
        RequestContext::ApiGatewayV2(ctx) => ctx.authorizer.clone()?,
        _ => return None,
    };
    // Cognito user pool authorizers put the token's claims under `claims`
    // (REST); JWT authorizers under `jwt.claims` (HTTP APIs).
    if let Some(Value::Object(claims)) = authorizer.fields.get("claims") {
        return Some(
            claims
                .iter()
                .map(|(k, v)| match v {
                    Value::String(text) => (k.clone(), parse_claim(text.clone())),
                    other => (k.clone(), other.clone()),
                })
                .collect(),
        );
    }
    authorizer.jwt.map(|jwt| {
        jwt.claims
            .into_iter()
            .map(|(k, v)| (k, parse_claim(v)))
            .collect()
    })
}

/// Authorizers flatten every claim to a string; objects and arrays
/// (`customData`, `roles`) are JSON text, parsed back here.
fn parse_claim(value: String) -> Value {
    let looks_structured = value.starts_with('{') || value.starts_with('[');
    if looks_structured {
        if let Ok(parsed) = serde_json::from_str(&value) {
            return parsed;
        }
    }
    Value::String(value)
}
