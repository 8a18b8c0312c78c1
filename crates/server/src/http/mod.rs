//! The REST service: routes, shared state and response conventions.

mod collections;
mod extract;
mod points;
mod response;
mod search;
mod service;

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{DefaultBodyLimit, MatchedPath, RawPathParams, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::Router;
use storage::toc::TableOfContent;
use tower_http::cors::CorsLayer;

use crate::quota::Quotas;
use crate::settings::Settings;
use crate::telemetry::Telemetry;
pub use response::ApiError;
pub use service::COMPAT_VERSION;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The catalog.
    pub toc: Arc<TableOfContent>,
    /// The configuration.
    pub settings: Arc<Settings>,
    /// Response statistics, issues, the instance id.
    pub telemetry: Arc<Telemetry>,
    /// The resource quota.
    pub quotas: Arc<Quotas>,
}

/// Runs blocking storage work off the async reactor.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Service internal error: {e}"),
        )
    })?
}

fn api_routes() -> Router<AppState> {
    Router::new()
        .route("/", get(service::root))
        .route("/healthz", get(service::healthz))
        .route("/livez", get(service::healthz))
        .route("/readyz", get(service::readyz))
        .route("/telemetry", get(service::telemetry))
        .route("/metrics", get(service::metrics))
        .route(
            "/issues",
            get(service::issues).delete(service::clear_issues),
        )
        .route("/quotas", get(service::quotas).put(service::set_quotas))
        .route("/cluster", get(service::cluster))
        .route("/cluster/recover", post(service::cluster_recover))
        .route(
            "/cluster/peer/{peer_id}",
            axum::routing::delete(service::remove_peer),
        )
        .route("/cluster/telemetry", get(service::cluster_telemetry))
        .route(
            "/collections/{collection_name}/cluster",
            get(collections::cluster_info),
        )
        .route(
            "/collections/{collection_name}/shards",
            get(collections::shard_keys),
        )
        .route("/collections", get(collections::list))
        .route("/collections/aliases", post(collections::update_aliases))
        .route("/aliases", get(collections::list_aliases))
        .route(
            "/collections/{collection_name}",
            get(collections::info)
                .put(collections::create)
                .patch(collections::update)
                .delete(collections::delete),
        )
        .route(
            "/collections/{collection_name}/exists",
            get(collections::exists),
        )
        .route(
            "/collections/{collection_name}/aliases",
            get(collections::collection_aliases),
        )
        .route(
            "/collections/{collection_name}/optimizations",
            get(collections::optimizations),
        )
        .route(
            "/collections/{collection_name}/vectors/{vector_name}",
            put(collections::create_vector).delete(collections::delete_vector),
        )
        .route(
            "/collections/{collection_name}/points",
            put(points::upsert).post(points::retrieve),
        )
        .route(
            "/collections/{collection_name}/points/{id}",
            get(points::get_point),
        )
        .route(
            "/collections/{collection_name}/points/delete",
            post(points::delete),
        )
        .route(
            "/collections/{collection_name}/points/batch",
            post(points::batch),
        )
        .route(
            "/collections/{collection_name}/points/vectors",
            put(points::update_vectors),
        )
        .route(
            "/collections/{collection_name}/points/vectors/delete",
            post(points::delete_vectors),
        )
        .route(
            "/collections/{collection_name}/points/payload",
            post(points::set_payload).put(points::overwrite_payload),
        )
        .route(
            "/collections/{collection_name}/points/payload/delete",
            post(points::delete_payload),
        )
        .route(
            "/collections/{collection_name}/points/payload/clear",
            post(points::clear_payload),
        )
        .route(
            "/collections/{collection_name}/points/scroll",
            post(points::scroll),
        )
        .route(
            "/collections/{collection_name}/points/count",
            post(points::count),
        )
        .route(
            "/collections/{collection_name}/index",
            put(points::create_index),
        )
        .route(
            "/collections/{collection_name}/index/{field_name}",
            axum::routing::delete(points::delete_index),
        )
        .route("/collections/{collection_name}/facet", post(points::facet))
        .route(
            "/collections/{collection_name}/points/query",
            post(search::query),
        )
        .route(
            "/collections/{collection_name}/points/query/batch",
            post(search::query_batch),
        )
        .route(
            "/collections/{collection_name}/points/search",
            post(search::search),
        )
        .route(
            "/collections/{collection_name}/points/search/batch",
            post(search::search_batch),
        )
        .route(
            "/collections/{collection_name}/points/search/matrix/pairs",
            post(search::matrix_pairs),
        )
        .route(
            "/collections/{collection_name}/points/search/matrix/offsets",
            post(search::matrix_offsets),
        )
        .route(
            "/collections/{collection_name}/points/query/groups",
            post(search::query_groups),
        )
        .route(
            "/collections/{collection_name}/points/search/groups",
            post(search::search_groups),
        )
        .route(
            "/collections/{collection_name}/points/recommend/groups",
            post(search::recommend_groups),
        )
        .route(
            "/collections/{collection_name}/points/discover",
            post(search::discover),
        )
        .route(
            "/collections/{collection_name}/points/discover/batch",
            post(search::discover_batch),
        )
        .route(
            "/collections/{collection_name}/points/recommend",
            post(search::recommend),
        )
        .route(
            "/collections/{collection_name}/points/recommend/batch",
            post(search::recommend_batch),
        )
}

async fn not_found(State(state): State<AppState>, request: Request) -> Response {
    let start = Instant::now();
    let response =
        ApiError::new(StatusCode::NOT_FOUND, "Not found: no such endpoint").into_response();
    let endpoint = format!("{} unknown", request.method());
    count_response(&state, &endpoint, None, &response, start);
    response
}

/// Counts one REST response under `endpoint` (and `collection`).
fn count_response(
    state: &AppState,
    endpoint: &str,
    collection: Option<&str>,
    response: &Response,
    start: Instant,
) {
    let status = response.status().as_u16().to_string();
    state
        .telemetry
        .rest
        .record(endpoint, &status, collection, start.elapsed());
}

/// Counts each response of a routed request under Qdrant's endpoint name
/// (`METHOD /route/{param}`, without the `/qdrant` prefix) and status, and
/// under the collection it names.
async fn record_response(
    State(state): State<AppState>,
    path: MatchedPath,
    params: RawPathParams,
    request: Request,
    next: Next,
) -> Response {
    let start = Instant::now();
    let route = path.as_str();
    let endpoint = format!(
        "{} {}",
        request.method(),
        route.strip_prefix("/qdrant").unwrap_or(route)
    );
    let collection = params
        .iter()
        .find(|(k, _)| *k == "collection_name")
        .map(|(_, v)| v.to_owned());
    let response = next.run(request).await;
    count_response(&state, &endpoint, collection.as_deref(), &response, start);
    response
}

/// Refuses bodies announced larger than the limit before reading them, with
/// Qdrant's message; bodies without a length are cut by `DefaultBodyLimit`.
async fn limit_body(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = state
        .settings
        .service
        .max_request_size_mb
        .saturating_mul(1024 * 1024);
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    match announced {
        Some(len) if len > limit => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("Payload error: JSON payload ({len} bytes) is larger than allowed (limit: {limit} bytes)."),
        )
        .into_response(),
        _ => next.run(request).await,
    }
}

async fn server_header(mut response: Response) -> Response {
    let value = concat!("vectorizer/", env!("CARGO_PKG_VERSION"));
    response
        .headers_mut()
        .insert(header::SERVER, HeaderValue::from_static(value));
    response
}

/// Reads (all of them `POST`s) that the `timeout` query parameter cuts,
/// with the operation name Qdrant's timeout error gives them; the `timeout`
/// of an update (`PUT /points` shares its route with retrieval) is not one.
fn timed_read(method: &axum::http::Method, route: &str) -> Option<&'static str> {
    if method != axum::http::Method::POST {
        return None;
    }
    let route = route.strip_prefix("/qdrant").unwrap_or(route);
    let rest = route.strip_prefix("/collections/{collection_name}")?;
    Some(match rest {
        "/points/scroll" => "Scroll",
        "/points/count" => "Count",
        "/facet" => "Facet",
        "/points" => "Retrieve",
        r if r.starts_with("/points/query")
            || r.starts_with("/points/search")
            || r.starts_with("/points/recommend")
            || r.starts_with("/points/discover") =>
        {
            "Search"
        }
        _ => return None,
    })
}

/// The `timeout` query parameter (seconds), when one is given.
fn timeout_param(uri: &axum::http::Uri) -> Option<u64> {
    uri.query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("timeout="))
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&t| t > 0)
}

/// Cuts a read at its `timeout` with the error Qdrant answers then (the
/// work finishes in the background; its result is dropped).
async fn read_timeout(path: MatchedPath, request: Request, next: Next) -> Response {
    let operation = timed_read(request.method(), path.as_str());
    let (Some(operation), Some(secs)) = (operation, timeout_param(request.uri())) else {
        return next.run(request).await;
    };
    let limit = std::time::Duration::from_secs(secs);
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!(
                "Service internal error: 1 of 1 read operations failed:\n  Timeout error: \
                 Operation '{operation}' timed out after {limit:?}"
            ),
        )
        .into_response(),
    }
}

/// The whole REST application, also served under `/qdrant`.
pub fn router(state: AppState) -> Router {
    let limit = state
        .settings
        .service
        .max_request_size_mb
        .saturating_mul(1024 * 1024);
    let cors = state.settings.service.enable_cors;
    let api = api_routes()
        .route_layer(axum::middleware::from_fn(read_timeout))
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            record_response,
        ));
    let mut app = Router::new()
        .merge(api.clone())
        .nest("/qdrant", api)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(limit))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            limit_body,
        ))
        .layer(axum::middleware::map_response(server_header))
        .with_state(state);
    if cors {
        app = app.layer(CorsLayer::very_permissive());
    }
    app
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;

    #[test]
    fn only_reads_are_cut_at_their_timeout() {
        let points = "/collections/{collection_name}/points";
        assert_eq!(timed_read(&Method::POST, points), Some("Retrieve"));
        // the same route upserts: its `timeout` is the update's
        assert_eq!(timed_read(&Method::PUT, points), None);
        let query = "/qdrant/collections/{collection_name}/points/query/batch";
        assert_eq!(timed_read(&Method::POST, query), Some("Search"));
        assert_eq!(
            timed_read(&Method::POST, "/collections/{collection_name}/index"),
            None
        );
    }
}
