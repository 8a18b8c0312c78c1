//! Groups requests and responses, and the distance matrix.

use collection::query::GroupId;
use collection::{CollectionError, Result};
use segment::selector::{PayloadSelector, VectorSelector};
use segment::PointId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::filter::{convert_opt, Filter};
use super::legacy::{LegacyRecommendRequest, LegacySearchRequest};
use super::points::{payload_selector, vector_selector, WithPayload, WithVector};
use super::query::{check_limit, QueryRequest, ScoredPointOutput};

/// `with_lookup`: a collection name, or the collection with selectors.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum WithLookup {
    /// Just the collection (payload included, vectors not).
    Name(String),
    /// The collection with selectors.
    Full {
        /// Collection holding the group ids as point ids.
        collection: String,
        /// Payload to return (default all).
        #[serde(default)]
        with_payload: Option<WithPayload>,
        /// Vectors to return (default none).
        #[serde(default)]
        with_vectors: Option<WithVector>,
    },
}

impl WithLookup {
    /// The collection and selectors.
    pub fn resolve(self) -> Result<(String, PayloadSelector, VectorSelector)> {
        Ok(match self {
            WithLookup::Name(c) => (c, PayloadSelector::All, VectorSelector::None),
            WithLookup::Full {
                collection,
                with_payload,
                with_vectors,
            } => (
                collection,
                payload_selector(with_payload, true)?,
                vector_selector(with_vectors),
            ),
        })
    }
}

/// The grouping part of a groups request.
#[derive(Debug, Clone, Deserialize)]
pub struct GroupParams {
    /// Payload field whose values form the groups.
    pub group_by: String,
    /// Hits per group (default 3).
    #[serde(default)]
    pub group_size: Option<usize>,
    /// Lookup of each group id in another collection.
    #[serde(default)]
    pub with_lookup: Option<WithLookup>,
}

impl GroupParams {
    /// Validated group size.
    pub fn size(&self) -> Result<usize> {
        match self.group_size.unwrap_or(3) {
            0 => Err(CollectionError::Validation(
                "group_size: value 0 invalid, must be 1 or larger".into(),
            )),
            n => Ok(n),
        }
    }
}

/// `POST /points/query/groups` body.
#[derive(Debug, Clone, Deserialize)]
pub struct QueryGroupsRequest {
    /// The query.
    #[serde(flatten)]
    pub query: QueryRequest,
    /// Grouping.
    #[serde(flatten)]
    pub groups: GroupParams,
}

/// Legacy `POST /points/search/groups` body.
#[derive(Debug, Clone, Deserialize)]
pub struct LegacySearchGroupsRequest {
    /// The search.
    #[serde(flatten)]
    pub search: LegacySearchRequest,
    /// Grouping.
    #[serde(flatten)]
    pub groups: GroupParams,
}

/// Legacy `POST /points/recommend/groups` body.
#[derive(Debug, Clone, Deserialize)]
pub struct LegacyRecommendGroupsRequest {
    /// The recommendation.
    #[serde(flatten)]
    pub recommend: LegacyRecommendRequest,
    /// Grouping.
    #[serde(flatten)]
    pub groups: GroupParams,
}

/// A group as returned.
#[derive(Debug, Clone, Serialize)]
pub struct PointGroupOutput {
    /// Hits, best first.
    pub hits: Vec<ScoredPointOutput>,
    /// The group's value.
    pub id: Value,
    /// The looked-up point, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lookup: Option<super::records::Record>,
}

/// The groups response.
#[derive(Debug, Clone, Serialize)]
pub struct GroupsResult {
    /// Groups, by their best hit.
    pub groups: Vec<PointGroupOutput>,
}

/// A group id as JSON.
pub fn group_id_value(id: &GroupId) -> Value {
    match id {
        GroupId::Str(s) => Value::String(s.clone()),
        GroupId::Int(i) => Value::from(*i),
    }
}

/// The point id a group id names, for lookups.
pub fn group_point_id(id: &GroupId) -> Option<PointId> {
    match id {
        GroupId::Int(i) => u64::try_from(*i).ok().map(PointId::Num),
        GroupId::Str(s) => uuid::Uuid::parse_str(s).ok().map(PointId::Uuid),
    }
}

/// `POST /points/search/matrix/{pairs,offsets}` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct SearchMatrixRequest {
    /// Only points matching this.
    #[serde(default)]
    pub filter: Option<Filter>,
    /// Points to sample (default 10, at least 2).
    #[serde(default)]
    pub sample: Option<usize>,
    /// Neighbours per sample (default 3, at least 1).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Vector name.
    #[serde(default)]
    pub using: Option<String>,
    /// Shard key.
    #[serde(default)]
    #[allow(dead_code)]
    pub shard_key: Option<Value>,
}

impl SearchMatrixRequest {
    /// Validated parts: vector name, filter, sample, limit.
    pub fn convert(self) -> Result<(String, Option<segment::filter::Filter>, usize, usize)> {
        let sample = self.sample.unwrap_or(10);
        if sample < 2 {
            return Err(CollectionError::Validation(format!(
                "sample: value {sample} invalid, must be 2 or larger"
            )));
        }
        Ok((
            self.using.unwrap_or_default(),
            convert_opt(self.filter)?,
            sample,
            check_limit(self.limit.unwrap_or(3))?,
        ))
    }
}

/// One pair of the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixPair {
    /// Sample.
    pub a: PointId,
    /// Neighbour.
    pub b: PointId,
    /// Score.
    pub score: f32,
}

/// The matrix as pairs.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixPairs {
    /// Pairs, by sample then rank.
    pub pairs: Vec<MatrixPair>,
}

/// The matrix as offsets into `ids`.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixOffsets {
    /// Row of each score.
    pub offsets_row: Vec<usize>,
    /// Column of each score.
    pub offsets_col: Vec<usize>,
    /// Scores.
    pub scores: Vec<f32>,
    /// The sampled ids.
    pub ids: Vec<PointId>,
}

impl MatrixPairs {
    /// From a computed matrix.
    pub fn new((ids, rows): (Vec<PointId>, Vec<Vec<(PointId, f32)>>)) -> Self {
        MatrixPairs {
            pairs: ids
                .iter()
                .zip(rows)
                .flat_map(|(a, row)| {
                    row.into_iter()
                        .map(move |(b, score)| MatrixPair { a: *a, b, score })
                })
                .collect(),
        }
    }
}

impl MatrixOffsets {
    /// From a computed matrix.
    pub fn new((ids, rows): (Vec<PointId>, Vec<Vec<(PointId, f32)>>)) -> Self {
        let at: std::collections::HashMap<PointId, usize> =
            ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
        let mut out = MatrixOffsets {
            offsets_row: Vec::new(),
            offsets_col: Vec::new(),
            scores: Vec::new(),
            ids: ids.clone(),
        };
        for (row, hits) in rows.into_iter().enumerate() {
            for (b, score) in hits {
                out.offsets_row.push(row);
                out.offsets_col.push(at.get(&b).copied().unwrap_or(0));
                out.scores.push(score);
            }
        }
        out
    }
}
