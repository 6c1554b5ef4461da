//! `GET /`: the proctor's status page, one self-contained HTML file (the kiosk has no
//! internet, so no CDN). Everything shown comes from the API and is inserted as text,
//! never as HTML; on top of that a Content-Security-Policy allows only the page's own
//! inline script and style (by hash), so injected markup could not run anything.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use sha2::{Digest, Sha256};

const PAGE: &str = include_str!("status_page.html");

static CONTENT_SECURITY_POLICY: LazyLock<String> = LazyLock::new(|| content_security_policy(PAGE));

#[utoipa::path(
    get,
    path = "/",
    summary = "The proctor's status page (a login form until then)",
    responses((status = 200, description = "One self-contained HTML page", content_type = "text/html", body = String)),
)]
pub async fn status_page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                CONTENT_SECURITY_POLICY.as_str(),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            (header::REFERRER_POLICY, "no-referrer"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PAGE,
    )
}

/// Allows exactly the page's one inline `<script>` and one `<style>`.
pub fn content_security_policy(page: &str) -> String {
    let script = hash_of_element(page, "script");
    let style = hash_of_element(page, "style");
    format!(
        "default-src 'none'; script-src '{script}'; style-src '{style}'; img-src 'self' data:; media-src 'self'; connect-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

fn hash_of_element(page: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = page
        .find(&open)
        .map(|i| i + open.len())
        .unwrap_or_else(|| panic!("the status page has no <{tag}>"));
    let end = start
        + page[start..]
            .find(&close)
            .unwrap_or_else(|| panic!("the status page's <{tag}> is not closed"));
    format!(
        "sha256-{}",
        BASE64.encode(Sha256::digest(&page.as_bytes()[start..end]))
    )
}
