//! A JSON request body whose failures are reported as `{"error": ...}` saying what was
//! wrong: not JSON (400), the wrong fields or types (422), too large (413), or not sent
//! as JSON (415).

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use serde::de::DeserializeOwned;

use super::MAX_BODY_BYTES;
use super::error::ApiError;

pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(JsonBody(value)),
            Err(rejection) => Err(describe(rejection)),
        }
    }
}

fn describe(rejection: JsonRejection) -> ApiError {
    let message = match &rejection {
        JsonRejection::JsonSyntaxError(_) => format!(
            "the request body is not valid JSON: {}",
            inner_cause(&rejection)
        ),
        JsonRejection::JsonDataError(_) => format!(
            "the JSON does not have the expected fields: {}",
            inner_cause(&rejection)
        ),
        JsonRejection::MissingJsonContentType(_) => {
            "send the body as JSON with the header `Content-Type: application/json`".to_string()
        }
        _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            format!("the request body is larger than the limit of {MAX_BODY_BYTES} bytes")
        }
        _ => format!(
            "the request body could not be read: {}",
            rejection.body_text()
        ),
    };
    ApiError::new(rejection.status(), message)
}

/// serde's own words (e.g. "missing field `candidate` at line 1 column 2"), without
/// axum's prefix.
fn inner_cause(rejection: &JsonRejection) -> String {
    let text = rejection.body_text();
    match text.split_once(": ") {
        Some((_, cause)) => cause.to_string(),
        None => text,
    }
}
