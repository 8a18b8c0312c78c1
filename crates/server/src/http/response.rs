//! Qdrant's response envelope and the one place errors become statuses.

use std::time::Instant;

use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use collection::CollectionError;
use serde::Serialize;
use storage::StorageError;

/// An error answered as `{"status": {"error": ...}, "time": ...}`.
#[derive(Debug)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// Message.
    pub message: String,
}

impl ApiError {
    /// An error with an explicit status.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
        }
    }

    /// The error with the field path of a body validation failure
    /// rewritten by `rename` (other errors unchanged).
    pub fn map_validation(self, rename: impl Fn(String) -> String) -> Self {
        const HEAD: &str = "Validation error in JSON body: [";
        match self.message.strip_prefix(HEAD) {
            Some(rest) if self.status == StatusCode::UNPROCESSABLE_ENTITY => {
                let inner = rest.strip_suffix(']').unwrap_or(rest).to_string();
                ApiError::new(self.status, format!("{HEAD}{}]", rename(inner)))
            }
            _ => self,
        }
    }

    /// A 400 for an unparsable body.
    pub fn format(message: impl std::fmt::Display) -> Self {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("Format error in JSON body: {message}"),
        )
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        let status = match &e {
            StorageError::AlreadyExists(_) => StatusCode::CONFLICT,
            StorageError::Collection(c) => return ApiError::from_collection(c),
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.to_string())
    }
}

impl From<CollectionError> for ApiError {
    fn from(e: CollectionError) -> Self {
        ApiError::from_collection(&e)
    }
}

impl ApiError {
    fn from_collection(e: &CollectionError) -> Self {
        let status = match e {
            CollectionError::BadInput(_)
            | CollectionError::BadRequest(_)
            | CollectionError::Format(_) => StatusCode::BAD_REQUEST,
            CollectionError::Validation(_) | CollectionError::PathValidation(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            CollectionError::NotFound(_) => StatusCode::NOT_FOUND,
            CollectionError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError::new(status, e.to_string())
    }
}

#[derive(Serialize)]
struct ErrorStatus<'a> {
    error: &'a str,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    status: ErrorStatus<'a>,
    time: f64,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            status: ErrorStatus {
                error: &self.message,
            },
            time: 0.0,
        };
        json_response(self.status, &body)
    }
}

#[derive(Serialize)]
struct OkBody<T> {
    result: T,
    status: &'static str,
    time: f64,
}

/// Serializes `body` as a JSON response.
pub fn json_response<T: Serialize>(status: StatusCode, body: &T) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(bytes))
            .expect("valid response"),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("serialization failed: {e}"),
        )
            .into_response(),
    }
}

/// A successful result wrapped in the envelope, timed from `start`.
pub fn ok<T: Serialize>(result: T, start: Instant) -> Response {
    json_response(
        StatusCode::OK,
        &OkBody {
            result,
            status: "ok",
            time: start.elapsed().as_secs_f64(),
        },
    )
}

/// Handler result type.
pub type ApiResult = Result<Response, ApiError>;
