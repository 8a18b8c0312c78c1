//! `qdrant.Qdrant/HealthCheck` and the snapshot service.

use api::grpc::pb;
use tonic::{Request, Response, Status};

use super::status;
use crate::http::COMPAT_VERSION;
use crate::ops::{ApiError, AppState};

/// `qdrant.Qdrant`.
pub struct QdrantService;

#[tonic::async_trait]
impl pb::qdrant_server::Qdrant for QdrantService {
    async fn health_check(
        &self,
        _request: Request<pb::HealthCheckRequest>,
    ) -> Result<Response<pb::HealthCheckReply>, Status> {
        Ok(Response::new(pb::HealthCheckReply {
            title: "qdrant - vector search engine".into(),
            version: COMPAT_VERSION.into(),
            commit: None,
        }))
    }
}

/// `qdrant.Snapshots`: answers every rpc; snapshots are not built yet, so
/// creating one fails as an unsupported operation and the lists are empty
/// (for collections that exist).
pub struct SnapshotsService {
    state: AppState,
}

impl SnapshotsService {
    /// The service.
    pub fn new(state: AppState) -> Self {
        SnapshotsService { state }
    }

    fn collection(&self, name: &str) -> Result<(), Status> {
        self.state
            .toc
            .get(name)
            .map(|_| ())
            .map_err(|e| status(ApiError::from(e)))
    }
}

fn unsupported() -> Status {
    Status::unimplemented("Snapshots are not supported by this server yet")
}

#[tonic::async_trait]
impl pb::snapshots_server::Snapshots for SnapshotsService {
    async fn create(
        &self,
        request: Request<pb::CreateSnapshotRequest>,
    ) -> Result<Response<pb::CreateSnapshotResponse>, Status> {
        self.collection(&request.into_inner().collection_name)?;
        Err(unsupported())
    }

    async fn list(
        &self,
        request: Request<pb::ListSnapshotsRequest>,
    ) -> Result<Response<pb::ListSnapshotsResponse>, Status> {
        self.collection(&request.into_inner().collection_name)?;
        Ok(Response::new(pb::ListSnapshotsResponse {
            snapshot_descriptions: Vec::new(),
            time: 0.0,
        }))
    }

    async fn delete(
        &self,
        request: Request<pb::DeleteSnapshotRequest>,
    ) -> Result<Response<pb::DeleteSnapshotResponse>, Status> {
        let r = request.into_inner();
        self.collection(&r.collection_name)?;
        Err(Status::not_found(format!(
            "Not found: Snapshot {} not found",
            r.snapshot_name
        )))
    }

    async fn create_full(
        &self,
        _request: Request<pb::CreateFullSnapshotRequest>,
    ) -> Result<Response<pb::CreateSnapshotResponse>, Status> {
        Err(unsupported())
    }

    async fn list_full(
        &self,
        _request: Request<pb::ListFullSnapshotsRequest>,
    ) -> Result<Response<pb::ListSnapshotsResponse>, Status> {
        Ok(Response::new(pb::ListSnapshotsResponse {
            snapshot_descriptions: Vec::new(),
            time: 0.0,
        }))
    }

    async fn delete_full(
        &self,
        _request: Request<pb::DeleteFullSnapshotRequest>,
    ) -> Result<Response<pb::DeleteSnapshotResponse>, Status> {
        Err(unsupported())
    }
}
