//! Point requests as JSON and their conversion to update requests.

use collection::operations::{PointData, PointSelection, UpdateMode, UpdateRequest};
use collection::{CollectionError, Result};
use segment::json_path::JsonPath;
use segment::selector::{PayloadSelector, VectorSelector};
use segment::vectors::{NamedVectors, SparseVector, Vector, DEFAULT_VECTOR_NAME};
use segment::{Payload, PointId};
use serde::Deserialize;
use serde_json::Value;

use super::bad;
use super::filter::{convert_opt, Filter};

/// One vector value as JSON.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, rename = "Vector")]
pub enum WireVector {
    /// Dense.
    Dense(Vec<f32>),
    /// Sparse.
    Sparse(SparseVector),
    /// Multi-dense.
    Multi(Vec<Vec<f32>>),
    /// Inference input (documents, images, objects): not supported.
    Inference(InferenceInput),
}

/// A document, image or object to embed server-side; recognised only to be
/// refused with a clear message.
#[derive(Debug, Clone, Deserialize)]
pub struct InferenceInput {
    /// The embedding model asked for.
    pub model: String,
}

impl WireVector {
    fn convert(self) -> Result<Vector> {
        match self {
            WireVector::Dense(v) => Ok(Vector::Dense(v)),
            WireVector::Sparse(s) => Ok(Vector::Sparse(s)),
            WireVector::Multi(m) => Ok(Vector::Multi(m)),
            WireVector::Inference(_) => Err(inference_unsupported()),
        }
    }
}

fn inference_unsupported() -> CollectionError {
    bad("Inference of documents, images and objects is not supported by this server; send vectors")
}

/// A point's vectors as JSON: a bare dense or multi-dense vector, or named.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum VectorStruct {
    /// The unnamed dense vector.
    Single(Vec<f32>),
    /// The unnamed multi-dense vector.
    MultiDense(Vec<Vec<f32>>),
    /// Named vectors.
    Named(std::collections::BTreeMap<String, WireVector>),
    /// An inference input for the unnamed vector: not supported.
    Inference(InferenceInput),
}

impl VectorStruct {
    /// Converts into named vectors.
    pub fn convert(self) -> Result<NamedVectors> {
        match self {
            VectorStruct::Single(v) => {
                Ok([(DEFAULT_VECTOR_NAME.to_string(), Vector::Dense(v))].into())
            }
            VectorStruct::MultiDense(m) => {
                Ok([(DEFAULT_VECTOR_NAME.to_string(), Vector::Multi(m))].into())
            }
            VectorStruct::Named(map) => map
                .into_iter()
                .map(|(k, v)| Ok((k, v.convert()?)))
                .collect(),
            VectorStruct::Inference(_) => Err(inference_unsupported()),
        }
    }
}

/// One point as JSON.
#[derive(Debug, Clone, Deserialize)]
pub struct PointStruct {
    /// Id.
    pub id: PointId,
    /// Vectors.
    pub vector: VectorStruct,
    /// Payload.
    #[serde(default)]
    pub payload: Option<Payload>,
}

/// Column-wise vectors of a batch.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum BatchVectorStruct {
    /// Unnamed dense vectors.
    Single(Vec<Vec<f32>>),
    /// Unnamed multi-dense vectors.
    MultiDense(Vec<Vec<Vec<f32>>>),
    /// Named vectors, one list per name.
    Named(std::collections::BTreeMap<String, Vec<WireVector>>),
    /// Inference inputs: not supported.
    Inference(Vec<InferenceInput>),
}

/// A column-wise batch.
#[derive(Debug, Clone, Deserialize)]
pub struct Batch {
    /// Ids.
    pub ids: Vec<PointId>,
    /// Vectors.
    pub vectors: BatchVectorStruct,
    /// Payloads.
    #[serde(default)]
    pub payloads: Option<Vec<Option<Payload>>>,
}

/// The points of an upsert: column-wise or row-wise.
#[derive(Debug, Clone)]
pub enum PointsInput {
    /// Column-wise (`batch`).
    Batch(Batch),
    /// Row-wise (`points`).
    List(Vec<PointStruct>),
}

/// An upsert request body.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "RawInsert")]
pub struct PointInsertOperations {
    /// The points.
    pub points: PointsInput,
    /// Update filter.
    pub update_filter: Option<Filter>,
    /// Update mode.
    pub update_mode: Option<WireUpdateMode>,
}

/// Both upsert forms read in one pass, so errors keep their position.
#[derive(Deserialize)]
struct RawInsert {
    #[serde(default)]
    batch: Option<Batch>,
    #[serde(default)]
    points: Option<Vec<PointStruct>>,
    #[serde(default)]
    #[allow(dead_code)]
    shard_key: Option<Value>,
    #[serde(default)]
    update_filter: Option<Filter>,
    #[serde(default)]
    update_mode: Option<WireUpdateMode>,
}

impl TryFrom<RawInsert> for PointInsertOperations {
    type Error = String;

    fn try_from(raw: RawInsert) -> std::result::Result<Self, String> {
        let points = match (raw.batch, raw.points) {
            (Some(batch), None) => PointsInput::Batch(batch),
            (None, Some(list)) => PointsInput::List(list),
            _ => {
                return Err(
                    "data did not match any variant of untagged enum PointInsertOperations".into(),
                )
            }
        };
        Ok(PointInsertOperations {
            points,
            update_filter: raw.update_filter,
            update_mode: raw.update_mode,
        })
    }
}

/// Update mode as JSON.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireUpdateMode {
    /// Insert or replace.
    Upsert,
    /// Insert only.
    InsertOnly,
    /// Update only.
    UpdateOnly,
}

impl From<WireUpdateMode> for UpdateMode {
    fn from(m: WireUpdateMode) -> Self {
        match m {
            WireUpdateMode::Upsert => UpdateMode::Upsert,
            WireUpdateMode::InsertOnly => UpdateMode::InsertOnly,
            WireUpdateMode::UpdateOnly => UpdateMode::UpdateOnly,
        }
    }
}

fn batch_validation(what: &str, ids: usize, other: usize) -> CollectionError {
    CollectionError::Validation(format!(
        "batch: number of ids and {what} must be equal ({ids} != {other})"
    ))
}

impl Batch {
    fn into_points(self) -> Result<Vec<PointData>> {
        let n = self.ids.len();
        let mut vectors: Vec<NamedVectors> = vec![NamedVectors::new(); n];
        match self.vectors {
            BatchVectorStruct::Single(vs) => {
                if vs.len() != n {
                    return Err(batch_validation("vectors", n, vs.len()));
                }
                vs.into_iter().zip(&mut vectors).for_each(|(v, t)| {
                    t.insert(String::new(), Vector::Dense(v));
                });
            }
            BatchVectorStruct::MultiDense(vs) => {
                if vs.len() != n {
                    return Err(batch_validation("vectors", n, vs.len()));
                }
                vs.into_iter().zip(&mut vectors).for_each(|(v, t)| {
                    t.insert(String::new(), Vector::Multi(v));
                });
            }
            BatchVectorStruct::Named(map) => {
                for (name, vs) in map {
                    if vs.len() != n {
                        return Err(batch_validation("vectors", n, vs.len()));
                    }
                    for (v, t) in vs.into_iter().zip(&mut vectors) {
                        t.insert(name.clone(), v.convert()?);
                    }
                }
            }
            BatchVectorStruct::Inference(_) => return Err(inference_unsupported()),
        }
        let payloads = match self.payloads {
            Some(p) if p.len() != n => return Err(batch_validation("payloads", n, p.len())),
            Some(p) => p,
            None => vec![None; n],
        };
        Ok(self
            .ids
            .into_iter()
            .zip(vectors)
            .zip(payloads)
            .map(|((id, vectors), payload)| PointData {
                id,
                vectors,
                payload: payload.unwrap_or_default(),
            })
            .collect())
    }
}

impl PointInsertOperations {
    /// Converts into an upsert request.
    pub fn convert(self) -> Result<UpdateRequest> {
        let (update_filter, mode) = (self.update_filter, self.update_mode);
        let (points, update_filter, mode) = match self.points {
            PointsInput::Batch(batch) => (batch.into_points()?, update_filter, mode),
            PointsInput::List(points) => {
                let points = points
                    .into_iter()
                    .map(|p| {
                        Ok(PointData {
                            id: p.id,
                            vectors: p.vector.convert()?,
                            payload: p.payload.unwrap_or_default(),
                        })
                    })
                    .collect::<Result<_>>()?;
                (points, update_filter, mode)
            }
        };
        Ok(UpdateRequest::Upsert {
            points,
            update_filter: convert_opt(update_filter)?,
            mode: mode.map(Into::into).unwrap_or_default(),
        })
    }
}

/// Points by ids or by filter, told apart by the `points` or `filter` key.
#[derive(Debug, Clone)]
pub enum PointsSelector {
    /// By ids.
    Ids(Vec<PointId>),
    /// By filter.
    Filter(Filter),
}

impl<'de> Deserialize<'de> for PointsSelector {
    /// Qdrant's untagged selector: ids when `points` parses, else a filter
    /// when `filter` parses, else its one error for every malformed body.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct ByIds {
            points: Vec<PointId>,
        }
        #[derive(Deserialize)]
        struct ByFilter {
            filter: Filter,
        }
        let value = Value::deserialize(d)?;
        if let Ok(ids) = serde_json::from_value::<ByIds>(value.clone()) {
            return Ok(PointsSelector::Ids(ids.points));
        }
        if let Ok(f) = serde_json::from_value::<ByFilter>(value) {
            return Ok(PointsSelector::Filter(f.filter));
        }
        Err(serde::de::Error::custom(
            "data did not match any variant of untagged enum PointsSelector",
        ))
    }
}

impl PointsSelector {
    /// Converts into a selection.
    pub fn convert(self) -> Result<PointSelection> {
        match self {
            PointsSelector::Ids(ids) => Ok(PointSelection::Ids(ids)),
            PointsSelector::Filter(filter) => Ok(PointSelection::Filter(filter.convert()?)),
        }
    }
}

fn selection(points: Option<Vec<PointId>>, filter: Option<Filter>) -> Result<PointSelection> {
    match (points, filter) {
        (Some(ids), None) => Ok(PointSelection::Ids(ids)),
        (None, Some(f)) => Ok(PointSelection::Filter(f.convert()?)),
        // (Qdrant's deserializer refuses these: format errors)
        (Some(_), Some(_)) => Err(CollectionError::Format(
            "Either list of point ids or filter must be provided, not both".into(),
        )),
        (None, None) => Err(CollectionError::Format(
            "Either list of point ids or filter must be provided".into(),
        )),
    }
}

/// Set or overwrite payload.
#[derive(Debug, Clone, Deserialize)]
pub struct SetPayload {
    /// Payload.
    pub payload: Payload,
    /// Target ids.
    #[serde(default)]
    pub points: Option<Vec<PointId>>,
    /// Target filter.
    #[serde(default)]
    pub filter: Option<Filter>,
    /// Shard key.
    #[serde(default)]
    pub shard_key: Option<Value>,
    /// Nested key to merge into.
    #[serde(default)]
    pub key: Option<String>,
}

impl SetPayload {
    /// Converts into a set-payload request.
    pub fn convert_set(self) -> Result<UpdateRequest> {
        let key = self
            .key
            .as_deref()
            .map(JsonPath::parse)
            .transpose()
            .map_err(CollectionError::BadInput)?;
        Ok(UpdateRequest::SetPayload {
            selection: selection(self.points, self.filter)?,
            payload: self.payload,
            key,
        })
    }

    /// Converts into an overwrite-payload request.
    pub fn convert_overwrite(self) -> Result<UpdateRequest> {
        if self.key.is_some() {
            return self.convert_set();
        }
        Ok(UpdateRequest::OverwritePayload {
            selection: selection(self.points, self.filter)?,
            payload: self.payload,
        })
    }
}

/// Delete payload keys.
#[derive(Debug, Clone, Deserialize)]
pub struct DeletePayload {
    /// Keys (paths).
    pub keys: Vec<String>,
    /// Target ids.
    #[serde(default)]
    pub points: Option<Vec<PointId>>,
    /// Target filter.
    #[serde(default)]
    pub filter: Option<Filter>,
    /// Shard key.
    #[serde(default)]
    pub shard_key: Option<Value>,
}

impl DeletePayload {
    /// Converts into a delete-payload request.
    pub fn convert(self) -> Result<UpdateRequest> {
        let keys = json_paths(&self.keys)?;
        Ok(UpdateRequest::DeletePayload {
            selection: selection(self.points, self.filter)?,
            keys,
        })
    }
}

/// One point's new vectors.
#[derive(Debug, Clone, Deserialize)]
pub struct PointVectors {
    /// Id.
    pub id: PointId,
    /// Vectors.
    pub vector: VectorStruct,
}

/// Update vectors.
#[derive(Debug, Clone, Deserialize)]
pub struct UpdateVectors {
    /// Points.
    pub points: Vec<PointVectors>,
    /// Shard key.
    #[serde(default)]
    pub shard_key: Option<Value>,
    /// Update filter.
    #[serde(default)]
    pub update_filter: Option<Filter>,
}

impl UpdateVectors {
    /// Converts into an update-vectors request.
    pub fn convert(self) -> Result<UpdateRequest> {
        if self.points.is_empty() {
            return Err(CollectionError::Validation(
                "points: must specify points to update".into(),
            ));
        }
        let points = self
            .points
            .into_iter()
            .map(|p| Ok((p.id, p.vector.convert()?)))
            .collect::<Result<_>>()?;
        Ok(UpdateRequest::UpdateVectors {
            points,
            update_filter: convert_opt(self.update_filter)?,
        })
    }
}

/// Delete vectors.
#[derive(Debug, Clone, Deserialize)]
pub struct DeleteVectors {
    /// Target ids.
    #[serde(default)]
    pub points: Option<Vec<PointId>>,
    /// Target filter.
    #[serde(default)]
    pub filter: Option<Filter>,
    /// Names.
    pub vector: Vec<String>,
    /// Shard key.
    #[serde(default)]
    pub shard_key: Option<Value>,
}

impl DeleteVectors {
    /// Converts into a delete-vectors request.
    pub fn convert(self) -> Result<UpdateRequest> {
        if self.vector.is_empty() {
            return Err(CollectionError::Validation(
                "vector: must contain at least 1 item".into(),
            ));
        }
        Ok(UpdateRequest::DeleteVectors {
            selection: selection(self.points, self.filter)?,
            names: self.vector,
        })
    }
}

/// One operation of `POST /points/batch`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdateOperation {
    /// Upsert.
    Upsert(PointInsertOperations),
    /// Delete.
    Delete(PointsSelector),
    /// Set payload.
    SetPayload(SetPayload),
    /// Overwrite payload.
    OverwritePayload(SetPayload),
    /// Delete payload.
    DeletePayload(DeletePayload),
    /// Clear payload.
    ClearPayload(PointsSelector),
    /// Update vectors.
    UpdateVectors(UpdateVectors),
    /// Delete vectors.
    DeleteVectors(DeleteVectors),
}

impl UpdateOperation {
    /// Converts into an update request.
    pub fn convert(self) -> Result<UpdateRequest> {
        match self {
            UpdateOperation::Upsert(u) => u.convert(),
            UpdateOperation::Delete(s) => Ok(UpdateRequest::Delete(s.convert()?)),
            UpdateOperation::SetPayload(s) => s.convert_set(),
            UpdateOperation::OverwritePayload(s) => s.convert_overwrite(),
            UpdateOperation::DeletePayload(d) => d.convert(),
            UpdateOperation::ClearPayload(s) => Ok(UpdateRequest::ClearPayload(s.convert()?)),
            UpdateOperation::UpdateVectors(u) => u.convert(),
            UpdateOperation::DeleteVectors(d) => d.convert(),
        }
    }
}

/// `POST /points/batch` body.
#[derive(Debug, Clone, Deserialize)]
pub struct UpdateOperations {
    /// Operations, applied in order.
    pub operations: Vec<UpdateOperation>,
}

/// `with_payload` as JSON.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, rename = "WithPayloadInterface")]
pub enum WithPayload {
    /// All or nothing.
    Bool(bool),
    /// Only these keys.
    Fields(Vec<String>),
    /// Include or exclude keys.
    Selector(PayloadSelectorSpec),
}

/// `{"include": [...]}` or `{"exclude": [...]}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, rename = "PayloadSelector")]
pub enum PayloadSelectorSpec {
    /// Include.
    Include {
        /// Keys.
        include: Vec<String>,
    },
    /// Exclude.
    Exclude {
        /// Keys.
        exclude: Vec<String>,
    },
}

fn json_paths(keys: &[String]) -> Result<Vec<JsonPath>> {
    keys.iter()
        .map(|k| JsonPath::parse(k).map_err(CollectionError::BadInput))
        .collect()
}

/// Converts `with_payload`, defaulting to `default` when absent.
pub fn payload_selector(w: Option<WithPayload>, default: bool) -> Result<PayloadSelector> {
    Ok(match w {
        None => {
            if default {
                PayloadSelector::All
            } else {
                PayloadSelector::None
            }
        }
        Some(WithPayload::Bool(true)) => PayloadSelector::All,
        Some(WithPayload::Bool(false)) => PayloadSelector::None,
        Some(WithPayload::Fields(keys)) => PayloadSelector::Include(json_paths(&keys)?),
        Some(WithPayload::Selector(PayloadSelectorSpec::Include { include })) => {
            PayloadSelector::Include(json_paths(&include)?)
        }
        Some(WithPayload::Selector(PayloadSelectorSpec::Exclude { exclude })) => {
            PayloadSelector::Exclude(json_paths(&exclude)?)
        }
    })
}

/// `with_vector` as JSON.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum WithVector {
    /// All or nothing.
    Bool(bool),
    /// Only these names.
    Names(Vec<String>),
}

/// Converts `with_vector`, defaulting to none.
pub fn vector_selector(w: Option<WithVector>) -> VectorSelector {
    match w {
        None | Some(WithVector::Bool(false)) => VectorSelector::None,
        Some(WithVector::Bool(true)) => VectorSelector::All,
        Some(WithVector::Names(n)) => VectorSelector::Names(n),
    }
}

/// `POST /points` body.
#[derive(Debug, Clone, Deserialize)]
pub struct PointRequest {
    /// Ids.
    pub ids: Vec<PointId>,
    /// Payload selector (default: all).
    #[serde(default)]
    pub with_payload: Option<WithPayload>,
    /// Vector selector (default: none).
    #[serde(default)]
    pub with_vector: Option<WithVector>,
    /// Shard key.
    #[serde(default)]
    pub shard_key: Option<Value>,
}

/// `POST /points/scroll` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ScrollRequest {
    /// First id of the page.
    #[serde(default)]
    pub offset: Option<PointId>,
    /// Page size (default 10).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Filter.
    #[serde(default)]
    pub filter: Option<Filter>,
    /// Payload selector (default: all).
    #[serde(default)]
    pub with_payload: Option<WithPayload>,
    /// Vector selector (default: none).
    #[serde(default)]
    pub with_vector: Option<WithVector>,
    /// Ordering by a payload field.
    #[serde(default)]
    pub order_by: Option<super::index::OrderByInterface>,
    /// Shard key.
    #[serde(default)]
    pub shard_key: Option<Value>,
}

/// `POST /points/count` body.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CountRequest {
    /// Filter.
    #[serde(default)]
    pub filter: Option<Filter>,
    /// Exact count (default true).
    #[serde(default)]
    pub exact: Option<bool>,
    /// Shard key.
    #[serde(default)]
    pub shard_key: Option<Value>,
}
