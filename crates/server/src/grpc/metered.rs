//! Counts each gRPC response under its method path (`/qdrant.Points/Query`)
//! and status code, as Qdrant's telemetry counts them.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::telemetry::Telemetry;

tokio::task_local! {
    /// The collection the request being served names, once resolved.
    static COLLECTION: RefCell<Option<String>>;
}

/// Notes that the gRPC request being served works on `collection` (its
/// statistics are also counted under it); nothing outside a gRPC request.
pub fn note_collection(collection: &str) {
    let _ = COLLECTION.try_with(|c| *c.borrow_mut() = Some(collection.to_owned()));
}

/// The layer that wraps the gRPC routes.
#[derive(Clone)]
pub struct MeteredLayer {
    /// Where responses are counted.
    pub telemetry: Arc<Telemetry>,
}

impl<S> tower::Layer<S> for MeteredLayer {
    type Service = Metered<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Metered {
            inner,
            telemetry: self.telemetry.clone(),
        }
    }
}

/// A service whose responses are counted.
#[derive(Clone)]
pub struct Metered<S> {
    inner: S,
    telemetry: Arc<Telemetry>,
}

/// The deadline a `grpc-timeout` header sets (`<digits><unit>`).
fn grpc_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    let v = headers.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = v.split_at(v.len().checked_sub(1)?);
    let n: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(n * 3600),
        "M" => Duration::from_secs(n * 60),
        "S" => Duration::from_secs(n),
        "m" => Duration::from_millis(n),
        "u" => Duration::from_micros(n),
        "n" => Duration::from_nanos(n),
        _ => return None,
    })
}

impl<S, B, R> tower::Service<http::Request<B>> for Metered<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
    R: Default,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let path = request.uri().path().to_owned();
        let start = Instant::now();
        let telemetry = self.telemetry.clone();
        // answered a little before the client's deadline, as Qdrant's
        // deadline-exceeded status (the transport would cancel it instead)
        let deadline = grpc_timeout(request.headers()).map(|d| {
            d.saturating_sub(d / 50)
                .saturating_sub(Duration::from_millis(2))
        });
        let response = self.inner.call(request);
        Box::pin(COLLECTION.scope(RefCell::new(None), async move {
            let response = match deadline {
                None => response.await?,
                Some(limit) => match tokio::time::timeout(limit, response).await {
                    Ok(response) => response?,
                    Err(_) => tonic::Status::deadline_exceeded(format!(
                        "Timeout error: Operation timed out after {limit:?}"
                    ))
                    .into_http(),
                },
            };
            // errors answer trailers-only: the status is in the headers;
            // a unary success carries it in the trailers (always 0)
            let code = response
                .headers()
                .get("grpc-status")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("0")
                .to_owned();
            let collection = COLLECTION.with(|c| c.borrow_mut().take());
            telemetry
                .grpc
                .record(&path, &code, collection.as_deref(), start.elapsed());
            Ok(response)
        }))
    }
}
