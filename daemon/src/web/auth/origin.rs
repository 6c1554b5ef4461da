//! The CSRF check for requests that a browser authenticates by itself (the login
//! cookie): on top of the cookie's SameSite=Strict, a state-changing request must come
//! from a page of this kiosk, which the browser states in `Origin` (or, from older
//! browsers, `Referer`) and which must name the host the request was sent to.

use axum::http::{HeaderMap, Method, Uri, header};

/// Whether a request with this method can change anything.
pub fn changes_state(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// `Ok` when the request's origin is this kiosk; otherwise what is wrong.
pub fn same_origin(headers: &HeaderMap, uri: &Uri) -> Result<(), String> {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| uri.authority().map(|a| a.to_string()))
        .ok_or("the request names no Host")?;
    let origin = headers
        .get(header::ORIGIN)
        .or_else(|| headers.get(header::REFERER))
        .and_then(|v| v.to_str().ok())
        .ok_or("the request states no Origin, so it cannot be told from a forged one: send it from the status page, or use a bearer token")?;
    match authority_of(origin) {
        Some(authority) if authority.eq_ignore_ascii_case(&host) => Ok(()),
        _ => Err(format!(
            "the request comes from {origin:?}, not from this kiosk's page ({host}): it was refused as a possible cross-site request"
        )),
    }
}

/// `http://host:port/path` → `host:port`; `None` for `null` and other opaque origins.
fn authority_of(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|a| !a.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;

    fn check(headers: &[(&str, &str)]) -> Result<(), String> {
        let mut request = Request::post("/api/interviews/start");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let (parts, ()) = request.body(()).unwrap().into_parts();
        same_origin(&parts.headers, &parts.uri)
    }

    #[test]
    fn the_kiosks_own_page_passes() {
        assert!(
            check(&[
                ("host", "10.0.0.5:8080"),
                ("origin", "http://10.0.0.5:8080")
            ])
            .is_ok()
        );
        assert!(
            check(&[
                ("host", "kiosk:8443"),
                ("referer", "https://kiosk:8443/?x=1")
            ])
            .is_ok()
        );
    }

    #[test]
    fn another_site_a_null_origin_or_none_at_all_is_refused() {
        let host = ("host", "10.0.0.5:8080");
        let e = check(&[host, ("origin", "http://evil.example")]).unwrap_err();
        assert!(e.contains("evil.example"), "{e}");
        assert!(check(&[host, ("origin", "null")]).is_err());
        assert!(check(&[host]).unwrap_err().contains("no Origin"));
        assert!(check(&[host, ("origin", "http://10.0.0.5:8080.evil")]).is_err());
    }
}
