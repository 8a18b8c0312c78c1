//! Search request bodies: the universal `query` (nearest only, so far) and
//! the legacy `search`.

use collection::query::{
    Fusion, LookupFrom, QueryKind, QueryNode, QueryRequest as CoreQueryRequest, RecommendStrategy,
    DEFAULT_BM25_B, DEFAULT_BM25_K, DEFAULT_RRF_K,
};
use collection::search::{QueryInput, ScoredPoint, SearchOptions};
use collection::{CollectionError, Result};
use segment::segment::graph::QuantizationUse;
use segment::vectors::{SparseVector, Vector};
use segment::PointId;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::filter::{convert_opt, Filter};
use super::points::{payload_selector, vector_selector, WithPayload, WithVector};
use super::records::VectorStructOutput;

/// `params` of a search.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireSearchParams {
    /// Beam width.
    #[serde(default)]
    pub hnsw_ef: Option<usize>,
    /// Exact search.
    #[serde(default)]
    pub exact: Option<bool>,
    /// Quantization options.
    #[serde(default)]
    pub quantization: Option<WireQuantizationParams>,
    /// Only indexed points.
    #[serde(default)]
    pub indexed_only: Option<bool>,
    /// ACORN options (validated; the planner chooses its own strategy).
    #[serde(default)]
    pub acorn: Option<Value>,
    /// The IDF corpus: `"global"` or `{"corpus": filter}`.
    #[serde(default)]
    pub idf: Option<Value>,
}

/// `params.quantization` of a search.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct WireQuantizationParams {
    /// Traverse with the original vectors.
    #[serde(default)]
    pub ignore: Option<bool>,
    /// Rescore with the original vectors.
    #[serde(default)]
    pub rescore: Option<bool>,
    /// Preselection factor.
    #[serde(default)]
    pub oversampling: Option<f64>,
}

pub(super) fn search_options(params: Option<WireSearchParams>) -> Result<SearchOptions> {
    let p = params.unwrap_or_default();
    if p.hnsw_ef == Some(0) {
        return Err(CollectionError::Validation(
            "params.hnsw_ef: value 0 invalid, must be 1 or larger".into(),
        ));
    }
    let q = p.quantization.unwrap_or_default();
    if let Some(o) = q.oversampling.filter(|o| o.is_nan() || *o < 1.0) {
        return Err(CollectionError::Validation(format!(
            "params.quantization.oversampling: value {o} invalid, must be 1.0 or larger"
        )));
    }
    let selectivity = p
        .acorn
        .as_ref()
        .and_then(|a| a.get("max_selectivity"))
        .and_then(Value::as_f64);
    if let Some(v) = selectivity.filter(|v| !(0.0..=1.0).contains(v)) {
        return Err(CollectionError::Validation(format!(
            "params.acorn.max_selectivity: value {v:?} invalid, must be from 0.0 to 1.0"
        )));
    }
    let idf_corpus = match p.idf {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s == "global" => None,
        Some(Value::Object(mut o)) if o.get("corpus").is_some_and(|c| !c.is_null()) => {
            let corpus: super::filter::Filter = serde_json::from_value(
                o.remove("corpus").unwrap_or(Value::Null),
            )
            .map_err(|_| {
                CollectionError::Format(
                    "data did not match any variant of untagged enum IdfParams".into(),
                )
            })?;
            // Qdrant names the corpus filter's fields `params.idf.…`
            Some(corpus.convert().map_err(|e| match e {
                CollectionError::Validation(m) if m.starts_with("min_should.min_count") => {
                    CollectionError::Validation(
                        "params.idf.min_should.min_count: min_count must be greater than 0".into(),
                    )
                }
                CollectionError::Validation(m) => {
                    CollectionError::Validation(format!("params.idf.{m}"))
                }
                other => other,
            })?)
        }
        Some(_) => {
            return Err(CollectionError::Format(
                "data did not match any variant of untagged enum IdfParams".into(),
            ))
        }
    };
    let defaults = QuantizationUse::default();
    Ok(SearchOptions {
        quantization: QuantizationUse {
            ignore: q.ignore.unwrap_or(defaults.ignore),
            rescore: q.rescore.unwrap_or(defaults.rescore),
            oversampling: q.oversampling.unwrap_or(defaults.oversampling),
        },
        hnsw_ef: p.hnsw_ef,
        exact: p.exact.unwrap_or(false),
        indexed_only: p.indexed_only.unwrap_or(false),
        idf_corpus,
    })
}

/// A query vector or point id.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, rename = "VectorInput")]
pub enum VectorInput {
    /// Dense.
    Dense(Vec<f32>),
    /// Sparse.
    Sparse(SparseVector),
    /// Multi-dense.
    Multi(Vec<Vec<f32>>),
    /// A stored point's vector.
    Id(PointId),
}

impl From<VectorInput> for QueryInput {
    fn from(v: VectorInput) -> Self {
        match v {
            VectorInput::Dense(d) => QueryInput::Vector(Vector::Dense(d)),
            VectorInput::Sparse(s) => QueryInput::Vector(Vector::Sparse(s)),
            VectorInput::Multi(m) => QueryInput::Vector(Vector::Multi(m)),
            VectorInput::Id(id) => QueryInput::Point(id),
        }
    }
}

/// `POST /points/query` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct QueryRequest {
    /// Sub-queries: one or a list, recursive.
    #[serde(default)]
    pub prefetch: Option<Value>,
    /// The query: a vector, a point id, or a query object.
    #[serde(default)]
    pub query: Option<Value>,
    /// Vector name.
    #[serde(default)]
    pub using: Option<String>,
    /// Filter.
    #[serde(default)]
    pub filter: Option<Filter>,
    /// Search parameters.
    #[serde(default)]
    pub params: Option<WireSearchParams>,
    /// Score threshold.
    #[serde(default)]
    pub score_threshold: Option<f32>,
    /// Hits (default 10).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Hits to skip.
    #[serde(default)]
    pub offset: Option<usize>,
    /// Vectors to return (default none).
    #[serde(default)]
    pub with_vector: Option<WithVector>,
    /// Payload to return (default none).
    #[serde(default)]
    pub with_payload: Option<WithPayload>,
    /// Collection to read query vectors from (not supported yet).
    #[serde(default)]
    pub lookup_from: Option<Value>,
    /// Shard key.
    #[serde(default)]
    #[allow(dead_code)]
    pub shard_key: Option<Value>,
}

pub(super) fn unsupported(what: &str) -> CollectionError {
    CollectionError::BadInput(format!("{what} is not supported by this server yet"))
}

/// Rejects a zero `limit` as Qdrant does (422).
pub fn check_limit(limit: usize) -> Result<usize> {
    if limit == 0 {
        return Err(CollectionError::Validation(
            "limit: value 0 invalid, must be 1 or larger".into(),
        ));
    }
    Ok(limit)
}

/// `prefetch`: one sub-query or a list.
#[derive(Debug, Clone)]
pub enum OneOrMany<T> {
    /// Several.
    Many(Vec<T>),
    /// One.
    One(Box<T>),
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for OneOrMany<T> {
    /// A list, or one object; the errors of the entries are reported as
    /// they are.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        match Value::deserialize(d)? {
            Value::Array(items) => items
                .into_iter()
                .map(serde_json::from_value)
                .collect::<std::result::Result<_, _>>()
                .map(OneOrMany::Many)
                .map_err(D::Error::custom),
            one => serde_json::from_value(one)
                .map(|t| OneOrMany::One(Box::new(t)))
                .map_err(D::Error::custom),
        }
    }
}

impl<T> OneOrMany<T> {
    fn into_vec(self) -> Vec<T> {
        match self {
            OneOrMany::One(t) => vec![*t],
            OneOrMany::Many(v) => v,
        }
    }
}

/// One `prefetch` entry.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WirePrefetch {
    /// Sub-queries.
    #[serde(default)]
    pub prefetch: Option<OneOrMany<WirePrefetch>>,
    /// The query.
    #[serde(default)]
    pub query: Option<Value>,
    /// Vector name.
    #[serde(default)]
    pub using: Option<String>,
    /// Filter.
    #[serde(default)]
    pub filter: Option<Filter>,
    /// Search parameters.
    #[serde(default)]
    pub params: Option<WireSearchParams>,
    /// Score threshold.
    #[serde(default)]
    pub score_threshold: Option<f32>,
    /// Results (default 10).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Collection to read query vectors from (not supported yet).
    #[serde(default)]
    pub lookup_from: Option<Value>,
}

/// `{"recommend": {"positive": [..], "negative": [..], "strategy": ..}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireRecommend {
    /// Positive examples: vectors or point ids.
    #[serde(default)]
    pub positive: Option<Vec<VectorInput>>,
    /// Negative examples.
    #[serde(default)]
    pub negative: Option<Vec<VectorInput>>,
    /// `average_vector` (default), `best_score` or `sum_scores`.
    #[serde(default)]
    pub strategy: Option<WireStrategy>,
}

/// Recommendation strategies.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireStrategy {
    /// Average vector.
    AverageVector,
    /// Best score.
    BestScore,
    /// Sum of scores.
    SumScores,
}

impl From<WireStrategy> for RecommendStrategy {
    fn from(s: WireStrategy) -> Self {
        match s {
            WireStrategy::AverageVector => RecommendStrategy::AverageVector,
            WireStrategy::BestScore => RecommendStrategy::BestScore,
            WireStrategy::SumScores => RecommendStrategy::SumScores,
        }
    }
}

impl WireRecommend {
    pub(super) fn into_kind(self) -> Result<QueryKind> {
        Ok(QueryKind::Recommend {
            positive: self
                .positive
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            negative: self
                .negative
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            strategy: self.strategy.map(Into::into).unwrap_or_default(),
        })
    }
}

/// `lookup_from` as JSON.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireLookup {
    collection: String,
    #[serde(default)]
    vector: Option<String>,
    #[serde(default)]
    #[allow(dead_code)]
    shard_key: Option<Value>,
}

pub(super) fn lookup(value: Option<Value>) -> Result<Option<LookupFrom>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v) => {
            let l: WireLookup = serde_json::from_value(v)
                .map_err(|e| CollectionError::Format(format!("lookup_from: {e}")))?;
            Ok(Some(LookupFrom {
                collection: l.collection,
                vector: l.vector,
            }))
        }
    }
}

/// `mmr` of a nearest query.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireMmr {
    #[serde(default)]
    diversity: Option<f32>,
    #[serde(default)]
    candidates_limit: Option<usize>,
}

/// A context pair.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WirePair {
    /// Positive side.
    pub positive: VectorInput,
    /// Negative side.
    pub negative: VectorInput,
}

/// `{"discover": {"target": .., "context": ..}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireDiscover {
    /// Target.
    pub target: VectorInput,
    /// Context pairs: one or a list.
    #[serde(default)]
    pub context: Option<OneOrMany<WirePair>>,
}

pub(super) fn pairs(context: Option<OneOrMany<WirePair>>) -> Vec<(QueryInput, QueryInput)> {
    context
        .map(OneOrMany::into_vec)
        .unwrap_or_default()
        .into_iter()
        .map(|p| (p.positive.into(), p.negative.into()))
        .collect()
}

/// `{"text": "…"}` or `{"text": {"query": "…", "scoring": {"bm25": {…}}}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum WireText {
    Plain(String),
    Full {
        query: String,
        #[serde(default)]
        scoring: Option<WireTextScoring>,
    },
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireTextScoring {
    bm25: WireBm25,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireBm25 {
    #[serde(default)]
    k: Option<f32>,
    #[serde(default)]
    b: Option<f32>,
}

/// `{"relevance_feedback": {"target", "feedback", "strategy"}}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireFeedback {
    target: VectorInput,
    feedback: Vec<WireFeedbackItem>,
    strategy: WireFeedbackStrategy,
}

/// One feedback example.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireFeedbackItem {
    example: VectorInput,
    score: f32,
}

/// `{"naive": {"a", "b", "c"}}` (the one strategy).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireFeedbackStrategy {
    naive: WireNaive,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireNaive {
    a: f32,
    b: f32,
    c: f32,
}

/// `{"rrf": {"k": .., "weights": [..]}}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WireRrf {
    #[serde(default)]
    k: Option<usize>,
    #[serde(default)]
    weights: Option<Vec<f64>>,
}

/// The `query` member: a vector, a point id, or a query object.
fn query_kind(query: Option<Value>) -> Result<Option<QueryKind>> {
    let bad = |e: serde_json::Error| CollectionError::BadInput(e.to_string());
    Ok(Some(match query {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(mut obj)) if obj.contains_key("nearest") => {
            let nearest: QueryInput =
                serde_json::from_value::<VectorInput>(obj.remove("nearest").unwrap_or(Value::Null))
                    .map_err(bad)?
                    .into();
            match obj.remove("mmr") {
                None | Some(Value::Null) => QueryKind::Nearest(nearest),
                Some(m) => {
                    let m: WireMmr = serde_json::from_value(m)
                        .map_err(|e| CollectionError::Format(format!("mmr: {e}")))?;
                    let diversity = m.diversity.unwrap_or(0.5);
                    if !(0.0..=1.0).contains(&diversity) {
                        return Err(CollectionError::Validation(format!(
                            "query.mmr.diversity: value {} invalid, must be from 0.0 to 1.0",
                            Value::from(diversity as f64)
                        )));
                    }
                    // (`candidates_limit: 0` is accepted: no candidates, no hits)
                    QueryKind::Mmr {
                        query: nearest,
                        diversity,
                        candidates: m.candidates_limit,
                    }
                }
            }
        }
        Some(Value::Object(mut obj)) if obj.contains_key("fusion") => {
            match obj.remove("fusion").unwrap_or(Value::Null) {
                Value::String(f) if f == "rrf" => QueryKind::Fusion(Fusion::Rrf {
                    k: DEFAULT_RRF_K,
                    weights: None,
                }),
                Value::String(f) if f == "dbsf" => QueryKind::Fusion(Fusion::Dbsf),
                other => {
                    return Err(CollectionError::Format(format!(
                        "unknown variant {other}, expected `rrf` or `dbsf`"
                    )))
                }
            }
        }
        Some(Value::Object(mut obj)) if obj.contains_key("recommend") => {
            let r: WireRecommend =
                serde_json::from_value(obj.remove("recommend").unwrap_or(Value::Null))
                    .map_err(|e| CollectionError::Format(format!("recommend: {e}")))?;
            let empty = |v: &Option<Vec<VectorInput>>| v.as_ref().is_none_or(Vec::is_empty);
            if empty(&r.positive) && empty(&r.negative) {
                return Err(CollectionError::Validation(
                    "query.recommend.positives, negatives: Validation error: At least one \
                     positive or negative vector/id must be provided [{}]"
                        .into(),
                ));
            }
            r.into_kind()?
        }
        Some(Value::Object(mut obj)) if obj.contains_key("discover") => {
            let d: WireDiscover =
                serde_json::from_value(obj.remove("discover").unwrap_or(Value::Null))
                    .map_err(|e| CollectionError::Format(format!("discover: {e}")))?;
            QueryKind::Discover {
                target: d.target.into(),
                context: pairs(d.context),
            }
        }
        Some(Value::Object(mut obj)) if obj.contains_key("context") => {
            let c: Option<OneOrMany<WirePair>> =
                serde_json::from_value(obj.remove("context").unwrap_or(Value::Null))
                    .map_err(|e| CollectionError::Format(format!("context: {e}")))?;
            QueryKind::Context(pairs(c))
        }
        Some(Value::Object(mut obj)) if obj.contains_key("order_by") => {
            let order: super::index::OrderByInterface =
                serde_json::from_value(obj.remove("order_by").unwrap_or(Value::Null))
                    .map_err(|e| CollectionError::Format(format!("order_by: {e}")))?;
            QueryKind::OrderBy(order.convert()?)
        }
        Some(Value::Object(mut obj)) if obj.contains_key("sample") => {
            match obj.remove("sample").unwrap_or(Value::Null) {
                Value::String(s) if s == "random" => QueryKind::Sample,
                other => {
                    return Err(CollectionError::Format(format!(
                        "unknown variant {other}, expected `random`"
                    )))
                }
            }
        }
        Some(Value::Object(mut obj)) if obj.contains_key("rrf") => {
            let rrf: WireRrf =
                serde_json::from_value(obj.remove("rrf").unwrap_or(Value::Null)).map_err(bad)?;
            if rrf.k == Some(0) {
                return Err(CollectionError::Validation(
                    "query.rrf.k: value 0 invalid, must be 1 or larger".into(),
                ));
            }
            QueryKind::Fusion(Fusion::Rrf {
                k: rrf.k.map_or(DEFAULT_RRF_K, |k| k as f64),
                weights: rrf.weights,
            })
        }
        Some(Value::Object(mut obj)) if obj.contains_key("formula") => {
            let expr = obj.remove("formula").unwrap_or(Value::Null);
            QueryKind::Formula(super::formula::formula(expr, obj.remove("defaults"))?)
        }
        Some(Value::Object(mut obj)) if obj.contains_key("text") && obj.len() == 1 => {
            let t: WireText = serde_json::from_value(obj.remove("text").unwrap_or(Value::Null))
                .map_err(|e| CollectionError::Format(format!("text: {e}")))?;
            let (query, bm25) = match t {
                WireText::Plain(q) => (q, None),
                WireText::Full { query, scoring } => (query, scoring.map(|s| s.bm25)),
            };
            let bm25 = bm25.unwrap_or_default();
            let k1 = bm25.k.unwrap_or(DEFAULT_BM25_K);
            let b = bm25.b.unwrap_or(DEFAULT_BM25_B);
            if k1.is_nan() || k1 < 0.0 {
                return Err(CollectionError::Validation(format!(
                    "text.scoring.bm25.k: value {k1} invalid, must be 0.0 or larger"
                )));
            }
            if !(0.0..=1.0).contains(&b) {
                return Err(CollectionError::Validation(format!(
                    "text.scoring.bm25.b: value {b} invalid, must be from 0.0 to 1.0"
                )));
            }
            QueryKind::Text { query, k1, b }
        }
        Some(Value::Object(mut obj)) if obj.contains_key("relevance_feedback") => {
            let r: WireFeedback =
                serde_json::from_value(obj.remove("relevance_feedback").unwrap_or(Value::Null))
                    .map_err(|e| CollectionError::Format(format!("relevance_feedback: {e}")))?;
            let naive = r.strategy.naive;
            if naive.b.is_nan() || naive.b < 0.0 {
                return Err(CollectionError::Validation(format!(
                    "query.relevance_feedback.strategy.naive.b: value {} invalid, must be 0.0 or larger",
                    Value::from(naive.b as f64)
                )));
            }
            if r.feedback.is_empty() {
                return Err(CollectionError::Validation(
                    "query.relevance_feedback.__all__: feedback elements must be non-empty".into(),
                ));
            }
            QueryKind::RelevanceFeedback {
                target: r.target.into(),
                feedback: r
                    .feedback
                    .into_iter()
                    .map(|f| (f.example.into(), f.score))
                    .collect(),
                a: naive.a,
                b: naive.b,
                c: naive.c,
            }
        }
        Some(Value::Object(obj)) if !obj.contains_key("indices") => {
            let kind = obj.keys().next().cloned().unwrap_or_default();
            return Err(unsupported(&format!("query `{kind}`")));
        }
        Some(other) => QueryKind::Nearest(
            serde_json::from_value::<VectorInput>(other)
                .map_err(bad)?
                .into(),
        ),
    }))
}

/// A node of the query tree from its wire form (`limit` defaults to 10).
pub(super) fn node(p: WirePrefetch) -> Result<QueryNode> {
    let prefetch = p
        .prefetch
        .map(OneOrMany::into_vec)
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, p)| node(p).map_err(super::within(&format!("prefetch[{i}]."))))
        .collect::<Result<Vec<_>>>()?;
    let query = query_kind(p.query)?;
    if matches!(query, Some(QueryKind::Fusion(_))) && p.using.is_some() {
        return Err(CollectionError::BadRequest(
            "Fusion queries cannot be combined with the 'using' field.".into(),
        ));
    }
    Ok(QueryNode {
        lookup_from: lookup(p.lookup_from)?,
        prefetch,
        query,
        using: p.using.unwrap_or_default(),
        filter: convert_opt(p.filter)?,
        params: search_options(p.params)?,
        score_threshold: p.score_threshold,
        limit: check_limit(p.limit.unwrap_or(10))?,
    })
}

/// A request around `root` with the response selectors.
pub(super) fn request(
    root: QueryNode,
    offset: Option<usize>,
    with_payload: Option<WithPayload>,
    with_vector: Option<WithVector>,
) -> Result<CoreQueryRequest> {
    Ok(CoreQueryRequest {
        root,
        offset: offset.unwrap_or(0),
        with_payload: payload_selector(with_payload, false)?,
        with_vector: vector_selector(with_vector),
    })
}

/// The root of a legacy request: one leaf running `query`.
pub(super) fn leaf(query: QueryKind, parts: WirePrefetch) -> Result<QueryNode> {
    Ok(QueryNode {
        query: Some(query),
        ..node(parts)?
    })
}

impl QueryRequest {
    /// Converts into the internal query tree.
    pub fn convert(self) -> Result<CoreQueryRequest> {
        let prefetch = match self.prefetch {
            None | Some(Value::Null) => None,
            Some(v) => Some(
                serde_json::from_value::<OneOrMany<WirePrefetch>>(v)
                    .map_err(|e| CollectionError::Format(e.to_string()))?,
            ),
        };
        let root = node(WirePrefetch {
            prefetch,
            query: self.query,
            using: self.using,
            filter: self.filter,
            params: self.params,
            score_threshold: self.score_threshold,
            limit: self.limit,
            lookup_from: self.lookup_from,
        })?;
        request(root, self.offset, self.with_payload, self.with_vector)
    }
}

/// A search hit as returned.
#[derive(Debug, Clone, Serialize)]
pub struct ScoredPointOutput {
    /// Id.
    pub id: PointId,
    /// Version.
    pub version: u64,
    /// Score.
    pub score: f32,
    /// Payload, when selected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<segment::Payload>,
    /// Vectors, when selected.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vector: Option<VectorStructOutput>,
    /// The value an `order_by` query ordered by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order_value: Option<Value>,
}

impl From<ScoredPoint> for ScoredPointOutput {
    fn from(p: ScoredPoint) -> Self {
        ScoredPointOutput {
            id: p.id,
            version: p.version,
            score: p.score,
            payload: p.payload,
            vector: p.vectors.map(Into::into),
            order_value: p.order_value.map(super::index::order_value_json),
        }
    }
}

/// `query` result.
#[derive(Debug, Clone, Serialize)]
pub struct QueryResponse {
    /// Hits, best first.
    pub points: Vec<ScoredPointOutput>,
}

/// `query/batch` body.
#[derive(Debug, Clone, Deserialize)]
pub struct QueryRequestBatch {
    /// Queries.
    pub searches: Vec<super::Flat<QueryRequest>>,
}
