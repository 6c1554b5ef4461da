//! `POST /api/login`, `POST /api/logout` and `GET /api/me`: the status page's login.
//!
//! A login answers with the HttpOnly session cookie (see `auth`); the page never sees
//! a password again, nor the cookie's value.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::{self, ClientIp, LoginOutcome, Proctor, Via};
use super::error::{ApiError, ErrorBody};
use super::json_body::JsonBody;
use super::{AppState, blocking};
use crate::config::WebRole;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub name: String,
    pub password: String,
}

/// Who is logged in, as `POST /api/login` and `GET /api/me` answer it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub name: String,
    pub role: WebRole,
    pub via: Via,
    pub idle_timeout_s: u64,
}

/// `POST /api/login` `{"name", "password"}` → 200 with the cookie; 401 wrong name or
/// password; 429 (with `Retry-After`) after too many failures.
#[utoipa::path(
    post,
    path = "/api/login",
    summary = "Log in: sets the login cookie",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = Me,
            headers(("Set-Cookie" = String, description = "The HttpOnly login cookie `proctord_session`"))),
        (status = 401, description = "Wrong name or password", body = ErrorBody),
        (status = 403, description = "A cross-site request, or no account configured on the kiosk", body = ErrorBody),
        (status = 429, description = "Too many failed logins; Retry-After says how long to wait", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    ),
)]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(client): ClientIp,
    headers: HeaderMap,
    uri: Uri,
    JsonBody(req): JsonBody<LoginRequest>,
) -> Result<Response, ApiError> {
    // A browser always states the origin of a POST; another site's page must not be
    // able to log this browser in to an account of its choosing.
    if headers.contains_key(header::ORIGIN) {
        auth::same_origin(&headers, &uri)
            .map_err(|why| ApiError::new(StatusCode::FORBIDDEN, why))?;
    }
    if !state.auth().has_credentials() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, auth::NO_ACCOUNT_YET));
    }
    let name = req.name.trim().to_string();
    let checking = state.clone();
    let outcome = blocking(move || Ok(checking.auth().login(client, &name, &req.password))).await?;
    match outcome {
        LoginOutcome::LoggedIn { token, role } => {
            let me = Me {
                name: req.name.trim().to_string(),
                role,
                via: Via::Login,
                idle_timeout_s: state.auth().idle_timeout().as_secs(),
            };
            let cookie = auth::set_cookie(&token, state.auth().secure_cookie());
            Ok((
                [
                    (header::SET_COOKIE, cookie),
                    (header::CACHE_CONTROL, "no-store".into()),
                ],
                Json(me),
            )
                .into_response())
        }
        LoginOutcome::WrongPassword => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "wrong name or password",
        )),
        LoginOutcome::Throttled(refused) => Err(auth::throttled(refused)),
    }
}

/// `POST /api/logout` → 204; the login ends on the kiosk and the browser drops the
/// cookie. Open event and camera streams of that login end too.
#[utoipa::path(
    post,
    path = "/api/logout",
    summary = "End this login",
    responses(
        (status = 204, description = "Logged out; the cookie is cleared",
            headers(("Set-Cookie" = String, description = "Clears `proctord_session`"))),
        (status = 403, description = "A cross-site request", body = ErrorBody),
    ),
)]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
) -> Result<Response, ApiError> {
    if headers.contains_key(header::ORIGIN) {
        auth::same_origin(&headers, &uri)
            .map_err(|why| ApiError::new(StatusCode::FORBIDDEN, why))?;
    }
    if let Some(user) = auth::cookie_token(&headers).and_then(|t| state.auth().logout(t)) {
        log::info!("{user} logged out.");
    }
    let cookie = auth::clear_cookie(state.auth().secure_cookie());
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// `GET /api/me` → who this request is from (401 when nobody, 403 when the kiosk has
/// no account yet, saying how to create one).
#[utoipa::path(
    get,
    path = "/api/me",
    summary = "Who is logged in, with which role",
    responses((status = 200, description = "Who sent this request", body = Me)),
)]
pub async fn me(State(state): State<AppState>, Proctor(who): Proctor) -> Json<Me> {
    Json(Me {
        name: who.name,
        role: who.role,
        via: who.via,
        idle_timeout_s: state.auth().idle_timeout().as_secs(),
    })
}
