//! The login cookie: `proctord_session=<token>`, HttpOnly (page scripts cannot read
//! it), SameSite=Strict (other sites' pages cannot send it), Secure over TLS, for the
//! whole site, and without an expiry (the browser forgets it when closed; the kiosk
//! ends it after the idle timeout).

use axum::http::HeaderMap;
use axum::http::header;

pub const NAME: &str = "proctord_session";

/// The session token in the request's `Cookie` headers, if any.
pub fn token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == NAME)
        .map(|(_, value)| value.trim())
        .filter(|value| !value.is_empty())
}

/// `Set-Cookie` for a new login.
pub fn set(token: &str, secure: bool) -> String {
    format!(
        "{NAME}={token}; Path=/; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// `Set-Cookie` that makes the browser forget the login.
pub fn clear(secure: bool) -> String {
    format!(
        "{NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn the_token_is_found_among_other_cookies() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("theme=dark"));
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; proctord_session=abc123 ; b=2"),
        );
        assert_eq!(token(&headers), Some("abc123"));
        assert_eq!(token(&HeaderMap::new()), None);
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_secure_only_over_tls() {
        assert_eq!(
            set("t", false),
            "proctord_session=t; Path=/; HttpOnly; SameSite=Strict"
        );
        assert!(set("t", true).ends_with("; Secure"));
        assert!(clear(false).contains("Max-Age=0"));
    }
}
