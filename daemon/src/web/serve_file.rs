//! Sending a recorded file (a segment, a clip) with `Range` support, so a browser's
//! player can seek: 200 whole, 206 for a range, 416 for a range outside the file.

use std::collections::BTreeMap;
use std::io::SeekFrom;
use std::path::Path;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;
use utoipa::PartialSchema;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::{Content, RefOr};

use super::error::ApiError;
use super::openapi::{Binary, error_response};
use super::range::{self, Wanted};

/// An MP4 to send, and what to say when it is gone.
pub struct Mp4<'a> {
    pub path: &'a Path,
    /// The name the browser saves it as.
    pub filename: String,
    /// The 404's message when the file cannot be opened.
    pub gone: &'a (dyn Fn(std::io::Error) -> ApiError + Sync),
}

/// What `send` answers, for the OpenAPI document.
pub struct Mp4Answers;

impl utoipa::IntoResponses for Mp4Answers {
    fn responses() -> BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        use utoipa::openapi::ResponseBuilder;
        let mp4 = |description: &str, header: &str, value: &str| {
            ResponseBuilder::new()
                .description(description)
                .content("video/mp4", Content::new(Some(Binary::schema())))
                .header(
                    header,
                    HeaderBuilder::new()
                        .schema(String::schema())
                        .description(Some(value))
                        .build(),
                )
                .into()
        };
        BTreeMap::from([
            (
                "200".into(),
                mp4("The whole file", "Accept-Ranges", "`bytes`"),
            ),
            (
                "206".into(),
                mp4(
                    "The range asked for",
                    "Content-Range",
                    "`bytes start-end/length`",
                ),
            ),
            ("416".into(), error_response("A range outside the file")),
        ])
    }
}

/// Whether this request starts a viewing (no range, or one from byte 0) rather than a
/// player's seek within one: only those are written to the audit log.
pub fn starts_viewing(headers: &HeaderMap) -> bool {
    let range = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    match range::wanted(range, u64::MAX) {
        Wanted::Part { start, .. } => start == 0,
        _ => true,
    }
}

pub async fn send(file: Mp4<'_>, headers: &HeaderMap) -> Result<Response, ApiError> {
    let mut opened = tokio::fs::File::open(file.path).await.map_err(file.gone)?;
    let len = opened.metadata().await.map_err(file.gone)?.len();
    let range_header = headers.get(header::RANGE).and_then(|v| v.to_str().ok());
    let (status, start, count) = match range::wanted(range_header, len) {
        Wanted::Whole => (StatusCode::OK, 0, len),
        Wanted::Part { start, end } => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        Wanted::Unsatisfiable => {
            let mut response = ApiError::new(
                StatusCode::RANGE_NOT_SATISFIABLE,
                format!("the range {range_header:?} is outside the recording's {len} bytes"),
            )
            .into_response();
            insert(
                &mut response,
                header::CONTENT_RANGE,
                format!("bytes */{len}"),
            );
            return Ok(response);
        }
    };
    opened
        .seek(SeekFrom::Start(start))
        .await
        .map_err(|e| ApiError::internal(format!("cannot read the recording: {e}")))?;
    let mut response = (
        status,
        Body::from_stream(ReaderStream::new(opened.take(count))),
    )
        .into_response();
    insert(&mut response, header::CONTENT_TYPE, "video/mp4".into());
    insert(&mut response, header::ACCEPT_RANGES, "bytes".into());
    insert(&mut response, header::CONTENT_LENGTH, count.to_string());
    insert(&mut response, header::CACHE_CONTROL, "no-store".into());
    insert(
        &mut response,
        header::CONTENT_DISPOSITION,
        format!("inline; filename=\"{}\"", file.filename),
    );
    if status == StatusCode::PARTIAL_CONTENT {
        insert(
            &mut response,
            header::CONTENT_RANGE,
            format!("bytes {start}-{}/{len}", start + count - 1),
        );
    }
    Ok(response)
}

fn insert(response: &mut Response, name: header::HeaderName, value: String) {
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(name, value);
    }
}
