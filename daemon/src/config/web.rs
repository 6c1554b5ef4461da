use std::collections::HashSet;
use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ConfigError, Validate, WebLimits, err};

/// `[web]`: the local status page and REST API.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct WebConfig {
    pub enabled: bool,
    /// Address and port to listen on.
    pub listen: String,
    /// A bearer token with the `reviewer` role, kept from the versions that had only one
    /// token. Empty = none; `[[web.tokens]]` names tokens with a role each.
    pub api_token: String,
    /// Accounts that log in on the status page.
    pub users: Vec<WebUser>,
    /// Bearer tokens for machine clients, each with a role.
    pub tokens: Vec<WebToken>,
    /// A login session ends after this many seconds without a request.
    pub session_idle_timeout_s: u64,
    /// Failed logins from one client before it has to wait `login_lockout_s`.
    pub login_failures_per_client: u32,
    /// Failed logins for one account, from anywhere, before it has to wait.
    pub login_failures_per_account: u32,
    /// How long a client or an account that failed too often is refused.
    pub login_lockout_s: u64,
    /// PEM certificate chain and private key: both set = HTTPS only; both empty = HTTP.
    pub tls_cert_file: PathBuf,
    pub tls_key_file: PathBuf,
    /// `[web.limits]`: timeouts and caps on connections, streams and PDF rendering.
    pub limits: WebLimits,
}

/// What a login or a token may do. A reviewer may do everything a proctor may.
#[derive(
    Clone,
    Copy,
    Debug,
    Serialize,
    Deserialize,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum WebRole {
    /// Live view, starting and ending sessions, flagging an event.
    Proctor,
    /// Also reports, recordings, clips, review decisions and the audit log.
    Reviewer,
}

impl WebRole {
    pub fn as_str(self) -> &'static str {
        match self {
            WebRole::Proctor => "proctor",
            WebRole::Reviewer => "reviewer",
        }
    }

    /// Whether this role includes everything `needed` may do.
    pub fn allows(self, needed: WebRole) -> bool {
        self >= needed
    }
}

/// `[[web.users]]`: one account of the status page.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct WebUser {
    pub name: String,
    pub role: WebRole,
    /// An argon2id hash in PHC form (`$argon2id$v=19$...`), printed by
    /// `proctord hash-password`. Never the password itself.
    pub password_hash: String,
}

/// `[[web.tokens]]`: a bearer token for a machine client.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct WebToken {
    /// Who uses it, for the log.
    pub name: String,
    pub role: WebRole,
    pub token: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: "127.0.0.1:8080".into(),
            api_token: String::new(),
            users: Vec::new(),
            tokens: Vec::new(),
            session_idle_timeout_s: 900,
            login_failures_per_client: 5,
            login_failures_per_account: 10,
            login_lockout_s: 300,
            tls_cert_file: PathBuf::new(),
            tls_key_file: PathBuf::new(),
            limits: WebLimits::default(),
        }
    }
}

impl WebConfig {
    /// Whether the web side serves HTTPS.
    pub fn tls(&self) -> bool {
        !self.tls_cert_file.as_os_str().is_empty()
    }

    /// Whether anyone at all can be let in: without an account or a token the kiosk
    /// serves no candidate data.
    pub fn has_credentials(&self) -> bool {
        !self.users.is_empty() || !self.tokens.is_empty() || !self.api_token.is_empty()
    }

    /// Things that are allowed but unwise, for `check-config`.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        let exposed = self
            .listen
            .parse::<SocketAddr>()
            .is_ok_and(|addr| !addr.ip().is_loopback());
        if self.enabled && exposed && !self.tls() {
            warnings.push(format!(
                "web.listen: {} is reachable from the network but TLS is off, so passwords, session cookies and candidates' data cross it in clear text; set web.tls_cert_file and web.tls_key_file",
                self.listen
            ));
        }
        if self.enabled && !self.has_credentials() {
            warnings.push(
                "web.users: no account or token is configured, so the status page and API serve no candidate data; create an account with `proctord hash-password` and a [[web.users]] entry".into(),
            );
        }
        warnings
    }
}

impl Validate for WebConfig {
    fn validate(&self, path: &str, errors: &mut Vec<ConfigError>) {
        self.limits.validate(&format!("{path}.limits"), errors);
        if self.listen.parse::<SocketAddr>().is_err() {
            err(
                errors,
                path,
                "listen",
                format!(
                    "must be an address:port such as 127.0.0.1:8080, got {:?}",
                    self.listen
                ),
            );
        }
        for (key, value) in [
            ("session_idle_timeout_s", self.session_idle_timeout_s),
            ("login_lockout_s", self.login_lockout_s),
            (
                "login_failures_per_client",
                u64::from(self.login_failures_per_client),
            ),
            (
                "login_failures_per_account",
                u64::from(self.login_failures_per_account),
            ),
        ] {
            if value == 0 {
                err(errors, path, key, "must be at least 1");
            }
        }
        if self.tls_cert_file.as_os_str().is_empty() != self.tls_key_file.as_os_str().is_empty() {
            err(
                errors,
                path,
                "tls_key_file",
                "tls_cert_file and tls_key_file go together: set both for HTTPS, or neither",
            );
        }
        let mut names = HashSet::new();
        for (i, user) in self.users.iter().enumerate() {
            let at = format!("{path}.users[{i}]");
            if user.name.trim().is_empty() {
                err(errors, &at, "name", "must not be empty");
            } else if !names.insert(user.name.as_str()) {
                err(
                    errors,
                    &at,
                    "name",
                    format!("{:?} is used by two accounts", user.name),
                );
            }
            if let Err(message) = crate::password::check_hash(&user.password_hash) {
                err(errors, &at, "password_hash", message);
            }
        }
        let mut secrets = HashSet::new();
        if !self.api_token.is_empty() {
            secrets.insert(self.api_token.as_str());
        }
        for (i, token) in self.tokens.iter().enumerate() {
            let at = format!("{path}.tokens[{i}]");
            if token.name.trim().is_empty() {
                err(errors, &at, "name", "must not be empty");
            }
            if token.token.trim().is_empty() {
                err(errors, &at, "token", "must not be empty");
            } else if !secrets.insert(token.token.as_str()) {
                err(
                    errors,
                    &at,
                    "token",
                    "is the same as another token: give each client its own",
                );
            }
        }
    }
}
