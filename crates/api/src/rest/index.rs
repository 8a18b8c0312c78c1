//! Payload index, facet and order-by request bodies.

use collection::operations::OrderBy;
use collection::{CollectionError, Result};
use segment::datetime::parse_datetime;
use segment::payload_index::schema::{PayloadFieldSchema, PayloadSchemaType};
use segment::segment::query::{FacetValue, OrderValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::filter::Filter;

/// `PUT /collections/{name}/index` body.
#[derive(Debug, Clone, Deserialize)]
pub struct CreateFieldIndex {
    /// Payload key path.
    pub field_name: String,
    /// Index definition; inferred from stored values when absent.
    #[serde(default)]
    pub field_schema: Option<PayloadFieldSchema>,
}

/// Infers an index type from a sample payload value, as Qdrant does when a
/// request gives no `field_schema`.
pub fn infer_schema(sample: Option<&Value>) -> Result<PayloadFieldSchema> {
    let kind = match sample {
        Some(Value::String(s)) if parse_datetime(s).is_some() => PayloadSchemaType::Datetime,
        Some(Value::String(s)) if uuid::Uuid::parse_str(s).is_ok() => PayloadSchemaType::Uuid,
        Some(Value::String(_)) => PayloadSchemaType::Keyword,
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => PayloadSchemaType::Integer,
        Some(Value::Number(_)) => PayloadSchemaType::Float,
        Some(Value::Bool(_)) => PayloadSchemaType::Bool,
        Some(Value::Object(o)) if o.contains_key("lat") && o.contains_key("lon") => {
            PayloadSchemaType::Geo
        }
        _ => {
            return Err(CollectionError::BadInput(
                "Can't auto-detect field type, please specify `field_schema` in the request".into(),
            ))
        }
    };
    Ok(PayloadFieldSchema::Type(kind))
}

/// `POST /collections/{name}/facet` body.
#[derive(Debug, Clone, Deserialize)]
pub struct FacetRequest {
    /// Indexed payload key.
    pub key: String,
    /// Maximal number of values (default 10).
    #[serde(default)]
    pub limit: Option<usize>,
    /// Only count points matching this filter.
    #[serde(default)]
    pub filter: Option<Filter>,
    /// Count exactly (counts are always exact here).
    #[serde(default)]
    #[allow(dead_code)]
    pub exact: Option<bool>,
    /// Shard key.
    #[serde(default)]
    #[allow(dead_code)]
    pub shard_key: Option<Value>,
}

/// One facet value with its count.
#[derive(Debug, Clone, Serialize)]
pub struct FacetValueHit {
    /// The value.
    pub value: Value,
    /// Points holding it.
    pub count: u64,
}

/// Facet result.
#[derive(Debug, Clone, Serialize)]
pub struct FacetResponse {
    /// Values by count.
    pub hits: Vec<FacetValueHit>,
}

impl FacetResponse {
    /// Builds the response from counted values.
    pub fn new(hits: Vec<(FacetValue, u64)>) -> Self {
        let hits = hits
            .into_iter()
            .map(|(v, count)| FacetValueHit {
                value: match v {
                    FacetValue::Bool(b) => Value::Bool(b),
                    FacetValue::Integer(i) => Value::from(i),
                    FacetValue::Keyword(s) => Value::String(s),
                },
                count,
            })
            .collect();
        FacetResponse { hits }
    }
}

/// `order_by` as JSON: a key, or a key with direction and start.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, rename = "OrderByInterface")]
pub enum OrderByInterface {
    /// Ascending by this key.
    Key(String),
    /// Full form.
    Full {
        /// Key.
        key: String,
        /// `asc` (default) or `desc`.
        #[serde(default)]
        direction: Option<Direction>,
        /// First value to return.
        #[serde(default)]
        start_from: Option<StartFrom>,
    },
}

/// Sort direction.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Ascending.
    Asc,
    /// Descending.
    Desc,
}

/// A number or a datetime.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, rename = "StartFrom")]
pub enum StartFrom {
    /// A number.
    Number(f64),
    /// A datetime string.
    Datetime(String),
}

impl OrderByInterface {
    /// Converts into the internal ordering.
    pub fn convert(self) -> Result<OrderBy> {
        match self {
            OrderByInterface::Key(key) => Ok(OrderBy {
                key,
                descending: false,
                start_from: None,
            }),
            OrderByInterface::Full {
                key,
                direction,
                start_from,
            } => {
                let start_from = match start_from {
                    None => None,
                    Some(StartFrom::Number(n)) => Some(n),
                    Some(StartFrom::Datetime(s)) => Some(parse_datetime(&s).ok_or_else(|| {
                        CollectionError::BadInput(format!(
                            "'{s}' does not match accepted datetime format (RFC3339). Example: 2014-01-01T00:00:00Z"
                        ))
                    })? as f64),
                };
                Ok(OrderBy {
                    key,
                    descending: matches!(direction, Some(Direction::Desc)),
                    start_from,
                })
            }
        }
    }
}

/// The value a record was ordered by.
pub fn order_value_json(v: OrderValue) -> Value {
    match v {
        OrderValue::Int(i) => Value::from(i),
        OrderValue::Float(f) => Value::from(f),
    }
}
