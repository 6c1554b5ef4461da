//! Who may see what: every route with candidate data needs a login (the status page's
//! cookie) or a bearer token (machine clients), each with a role.
//!
//! - `proctor`: the live view, the event stream, sessions, events, flagging an event.
//! - `reviewer`: all that, and reports, recordings, clips, review decisions, the audit
//!   log and deleting a session on request.
//!
//! Without any account or token configured the kiosk serves no candidate data at all
//! (403 saying how to create the first account): it must never be open by accident.

pub(crate) mod cookie;
mod origin;
mod sessions;
mod throttle;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::Serialize;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

pub use cookie::{clear as clear_cookie, set as set_cookie, token as cookie_token};
pub use origin::same_origin;
pub use throttle::Refused;

use self::sessions::LoginSessions;
use self::throttle::Throttle;
use super::AppState;
use super::error::ApiError;
use crate::config::{WebConfig, WebRole};

/// Why everything is refused on a kiosk without accounts, and how to create the first.
pub const NO_ACCOUNT_YET: &str = "this kiosk has no account yet, so it serves no candidate data: run `proctord hash-password`, add what it prints as a [[web.users]] entry (name, role, password_hash) to proctord.toml, and restart proctord";

/// Accounts, tokens, open logins and failed-login counts; one per server.
pub struct Auth {
    users: HashMap<String, Account>,
    tokens: Vec<Token>,
    sessions: LoginSessions,
    throttle: Throttle,
    secure_cookie: bool,
}

struct Account {
    role: WebRole,
    password_hash: String,
}

struct Token {
    name: String,
    role: WebRole,
    digest: [u8; 32],
}

/// How a request proved who sent it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    Login,
    Token,
}

/// Who sent a request, once they proved it.
#[derive(Clone, Debug)]
pub struct Principal {
    pub name: String,
    pub role: WebRole,
    pub via: Via,
    pub client: IpAddr,
    /// For a login: turns `true` (or closes) when it ends, so open streams end too.
    ended: Option<watch::Receiver<bool>>,
}

impl Principal {
    /// Who this is, as the audit log names them.
    pub fn accessor(&self) -> crate::store::Accessor {
        crate::store::Accessor {
            who: self.name.clone(),
            role: self.role.as_str().to_owned(),
            via: match self.via {
                Via::Login => "login",
                Via::Token => "token",
            }
            .to_owned(),
            from: self.client.to_string(),
        }
    }

    /// Completes when this login ends (logout or idle timeout); never for a token.
    pub async fn logged_out(&self) {
        match self.ended.clone() {
            Some(mut ended) => {
                let _ = ended.wait_for(|ended| *ended).await;
            }
            None => std::future::pending().await,
        }
    }
}

/// The outcome of a login attempt.
pub enum LoginOutcome {
    /// The cookie's token, and the account's role.
    LoggedIn {
        token: String,
        role: WebRole,
    },
    WrongPassword,
    Throttled(Refused),
}

impl Auth {
    pub fn new(config: &WebConfig) -> Auth {
        let users = config
            .users
            .iter()
            .map(|u| {
                (
                    u.name.clone(),
                    Account {
                        role: u.role,
                        password_hash: u.password_hash.clone(),
                    },
                )
            })
            .collect();
        let legacy = (!config.api_token.is_empty()).then(|| Token {
            name: "[web] api_token".into(),
            role: WebRole::Reviewer,
            digest: digest(&config.api_token),
        });
        let tokens = config
            .tokens
            .iter()
            .map(|t| Token {
                name: t.name.clone(),
                role: t.role,
                digest: digest(&t.token),
            })
            .chain(legacy)
            .collect();
        Auth {
            users,
            tokens,
            sessions: LoginSessions::new(Duration::from_secs(config.session_idle_timeout_s)),
            throttle: Throttle::new(
                config.login_failures_per_client,
                config.login_failures_per_account,
                Duration::from_secs(config.login_lockout_s),
            ),
            secure_cookie: config.tls(),
        }
    }

    pub fn has_credentials(&self) -> bool {
        !self.users.is_empty() || !self.tokens.is_empty()
    }

    pub fn secure_cookie(&self) -> bool {
        self.secure_cookie
    }

    pub fn idle_timeout(&self) -> Duration {
        self.sessions.idle_timeout()
    }

    /// Checks a name and password (slow: argon2; call it off the async workers) unless
    /// this client or account has failed too often, and opens a login session.
    pub fn login(&self, client: IpAddr, name: &str, password: &str) -> LoginOutcome {
        if let Err(refused) = self.throttle.check(client, Some(name)) {
            log::warn!(
                "Refused a login as {name:?} from {client}: too many failed logins {}, {} s to wait.",
                if refused.by_account {
                    "for this account"
                } else {
                    "from this client"
                },
                refused.retry_after.as_secs()
            );
            return LoginOutcome::Throttled(refused);
        }
        let role = match self.users.get(name) {
            Some(account) if crate::password::verify(password, &account.password_hash) => {
                Some(account.role)
            }
            Some(_) => None,
            None => {
                crate::password::verify_nothing(password);
                None
            }
        };
        match role {
            Some(role) => {
                self.throttle.succeeded(client, name);
                log::info!("{name} logged in ({}) from {client}.", role.as_str());
                LoginOutcome::LoggedIn {
                    token: self.sessions.open(name, role),
                    role,
                }
            }
            None => {
                self.throttle.failed(client, Some(name));
                log::warn!("Failed login as {name:?} from {client}: wrong name or password.");
                LoginOutcome::WrongPassword
            }
        }
    }

    /// Ends the login of `token`; returns who it was.
    pub fn logout(&self, token: &str) -> Option<String> {
        self.sessions.close(token)
    }

    /// Who sent this request, or why it is refused (401 unknown, 403 not allowed).
    fn authenticate(&self, parts: &Parts) -> Result<Principal, ApiError> {
        if !self.has_credentials() {
            return Err(ApiError::new(StatusCode::FORBIDDEN, NO_ACCOUNT_YET));
        }
        let client = client_ip(parts);
        if let Some(value) = parts.headers.get(header::AUTHORIZATION) {
            return self.bearer(value.to_str().ok(), client);
        }
        let Some(token) = cookie::token(&parts.headers) else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "this needs a login: log in on the status page, or send the header `Authorization: Bearer <token>`",
            ));
        };
        let Some(session) = self.sessions.touch(token) else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                format!(
                    "your login has ended (logged out, the kiosk restarted, or idle for more than {} minutes): log in again",
                    self.idle_timeout().as_secs().div_ceil(60)
                ),
            ));
        };
        // The browser attaches the cookie by itself, also to requests other sites' pages
        // make it send: a request that changes something must come from our page.
        if origin::changes_state(&parts.method)
            && let Err(why) = origin::same_origin(&parts.headers, &parts.uri)
        {
            log::warn!(
                "Refused a request from {client} logged in as {}: {why}",
                session.user
            );
            return Err(ApiError::new(StatusCode::FORBIDDEN, why));
        }
        Ok(Principal {
            name: session.user,
            role: session.role,
            via: Via::Login,
            client,
            ended: Some(session.ended),
        })
    }

    fn bearer(&self, header: Option<&str>, client: IpAddr) -> Result<Principal, ApiError> {
        let Some(presented) = header
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
        else {
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "the Authorization header must be `Bearer <token>`",
            ));
        };
        if let Err(refused) = self.throttle.check(client, None) {
            return Err(throttled(refused));
        }
        let presented = digest(presented);
        // Every token is compared, in constant time, so that the time taken says
        // nothing about which one was nearly right.
        let found = self.tokens.iter().fold(None, |found, t| {
            found.or(same(&presented, &t.digest).then_some(t))
        });
        match found {
            Some(token) => Ok(Principal {
                name: token.name.clone(),
                role: token.role,
                via: Via::Token,
                client,
                ended: None,
            }),
            None => {
                self.throttle.failed(client, None);
                log::warn!("Refused a wrong bearer token from {client}.");
                Err(ApiError::new(
                    StatusCode::UNAUTHORIZED,
                    "the bearer token is wrong: use one of [[web.tokens]] (or [web] api_token) in proctord.toml",
                ))
            }
        }
    }
}

/// 429 saying how long to wait; `Retry-After` says it to programs.
pub fn throttled(refused: Refused) -> ApiError {
    let seconds = refused.retry_after.as_secs().max(1);
    let whose = if refused.by_account {
        "for this account"
    } else {
        "from this computer"
    };
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        format!("too many failed logins {whose}: try again in {seconds} s"),
    )
    .with_retry_after(seconds)
}

/// The address the request came from (the listener records it; a request built in a
/// test without one counts as 0.0.0.0).
fn client_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

fn same(a: &[u8; 32], b: &[u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn authorize(
    parts: &Parts,
    state: &AppState,
    needed: WebRole,
) -> Result<Principal, ApiError> {
    let principal = state.auth().authenticate(parts)?;
    if !principal.role.allows(needed) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            format!(
                "this needs the {} role; {} has the {} role: log in with a {0} account",
                needed.as_str(),
                principal.name,
                principal.role.as_str()
            ),
        ));
    }
    Ok(principal)
}

/// In a handler's arguments: the request is from a proctor (or a reviewer).
pub struct Proctor(pub Principal);

/// In a handler's arguments: the request is from a reviewer.
pub struct Reviewer(pub Principal);

impl FromRequestParts<AppState> for Proctor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authorize(parts, state, WebRole::Proctor).await.map(Proctor)
    }
}

impl FromRequestParts<AppState> for Reviewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        authorize(parts, state, WebRole::Reviewer)
            .await
            .map(Reviewer)
    }
}

/// In a handler's arguments: the address the request came from.
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(client_ip(parts)))
    }
}
