//! `qdrant.Collections`.

use std::time::Instant;

use api::grpc::{collections as conv, pb};
use tonic::{Request, Response, Status};

use super::{elapsed, invalid, status};
use crate::ops::collections as op;
use crate::ops::AppState;

/// The collections service over the shared state.
pub struct CollectionsService {
    state: AppState,
}

impl CollectionsService {
    /// The service.
    pub fn new(state: AppState) -> Self {
        CollectionsService { state }
    }
}

fn done(start: Instant, result: bool) -> Response<pb::CollectionOperationResponse> {
    Response::new(pb::CollectionOperationResponse {
        result,
        time: elapsed(start),
    })
}

fn aliases(
    list: api::rest::collections::AliasesResponse,
    start: Instant,
) -> pb::ListAliasesResponse {
    pb::ListAliasesResponse {
        aliases: list
            .aliases
            .into_iter()
            .map(|a| pb::AliasDescription {
                alias_name: a.alias_name,
                collection_name: a.collection_name,
            })
            .collect(),
        time: elapsed(start),
    }
}

fn single_node() -> Status {
    Status::failed_precondition(
        "Bad request: Distributed mode is disabled: this server runs a single node",
    )
}

#[tonic::async_trait]
impl pb::collections_server::Collections for CollectionsService {
    async fn get(
        &self,
        request: Request<pb::GetCollectionInfoRequest>,
    ) -> Result<Response<pb::GetCollectionInfoResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let info = op::info(&self.state, &r.collection_name)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::GetCollectionInfoResponse {
            result: Some(api::grpc::info::info(&info)),
            time: elapsed(start),
        }))
    }

    async fn list(
        &self,
        _request: Request<pb::ListCollectionsRequest>,
    ) -> Result<Response<pb::ListCollectionsResponse>, Status> {
        let start = Instant::now();
        Ok(Response::new(pb::ListCollectionsResponse {
            collections: op::list(&self.state)
                .into_iter()
                .map(|name| pb::CollectionDescription { name })
                .collect(),
            time: elapsed(start),
        }))
    }

    async fn create(
        &self,
        request: Request<pb::CreateCollection>,
    ) -> Result<Response<pb::CollectionOperationResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::create(&r).map_err(invalid)?;
        op::create(&self.state, r.collection_name, body)
            .await
            .map_err(status)?;
        Ok(done(start, true))
    }

    async fn update(
        &self,
        request: Request<pb::UpdateCollection>,
    ) -> Result<Response<pb::CollectionOperationResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::update(&r).map_err(invalid)?;
        op::update(&self.state, r.collection_name, body)
            .await
            .map_err(status)?;
        Ok(done(start, true))
    }

    async fn delete(
        &self,
        request: Request<pb::DeleteCollection>,
    ) -> Result<Response<pb::CollectionOperationResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let deleted = op::delete(&self.state, r.collection_name)
            .await
            .map_err(status)?;
        Ok(done(start, deleted))
    }

    async fn update_aliases(
        &self,
        request: Request<pb::ChangeAliases>,
    ) -> Result<Response<pb::CollectionOperationResponse>, Status> {
        let start = Instant::now();
        let body = conv::aliases(&request.into_inner()).map_err(invalid)?;
        op::update_aliases(&self.state, body)
            .await
            .map_err(status)?;
        Ok(done(start, true))
    }

    async fn list_collection_aliases(
        &self,
        request: Request<pb::ListCollectionAliasesRequest>,
    ) -> Result<Response<pb::ListAliasesResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let list = op::collection_aliases(&self.state, &r.collection_name).map_err(status)?;
        Ok(Response::new(aliases(list, start)))
    }

    async fn list_aliases(
        &self,
        _request: Request<pb::ListAliasesRequest>,
    ) -> Result<Response<pb::ListAliasesResponse>, Status> {
        let start = Instant::now();
        Ok(Response::new(aliases(op::list_aliases(&self.state), start)))
    }

    async fn collection_cluster_info(
        &self,
        request: Request<pb::CollectionClusterInfoRequest>,
    ) -> Result<Response<pb::CollectionClusterInfoResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let info = op::info(&self.state, &r.collection_name)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::CollectionClusterInfoResponse {
            peer_id: 0,
            shard_count: 1,
            local_shards: vec![pb::LocalShardInfo {
                shard_id: 0,
                points_count: info.points_count as u64,
                state: pb::ReplicaState::Active as i32,
                shard_key: None,
            }],
            remote_shards: Vec::new(),
            shard_transfers: Vec::new(),
            resharding_operations: Vec::new(),
            time: elapsed(start),
        }))
    }

    async fn collection_exists(
        &self,
        request: Request<pb::CollectionExistsRequest>,
    ) -> Result<Response<pb::CollectionExistsResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let exists = op::exists(&self.state, &r.collection_name).map_err(status)?;
        Ok(Response::new(pb::CollectionExistsResponse {
            result: Some(pb::CollectionExists { exists }),
            time: elapsed(start),
        }))
    }

    async fn update_collection_cluster_setup(
        &self,
        request: Request<pb::UpdateCollectionClusterSetupRequest>,
    ) -> Result<Response<pb::UpdateCollectionClusterSetupResponse>, Status> {
        let r = request.into_inner();
        op::info(&self.state, &r.collection_name)
            .await
            .map_err(status)?;
        Err(single_node())
    }

    async fn create_shard_key(
        &self,
        request: Request<pb::CreateShardKeyRequest>,
    ) -> Result<Response<pb::CreateShardKeyResponse>, Status> {
        let r = request.into_inner();
        op::info(&self.state, &r.collection_name)
            .await
            .map_err(status)?;
        Err(Status::invalid_argument(
            "Wrong input: Shard key can't be created for a collection with auto sharding",
        ))
    }

    async fn delete_shard_key(
        &self,
        request: Request<pb::DeleteShardKeyRequest>,
    ) -> Result<Response<pb::DeleteShardKeyResponse>, Status> {
        let r = request.into_inner();
        op::info(&self.state, &r.collection_name)
            .await
            .map_err(status)?;
        Err(Status::invalid_argument(
            "Wrong input: Shard key can't be deleted for a collection with auto sharding",
        ))
    }

    async fn list_shard_keys(
        &self,
        request: Request<pb::ListShardKeysRequest>,
    ) -> Result<Response<pb::ListShardKeysResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        op::info(&self.state, &r.collection_name)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ListShardKeysResponse {
            shard_keys: Vec::new(),
            time: elapsed(start),
        }))
    }
}
