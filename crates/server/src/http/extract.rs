//! Extractors that reject malformed input with Qdrant-shaped errors.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::response::ApiError;

/// A JSON body; parse errors are 400 `Format error in JSON body: …` and
/// oversized bodies 413.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "Payload too large: the request body exceeds service.max_request_size_mb",
                )
            } else {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    format!("Failed to read request body: {e}"),
                )
            }
        })?;
        let value = serde_json::from_slice(&bytes).map_err(ApiError::format)?;
        Ok(JsonBody(value))
    }
}

/// An optional JSON body: an empty body is `None`.
pub struct OptionalJson<T>(pub Option<T>);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OptionalJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::new(e.status(), format!("Failed to read request body: {e}")))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalJson(None));
        }
        serde_json::from_slice(&bytes)
            .map(|v| OptionalJson(Some(v)))
            .map_err(ApiError::format)
    }
}

/// Query parameters; parse errors are 400 `Query deserialize error: …`.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let params = axum::extract::Query::<T>::try_from_uri(&parts.uri).map_err(|e| {
            let detail = std::error::Error::source(&e).map_or(e.to_string(), |s| s.to_string());
            ApiError::new(
                StatusCode::BAD_REQUEST,
                format!("Query deserialize error: {detail}"),
            )
        })?;
        Ok(QueryParams(params.0))
    }
}

/// `?wait=…&ordering=…&timeout=…` of update endpoints.
#[derive(Debug, Default, Deserialize)]
pub struct UpdateParams {
    /// Answer after the update is applied.
    #[serde(default)]
    pub wait: Option<bool>,
    /// Write ordering (validated; a single node has one order).
    #[serde(default)]
    #[allow(dead_code)]
    pub ordering: Option<Ordering>,
    /// Timeout in seconds (validated; updates finish before answering).
    #[serde(default)]
    #[allow(dead_code)]
    pub timeout: Option<u64>,
}

impl UpdateParams {
    /// Whether to wait for the update to be applied.
    pub fn wait(&self) -> bool {
        self.wait.unwrap_or(false)
    }
}

/// Write ordering guarantees.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ordering {
    /// Any replica.
    Weak,
    /// Leader if possible.
    Medium,
    /// Leader only.
    Strong,
}

/// `?timeout=…&consistency=…` of read endpoints, validated and otherwise
/// unused on a single node.
#[derive(Debug, Default, Deserialize)]
#[allow(dead_code)]
pub struct ReadParams {
    /// Timeout in seconds.
    #[serde(default)]
    pub timeout: Option<u64>,
    /// Read consistency (single node: ignored).
    #[serde(default)]
    pub consistency: Option<String>,
}
