//! The bearer token that guards session control and the session list.
//!
//! Reading a session's events, report or the live view needs no token (the status page
//! is for whoever stands at the kiosk's network); starting and ending sessions, logging
//! events and listing every session do. Without a configured token those routes are
//! refused outright: a kiosk must never run with its controls open by accident.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use sha2::{Digest, Sha256};

use super::AppState;
use super::error::ApiError;

/// Present in a handler's arguments: the request carried the configured token.
pub struct ProctorToken;

impl FromRequestParts<AppState> for ProctorToken {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let expected = state.config().api_token.as_str();
        if expected.is_empty() {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "session control is disabled because no API token is configured: set [web] api_token in proctord.toml and restart proctord",
            ));
        }
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "this route needs the kiosk's API token: send the header `Authorization: Bearer <token>`",
            ));
        };
        let presented = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        match presented {
            None => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "the Authorization header must be `Bearer <token>`",
            )),
            Some(token) if same_secret(token, expected) => Ok(ProctorToken),
            Some(_) => Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "the API token is wrong: use the value of [web] api_token in proctord.toml",
            )),
        }
    }
}

/// Compares hashes so that the time taken says nothing about the token's length or how
/// much of it was right.
fn same_secret(presented: &str, expected: &str) -> bool {
    let (a, b) = (
        Sha256::digest(presented.as_bytes()),
        Sha256::digest(expected.as_bytes()),
    );
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}
