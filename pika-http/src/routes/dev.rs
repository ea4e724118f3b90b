//! `POST /dev/token` (built with the `dev-tokens` feature only; the fence
//! is in [`crate::dev_tokens`]).

use super::parse_id;
use crate::auth::DevClaims;
use crate::dev_tokens::DevTokens;
use crate::extract::ApiJson;
use crate::problem::ApiError;
use crate::wire::{DevToken, DevTokenBody};
use crate::AppState;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::response::IntoResponse;
use axum::Json;
use pika_domain::ids::UserId;
use std::time::{Duration, SystemTime};

/// How long development tokens live.
const DEV_TOKEN_TTL: Duration = Duration::from_secs(12 * 3600);

/// A development JWT (local server only, fenced: see [`crate::dev_tokens`]).
#[utoipa::path(post, path = "/dev/token", tag = "platform", request_body = DevTokenBody, security(()),
    responses((status = 200, description = "A development token", body = DevToken), (status = 400, body = crate::problem::Problem),
        (status = 403, description = "not addressed to loopback, from a foreign page, or a role not allowed", body = crate::problem::Problem)))]
pub async fn dev_token(
    State(s): State<AppState>,
    Fenced(policy): Fenced,
    ApiJson(body): ApiJson<DevTokenBody>,
) -> Result<impl IntoResponse, ApiError> {
    policy.check_roles(&body.roles)?;
    parse_id(&body.user_id, UserId::parse, "userId")?;
    let claims = DevClaims {
        user_id: body.user_id,
        user_type: body.user_type,
        roles: body.roles,
        custom_data: body.custom_data,
        first_name: None,
        last_name: None,
    };
    let token = s
        .auth
        .as_ref()
        .ok_or_else(|| ApiError::not_found("no such route"))?
        .issue_dev_token(claims, DEV_TOKEN_TTL, SystemTime::now())
        .map_err(|e| ApiError::invalid(e.public_message()))?;
    Ok(Json(DevToken {
        token,
        expires_in: DEV_TOKEN_TTL.as_secs(),
    }))
}

/// The request passed the fence ([`DevTokens::check_request`]) before its
/// body is read: the policy it passed.
pub struct Fenced(DevTokens);

impl FromRequestParts<AppState> for Fenced {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let policy = state
            .api
            .dev_tokens
            .clone()
            .ok_or_else(|| ApiError::not_found("no such route"))?;
        policy.check_request(&parts.headers)?;
        Ok(Self(policy))
    }
}
