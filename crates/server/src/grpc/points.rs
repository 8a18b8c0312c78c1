//! `qdrant.Points`.

use std::time::Instant;

use api::grpc::{output, pb, requests as conv};
use api::rest::groups::{MatrixOffsets, MatrixPairs};
use api::rest::legacy::{LegacyDiscoverRequest, LegacyRecommendRequest, LegacySearchRequest};
use api::rest::query::QueryRequest;
use api::rest::records::UpdateResult;
use tonic::{Request, Response, Status};

use super::{elapsed, invalid, status};
use crate::ops::{points as op, search, AppState};

/// The points service over the shared state.
pub struct PointsService {
    state: AppState,
}

impl PointsService {
    /// The service.
    pub fn new(state: AppState) -> Self {
        PointsService { state }
    }
}

fn operation(result: UpdateResult, start: Instant) -> Response<pb::PointsOperationResponse> {
    Response::new(pb::PointsOperationResponse {
        result: Some(output::update(&result)),
        time: elapsed(start),
        usage: None,
    })
}

impl PointsService {
    /// Runs one converted update.
    async fn update(
        &self,
        name: &str,
        wait: Option<bool>,
        request: collection::Result<collection::operations::UpdateRequest>,
    ) -> Result<Response<pb::PointsOperationResponse>, Status> {
        let start = Instant::now();
        let result = op::update_one(&self.state, name, wait.unwrap_or(false), request)
            .await
            .map_err(status)?;
        Ok(operation(result, start))
    }

    /// Runs query trees: the hits of each request.
    async fn batch<T>(
        &self,
        name: &str,
        bodies: Vec<T>,
        convert: fn(T) -> collection::Result<collection::query::QueryRequest>,
    ) -> Result<Vec<pb::BatchResult>, Status> {
        let hits = search::query_converted(&self.state, name, bodies, convert)
            .await
            .map_err(status)?;
        Ok(output::batches(&hits))
    }

    /// Runs one query tree: its hits.
    async fn hits<T>(
        &self,
        name: &str,
        body: T,
        convert: fn(T) -> collection::Result<collection::query::QueryRequest>,
    ) -> Result<Vec<pb::ScoredPoint>, Status> {
        let hits = search::query_one(&self.state, name, convert(body))
            .await
            .map_err(status)?;
        Ok(output::scored_list(&hits))
    }

    /// Runs one query tree grouped by a payload field.
    async fn groups(
        &self,
        name: &str,
        query: collection::Result<collection::query::QueryRequest>,
        groups: api::rest::groups::GroupParams,
    ) -> Result<pb::GroupsResult, Status> {
        let found = search::groups(&self.state, name, query.map_err(invalid)?, groups)
            .await
            .map_err(status)?;
        Ok(output::groups(&found))
    }
}

#[tonic::async_trait]
impl pb::points_server::Points for PointsService {
    async fn upsert(
        &self,
        request: Request<pb::UpsertPoints>,
    ) -> Result<Response<pb::PointsOperationResponse>, Status> {
        let mut r = request.into_inner();
        let (name, wait) = (std::mem::take(&mut r.collection_name), r.wait);
        let r = match api::grpc::direct::upsert(r) {
            Ok(update) => return self.update(&name, wait, Ok(update)).await,
            Err(r) => r,
        };
        let body = conv::upsert(&r).map_err(invalid)?;
        self.update(&name, wait, body.convert()).await
    }

    async fn delete(
        &self,
        request: Request<pb::DeletePoints>,
    ) -> Result<Response<pb::PointsOperationResponse>, Status> {
        let r = request.into_inner();
        let body = conv::delete(&r).map_err(invalid)?;
        let req = body
            .convert()
            .map(collection::operations::UpdateRequest::Delete);
        self.update(&r.collection_name, r.wait, req).await
    }

    async fn get(
        &self,
        request: Request<pb::GetPoints>,
    ) -> Result<Response<pb::GetResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::get(&r).map_err(invalid)?;
        let records = op::retrieve(&self.state, &r.collection_name, body)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::GetResponse {
            result: records.iter().map(output::record).collect(),
            time: elapsed(start),
            usage: None,
        }))
    }

    async fn update_vectors(
        &self,
        request: Request<pb::UpdatePointVectors>,
    ) -> Result<Response<pb::PointsOperationResponse>, Status> {
        let r = request.into_inner();
        let body = conv::update_vectors(&r).map_err(invalid)?;
        self.update(&r.collection_name, r.wait, body.convert())
            .await
    }

    async fn delete_vectors(
        &self,
        request: Request<pb::DeletePointVectors>,
    ) -> Result<Response<pb::PointsOperationResponse>, Status> {
        let r = request.into_inner();
        let body = conv::delete_vectors(&r).map_err(invalid)?;
        self.update(&r.collection_name, r.wait, body.convert())
            .await
    }

    async fn set_payload(
        &self,
        request: Request<pb::SetPayloadPoints>,
    ) -> Result<Response<pb::PointsOperationResponse>, Status> {
        let r = request.into_inner();
        let body = conv::set_payload(&r).map_err(invalid)?;
        self.update(&r.collection_name, r.wait, body.convert_set())
            .await
    }

    async fn overwrite_payload(
        &self,
        request: Request<pb::SetPayloadPoints>,
    ) -> Result<Response<pb::PointsOperationResponse>, Status> {
        let r = request.into_inner();
        let body = conv::set_payload(&r).map_err(invalid)?;
        self.update(&r.collection_name, r.wait, body.convert_overwrite())
            .await
    }

    async fn delete_payload(
        &self,
        request: Request<pb::DeletePayloadPoints>,
    ) -> Result<Response<pb::PointsOperationResponse>, Status> {
        let r = request.into_inner();
        let body = conv::delete_payload(&r).map_err(invalid)?;
        self.update(&r.collection_name, r.wait, body.convert())
            .await
    }

    async fn clear_payload(
        &self,
        request: Request<pb::ClearPayloadPoints>,
    ) -> Result<Response<pb::PointsOperationResponse>, Status> {
        let r = request.into_inner();
        let body = conv::clear_payload(&r).map_err(invalid)?;
        let req = body
            .convert()
            .map(collection::operations::UpdateRequest::ClearPayload);
        self.update(&r.collection_name, r.wait, req).await
    }

    async fn create_field_index(
        &self,
        request: Request<pb::CreateFieldIndexCollection>,
    ) -> Result<Response<pb::PointsOperationResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::create_index(&r).map_err(invalid)?;
        let result = op::create_index(
            &self.state,
            &r.collection_name,
            r.wait.unwrap_or(false),
            body,
        )
        .await
        .map_err(status)?;
        Ok(operation(result, start))
    }

    async fn delete_field_index(
        &self,
        request: Request<pb::DeleteFieldIndexCollection>,
    ) -> Result<Response<pb::PointsOperationResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let result = op::delete_index(
            &self.state,
            &r.collection_name,
            r.wait.unwrap_or(false),
            r.field_name,
        )
        .await
        .map_err(status)?;
        Ok(operation(result, start))
    }

    async fn create_vector_name(
        &self,
        request: Request<pb::CreateVectorNameRequest>,
    ) -> Result<Response<pb::PointsOperationResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::create_vector_name(&r).map_err(invalid)?;
        let result = crate::ops::collections::create_vector(
            &self.state,
            &r.collection_name,
            r.vector_name,
            r.wait.unwrap_or(false),
            body,
        )
        .await
        .map_err(status)?;
        Ok(operation(result, start))
    }

    async fn delete_vector_name(
        &self,
        request: Request<pb::DeleteVectorNameRequest>,
    ) -> Result<Response<pb::PointsOperationResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let result = crate::ops::collections::delete_vector(
            &self.state,
            &r.collection_name,
            r.vector_name,
            r.wait.unwrap_or(false),
        )
        .await
        .map_err(status)?;
        Ok(operation(result, start))
    }

    async fn search(
        &self,
        request: Request<pb::SearchPoints>,
    ) -> Result<Response<pb::SearchResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::search(&r).map_err(invalid)?;
        let result = self
            .hits(&r.collection_name, body, LegacySearchRequest::convert)
            .await?;
        Ok(Response::new(pb::SearchResponse {
            result,
            time: elapsed(start),
            usage: None,
        }))
    }

    async fn search_batch(
        &self,
        request: Request<pb::SearchBatchPoints>,
    ) -> Result<Response<pb::SearchBatchResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let bodies = conv::search_batch(&r).map_err(invalid)?;
        let result = self
            .batch(&r.collection_name, bodies, LegacySearchRequest::convert)
            .await?;
        Ok(Response::new(pb::SearchBatchResponse {
            result,
            time: elapsed(start),
            usage: None,
        }))
    }

    async fn search_groups(
        &self,
        request: Request<pb::SearchPointGroups>,
    ) -> Result<Response<pb::SearchGroupsResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::search_groups(&r).map_err(invalid)?;
        let result = self
            .groups(&r.collection_name, body.search.convert(), body.groups)
            .await?;
        Ok(Response::new(pb::SearchGroupsResponse {
            result: Some(result),
            time: elapsed(start),
            usage: None,
        }))
    }

    async fn scroll(
        &self,
        request: Request<pb::ScrollPoints>,
    ) -> Result<Response<pb::ScrollResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::scroll(&r).map_err(invalid)?;
        let page = op::scroll(&self.state, &r.collection_name, body)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::ScrollResponse {
            next_page_offset: page.next_page_offset.as_ref().map(output::point_id),
            result: page.points.iter().map(output::record).collect(),
            time: elapsed(start),
            usage: None,
        }))
    }

    async fn recommend(
        &self,
        request: Request<pb::RecommendPoints>,
    ) -> Result<Response<pb::RecommendResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::recommend(&r).map_err(invalid)?;
        let result = self
            .hits(&r.collection_name, body, LegacyRecommendRequest::convert)
            .await?;
        Ok(Response::new(pb::RecommendResponse {
            result,
            time: elapsed(start),
            usage: None,
        }))
    }

    async fn recommend_batch(
        &self,
        request: Request<pb::RecommendBatchPoints>,
    ) -> Result<Response<pb::RecommendBatchResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let bodies = conv::recommend_batch(&r).map_err(invalid)?;
        let result = self
            .batch(&r.collection_name, bodies, LegacyRecommendRequest::convert)
            .await?;
        Ok(Response::new(pb::RecommendBatchResponse {
            result,
            time: elapsed(start),
            usage: None,
        }))
    }

    async fn recommend_groups(
        &self,
        request: Request<pb::RecommendPointGroups>,
    ) -> Result<Response<pb::RecommendGroupsResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::recommend_groups(&r).map_err(invalid)?;
        let result = self
            .groups(&r.collection_name, body.recommend.convert(), body.groups)
            .await?;
        Ok(Response::new(pb::RecommendGroupsResponse {
            result: Some(result),
            time: elapsed(start),
            usage: None,
        }))
    }

    async fn discover(
        &self,
        request: Request<pb::DiscoverPoints>,
    ) -> Result<Response<pb::DiscoverResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::discover(&r).map_err(invalid)?;
        let result = self
            .hits(&r.collection_name, body, LegacyDiscoverRequest::convert)
            .await?;
        Ok(Response::new(pb::DiscoverResponse {
            result,
            time: elapsed(start),
            usage: None,
        }))
    }

    async fn discover_batch(
        &self,
        request: Request<pb::DiscoverBatchPoints>,
    ) -> Result<Response<pb::DiscoverBatchResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let bodies = conv::discover_batch(&r).map_err(invalid)?;
        let result = self
            .batch(&r.collection_name, bodies, LegacyDiscoverRequest::convert)
            .await?;
        Ok(Response::new(pb::DiscoverBatchResponse {
            result,
            time: elapsed(start),
            usage: None,
        }))
    }

    async fn count(
        &self,
        request: Request<pb::CountPoints>,
    ) -> Result<Response<pb::CountResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::count(&r).map_err(invalid)?;
        let count = op::count(&self.state, &r.collection_name, body)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::CountResponse {
            result: Some(pb::CountResult {
                count: count.count as u64,
            }),
            time: elapsed(start),
            usage: None,
        }))
    }

    async fn update_batch(
        &self,
        request: Request<pb::UpdateBatchPoints>,
    ) -> Result<Response<pb::UpdateBatchResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::update_batch(&r).map_err(invalid)?;
        let requests = body
            .operations
            .into_iter()
            .map(|op| op.convert())
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        let results = op::update(
            &self.state,
            &r.collection_name,
            r.wait.unwrap_or(false),
            requests,
        )
        .await
        .map_err(status)?;
        Ok(Response::new(pb::UpdateBatchResponse {
            result: results.iter().map(output::update).collect(),
            time: elapsed(start),
            usage: None,
        }))
    }

    async fn query(
        &self,
        request: Request<pb::QueryPoints>,
    ) -> Result<Response<pb::QueryResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::query_points(&r).map_err(invalid)?;
        let result = self
            .hits(&r.collection_name, body, QueryRequest::convert)
            .await?;
        Ok(Response::new(pb::QueryResponse {
            result,
            time: elapsed(start),
            usage: None,
        }))
    }

    async fn query_batch(
        &self,
        request: Request<pb::QueryBatchPoints>,
    ) -> Result<Response<pb::QueryBatchResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let bodies = conv::query_batch(&r).map_err(invalid)?;
        let result = self
            .batch(&r.collection_name, bodies, QueryRequest::convert)
            .await?;
        Ok(Response::new(pb::QueryBatchResponse {
            result,
            time: elapsed(start),
            usage: None,
        }))
    }

    async fn query_groups(
        &self,
        request: Request<pb::QueryPointGroups>,
    ) -> Result<Response<pb::QueryGroupsResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::query_groups(&r).map_err(invalid)?;
        let result = self
            .groups(&r.collection_name, body.query.convert(), body.groups)
            .await?;
        Ok(Response::new(pb::QueryGroupsResponse {
            result: Some(result),
            time: elapsed(start),
            usage: None,
        }))
    }

    async fn facet(
        &self,
        request: Request<pb::FacetCounts>,
    ) -> Result<Response<pb::FacetResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::facet(&r).map_err(invalid)?;
        let hits = op::facet(&self.state, &r.collection_name, body)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::FacetResponse {
            hits: output::facet(&hits),
            time: elapsed(start),
            usage: None,
        }))
    }

    async fn search_matrix_pairs(
        &self,
        request: Request<pb::SearchMatrixPoints>,
    ) -> Result<Response<pb::SearchMatrixPairsResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::matrix(&r).map_err(invalid)?;
        let matrix = search::matrix(&self.state, &r.collection_name, body)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::SearchMatrixPairsResponse {
            result: Some(output::matrix_pairs(&MatrixPairs::new(matrix))),
            time: elapsed(start),
            usage: None,
        }))
    }

    async fn search_matrix_offsets(
        &self,
        request: Request<pb::SearchMatrixPoints>,
    ) -> Result<Response<pb::SearchMatrixOffsetsResponse>, Status> {
        let start = Instant::now();
        let r = request.into_inner();
        let body = conv::matrix(&r).map_err(invalid)?;
        let matrix = search::matrix(&self.state, &r.collection_name, body)
            .await
            .map_err(status)?;
        Ok(Response::new(pb::SearchMatrixOffsetsResponse {
            result: Some(output::matrix_offsets(&MatrixOffsets::new(matrix))),
            time: elapsed(start),
            usage: None,
        }))
    }
}
