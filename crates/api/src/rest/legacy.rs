//! The legacy search, recommend and discover bodies (older clients),
//! converted into one-leaf query trees.

use collection::query::{QueryKind, QueryRequest as CoreQueryRequest};
use collection::search::QueryInput;
use collection::{CollectionError, Result};
use segment::vectors::{SparseVector, Vector};
use serde::Deserialize;
use serde_json::Value;

use super::filter::Filter;
use super::points::{WithPayload, WithVector};
use super::query::{
    leaf, pairs, request, OneOrMany, VectorInput, WirePair, WirePrefetch, WireRecommend,
    WireSearchParams, WireStrategy,
};

/// Legacy `POST /points/recommend` body.
#[derive(Debug, Clone, Deserialize)]
pub struct LegacyRecommendRequest {
    /// Positive examples.
    #[serde(default)]
    pub positive: Option<Vec<VectorInput>>,
    /// Negative examples.
    #[serde(default)]
    pub negative: Option<Vec<VectorInput>>,
    /// Strategy.
    #[serde(default)]
    pub strategy: Option<WireStrategy>,
    /// Filter.
    #[serde(default)]
    pub filter: Option<Filter>,
    /// Search parameters.
    #[serde(default)]
    pub params: Option<WireSearchParams>,
    /// Hits.
    pub limit: usize,
    /// Hits to skip.
    #[serde(default)]
    pub offset: Option<usize>,
    /// Payload to return.
    #[serde(default)]
    pub with_payload: Option<WithPayload>,
    /// Vectors to return.
    #[serde(default, alias = "with_vectors")]
    pub with_vector: Option<WithVector>,
    /// Score threshold.
    #[serde(default)]
    pub score_threshold: Option<f32>,
    /// Vector name.
    #[serde(default)]
    pub using: Option<String>,
    /// Other collection for example ids (not supported yet).
    #[serde(default)]
    pub lookup_from: Option<Value>,
    /// Shard key.
    #[serde(default)]
    #[allow(dead_code)]
    pub shard_key: Option<Value>,
}

impl LegacyRecommendRequest {
    /// Converts into the internal query (a recommend leaf).
    pub fn convert(self) -> Result<CoreQueryRequest> {
        let empty = |v: &Option<Vec<VectorInput>>| v.as_ref().is_none_or(Vec::is_empty);
        match self.strategy {
            None | Some(WireStrategy::AverageVector) if empty(&self.positive) => {
                return Err(CollectionError::BadRequest(
                    "At least one positive vector ID required with this strategy".into(),
                ));
            }
            Some(WireStrategy::BestScore | WireStrategy::SumScores)
                if empty(&self.positive) && empty(&self.negative) =>
            {
                return Err(CollectionError::BadRequest(
                    "At least one positive or negative vector ID required with this strategy"
                        .into(),
                ));
            }
            _ => {}
        }
        let query = WireRecommend {
            positive: self.positive,
            negative: self.negative,
            strategy: self.strategy,
        }
        .into_kind()?;
        let root = leaf(
            query,
            WirePrefetch {
                using: self.using,
                filter: self.filter,
                params: self.params,
                score_threshold: self.score_threshold,
                limit: Some(self.limit),
                lookup_from: self.lookup_from,
                ..WirePrefetch::default()
            },
        )?;
        request(root, self.offset, self.with_payload, self.with_vector)
    }
}

/// Legacy `recommend/batch` body.
#[derive(Debug, Clone, Deserialize)]
pub struct LegacyRecommendRequestBatch {
    /// Recommendations.
    pub searches: Vec<super::Flat<LegacyRecommendRequest>>,
}

/// Legacy `POST /points/discover` body.
#[derive(Debug, Clone, Deserialize)]
pub struct LegacyDiscoverRequest {
    /// Target.
    #[serde(default)]
    pub target: Option<VectorInput>,
    /// Context pairs.
    #[serde(default)]
    pub context: Option<Vec<WirePair>>,
    /// Filter.
    #[serde(default)]
    pub filter: Option<Filter>,
    /// Search parameters.
    #[serde(default)]
    pub params: Option<WireSearchParams>,
    /// Hits.
    pub limit: usize,
    /// Hits to skip.
    #[serde(default)]
    pub offset: Option<usize>,
    /// Payload to return.
    #[serde(default)]
    pub with_payload: Option<WithPayload>,
    /// Vectors to return.
    #[serde(default, alias = "with_vectors")]
    pub with_vector: Option<WithVector>,
    /// Vector name.
    #[serde(default)]
    pub using: Option<String>,
    /// Other collection for example ids (not supported yet).
    #[serde(default)]
    pub lookup_from: Option<Value>,
    /// Shard key.
    #[serde(default)]
    #[allow(dead_code)]
    pub shard_key: Option<Value>,
}

impl LegacyDiscoverRequest {
    /// Converts into the internal query (a discover or context leaf).
    pub fn convert(self) -> Result<CoreQueryRequest> {
        let context = pairs(self.context.map(OneOrMany::Many));
        let query = match self.target {
            Some(t) => QueryKind::Discover {
                target: t.into(),
                context,
            },
            None => QueryKind::Context(context),
        };
        let root = leaf(
            query,
            WirePrefetch {
                using: self.using,
                filter: self.filter,
                params: self.params,
                limit: Some(self.limit),
                lookup_from: self.lookup_from,
                ..WirePrefetch::default()
            },
        )?;
        request(root, self.offset, self.with_payload, self.with_vector)
    }
}

/// Legacy `discover/batch` body.
#[derive(Debug, Clone, Deserialize)]
pub struct LegacyDiscoverRequestBatch {
    /// Discoveries.
    pub searches: Vec<super::Flat<LegacyDiscoverRequest>>,
}

/// A named vector of the legacy search.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, rename = "NamedVectorStruct")]
pub enum NamedVectorStruct {
    /// The unnamed dense vector.
    Default(Vec<f32>),
    /// A named dense vector.
    Dense {
        /// Name.
        name: String,
        /// Vector.
        vector: Vec<f32>,
    },
    /// A named sparse vector.
    Sparse {
        /// Name.
        name: String,
        /// Vector.
        vector: SparseVector,
    },
}

/// Legacy `POST /points/search` body.
#[derive(Debug, Clone, Deserialize)]
pub struct LegacySearchRequest {
    /// The query vector.
    pub vector: NamedVectorStruct,
    /// Filter.
    #[serde(default)]
    pub filter: Option<Filter>,
    /// Search parameters.
    #[serde(default)]
    pub params: Option<WireSearchParams>,
    /// Hits.
    pub limit: usize,
    /// Hits to skip.
    #[serde(default)]
    pub offset: Option<usize>,
    /// Payload to return (default none).
    #[serde(default)]
    pub with_payload: Option<WithPayload>,
    /// Vectors to return (default none).
    #[serde(default)]
    pub with_vector: Option<WithVector>,
    /// Score threshold.
    #[serde(default)]
    pub score_threshold: Option<f32>,
    /// Shard key.
    #[serde(default)]
    #[allow(dead_code)]
    pub shard_key: Option<Value>,
}

impl LegacySearchRequest {
    /// Converts into the internal query (a nearest leaf).
    pub fn convert(self) -> Result<CoreQueryRequest> {
        let (using, vector) = match self.vector {
            NamedVectorStruct::Default(v) => (String::new(), Vector::Dense(v)),
            NamedVectorStruct::Dense { name, vector } => (name, Vector::Dense(vector)),
            NamedVectorStruct::Sparse { name, vector } => (name, Vector::Sparse(vector)),
        };
        let root = leaf(
            QueryKind::Nearest(QueryInput::Vector(vector)),
            WirePrefetch {
                using: Some(using),
                filter: self.filter,
                params: self.params,
                score_threshold: self.score_threshold,
                limit: Some(self.limit),
                ..WirePrefetch::default()
            },
        )?;
        request(root, self.offset, self.with_payload, self.with_vector)
    }
}

/// Legacy `search/batch` body.
#[derive(Debug, Clone, Deserialize)]
pub struct LegacySearchRequestBatch {
    /// Searches.
    pub searches: Vec<super::Flat<LegacySearchRequest>>,
}
