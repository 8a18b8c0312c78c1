//! Counts each gRPC response under its method path (`/qdrant.Points/Query`)
//! and status code, as Qdrant's telemetry counts them.

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Instant;

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

impl<S, B, R> tower::Service<http::Request<B>> for Metered<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>>,
    S::Future: Send + 'static,
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
        let response = self.inner.call(request);
        Box::pin(COLLECTION.scope(RefCell::new(None), async move {
            let response = response.await?;
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
