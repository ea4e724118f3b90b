//! API Gateway REST events name the stage in the request path
//! (`/v1/sessions`); the router's routes do not. The stage prefix is taken
//! off before routing, whatever the stage is called.

use lambda_http::request::RequestContext;
use lambda_http::RequestExt;

/// `request` with its API Gateway stage (`/{stage}`) taken off the front of
/// its path, when it is there.
pub fn strip_stage(mut request: lambda_http::Request) -> lambda_http::Request {
    let stage = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV1(ctx)) => ctx.stage.clone(),
        _ => None,
    };
    let Some(stage) = stage.filter(|s| !s.is_empty() && s != "$default") else {
        return request;
    };
    let prefix = format!("/{stage}");
    let uri = request.uri();
    let Some(rest) = uri.path().strip_prefix(&prefix) else {
        return request;
    };
    if !(rest.is_empty() || rest.starts_with('/')) {
        return request; // `/v1beta/…` is not under stage `v1`
    }
    let path = if rest.is_empty() { "/" } else { rest };
    let path_and_query = match uri.query() {
        Some(q) => format!("{path}?{q}"),
        None => path.to_string(),
    };
    let mut parts = uri.clone().into_parts();
    if let Ok(pq) = path_and_query.parse() {
        parts.path_and_query = Some(pq);
        if let Ok(new) = http::Uri::from_parts(parts) {
            *request.uri_mut() = new;
        }
    }
    request
}
