//! The REST service: routes, shared state and response conventions.

mod collections;
mod extract;
mod points;
mod response;
mod search;
mod service;

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::{get, post, put};
use axum::Router;
use storage::toc::TableOfContent;
use tower_http::cors::CorsLayer;

use crate::settings::Settings;
pub use response::ApiError;
pub use service::COMPAT_VERSION;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The catalog.
    pub toc: Arc<TableOfContent>,
    /// The configuration.
    pub settings: Arc<Settings>,
    /// Instance id reported by telemetry.
    pub instance_id: uuid::Uuid,
    /// When the server started.
    pub started: SystemTime,
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
        .route("/cluster", get(service::cluster))
        .route("/cluster/recover", post(service::cluster_recover))
        .route(
            "/cluster/peer/{peer_id}",
            axum::routing::delete(service::remove_peer),
        )
        .route("/cluster/telemetry", get(service::cluster_telemetry))
        .route(
            "/collections/{name}/cluster",
            get(collections::cluster_info),
        )
        .route("/collections/{name}/shards", get(collections::shard_keys))
        .route("/collections", get(collections::list))
        .route("/collections/aliases", post(collections::update_aliases))
        .route("/aliases", get(collections::list_aliases))
        .route(
            "/collections/{name}",
            get(collections::info)
                .put(collections::create)
                .patch(collections::update)
                .delete(collections::delete),
        )
        .route("/collections/{name}/exists", get(collections::exists))
        .route(
            "/collections/{name}/aliases",
            get(collections::collection_aliases),
        )
        .route(
            "/collections/{name}/optimizations",
            get(collections::optimizations),
        )
        .route(
            "/collections/{name}/vectors/{vector}",
            put(collections::create_vector).delete(collections::delete_vector),
        )
        .route(
            "/collections/{name}/points",
            put(points::upsert).post(points::retrieve),
        )
        .route("/collections/{name}/points/{id}", get(points::get_point))
        .route("/collections/{name}/points/delete", post(points::delete))
        .route("/collections/{name}/points/batch", post(points::batch))
        .route(
            "/collections/{name}/points/vectors",
            put(points::update_vectors),
        )
        .route(
            "/collections/{name}/points/vectors/delete",
            post(points::delete_vectors),
        )
        .route(
            "/collections/{name}/points/payload",
            post(points::set_payload).put(points::overwrite_payload),
        )
        .route(
            "/collections/{name}/points/payload/delete",
            post(points::delete_payload),
        )
        .route(
            "/collections/{name}/points/payload/clear",
            post(points::clear_payload),
        )
        .route("/collections/{name}/points/scroll", post(points::scroll))
        .route("/collections/{name}/points/count", post(points::count))
        .route("/collections/{name}/index", put(points::create_index))
        .route(
            "/collections/{name}/index/{field}",
            axum::routing::delete(points::delete_index),
        )
        .route("/collections/{name}/facet", post(points::facet))
        .route("/collections/{name}/points/query", post(search::query))
        .route(
            "/collections/{name}/points/query/batch",
            post(search::query_batch),
        )
        .route("/collections/{name}/points/search", post(search::search))
        .route(
            "/collections/{name}/points/search/batch",
            post(search::search_batch),
        )
        .route(
            "/collections/{name}/points/search/matrix/pairs",
            post(search::matrix_pairs),
        )
        .route(
            "/collections/{name}/points/search/matrix/offsets",
            post(search::matrix_offsets),
        )
        .route(
            "/collections/{name}/points/query/groups",
            post(search::query_groups),
        )
        .route(
            "/collections/{name}/points/search/groups",
            post(search::search_groups),
        )
        .route(
            "/collections/{name}/points/recommend/groups",
            post(search::recommend_groups),
        )
        .route(
            "/collections/{name}/points/discover",
            post(search::discover),
        )
        .route(
            "/collections/{name}/points/discover/batch",
            post(search::discover_batch),
        )
        .route(
            "/collections/{name}/points/recommend",
            post(search::recommend),
        )
        .route(
            "/collections/{name}/points/recommend/batch",
            post(search::recommend_batch),
        )
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "Not found: no such endpoint")
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

/// The whole REST application, also served under `/qdrant`.
pub fn router(state: AppState) -> Router {
    let limit = state
        .settings
        .service
        .max_request_size_mb
        .saturating_mul(1024 * 1024);
    let cors = state.settings.service.enable_cors;
    let api = api_routes();
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
