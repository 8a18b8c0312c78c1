//! The internal filter model and its reference evaluator over one point.
//!
//! Wire formats (REST JSON, gRPC) convert into these types in the `api`
//! crate. [`Filter::check`] is the naive evaluator: payload indexes, when
//! they answer a condition, must agree with it.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::datetime::parse_datetime;
use crate::json_path::JsonPath;
use crate::payload_index::text::Tokenizer;
use crate::{Payload, PointId};

/// A boolean combination of conditions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// All must hold.
    pub must: Vec<Condition>,
    /// At least one must hold (an empty list is no constraint).
    pub should: Vec<Condition>,
    /// None may hold.
    pub must_not: Vec<Condition>,
    /// At least `min_count` of `conditions` must hold.
    pub min_should: Option<MinShould>,
}

/// The `min_should` clause.
#[derive(Debug, Clone, PartialEq)]
pub struct MinShould {
    /// Candidate conditions.
    pub conditions: Vec<Condition>,
    /// How many must hold.
    pub min_count: usize,
}

/// One condition of a filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// A check on the values at a payload path.
    Field(FieldCondition),
    /// The path is missing, null, or an empty array.
    IsEmpty(JsonPath),
    /// The path holds null (or an array holding null).
    IsNull(JsonPath),
    /// The point id is in the set.
    HasId(HashSet<PointId>),
    /// The point has a vector of this name.
    HasVector(String),
    /// The point id falls into slice `index` of `total` (see
    /// [`PointId::slice`]).
    Slice {
        /// Number of disjoint slices.
        total: u32,
        /// The slice selected, below `total`.
        index: u32,
    },
    /// The filter holds on one element of the array at `path`.
    Nested {
        /// Path of the array of objects.
        path: JsonPath,
        /// Filter applied to each element.
        filter: Box<Filter>,
    },
    /// A sub-filter.
    Filter(Box<Filter>),
}

/// A check on the values at a payload path.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldCondition {
    /// Payload path.
    pub key: JsonPath,
    /// What is checked.
    pub check: FieldCheck,
}

/// The kinds of field checks.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldCheck {
    /// A match condition.
    Match(Match),
    /// A numeric range.
    Range(Range<f64>),
    /// A datetime range, bounds in UTC microseconds.
    DatetimeRange(Range<i64>),
    /// Inside a bounding box.
    GeoBoundingBox {
        /// North-west corner.
        top_left: GeoPoint,
        /// South-east corner.
        bottom_right: GeoPoint,
    },
    /// Within `radius` metres of `center`.
    GeoRadius {
        /// Centre point.
        center: GeoPoint,
        /// Radius in metres.
        radius: f64,
    },
    /// Inside a polygon and outside its holes.
    GeoPolygon {
        /// Exterior ring.
        exterior: Vec<GeoPoint>,
        /// Holes.
        interiors: Vec<Vec<GeoPoint>>,
    },
    /// Count of values at the path.
    ValuesCount(Range<f64>),
    /// `is_empty` written as a field condition: true or false.
    IsEmpty(bool),
    /// `is_null` written as a field condition: true or false.
    IsNull(bool),
}

/// A geographic point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    /// Longitude in degrees.
    pub lon: f64,
    /// Latitude in degrees.
    pub lat: f64,
}

/// Range bounds; any may be absent.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Range<T> {
    /// Strictly less than.
    pub lt: Option<T>,
    /// Strictly greater than.
    pub gt: Option<T>,
    /// Greater or equal.
    pub gte: Option<T>,
    /// Less or equal.
    pub lte: Option<T>,
}

impl<T: Copy> Range<T> {
    /// The range a numeric payload index applies: a strict bound replaces
    /// the inclusive one on its side (`gt` over `gte`, `lt` over `lte`), as
    /// Qdrant's indexes read a range giving both.
    pub fn as_indexed(&self) -> Range<T> {
        Range {
            gte: self.gte.filter(|_| self.gt.is_none()),
            lte: self.lte.filter(|_| self.lt.is_none()),
            ..*self
        }
    }

    /// Whether a strict and an inclusive bound both bound one side.
    pub fn bounds_a_side_twice(&self) -> bool {
        (self.gt.is_some() && self.gte.is_some()) || (self.lt.is_some() && self.lte.is_some())
    }
}

impl<T: PartialOrd + Copy> Range<T> {
    /// Whether `v` satisfies every bound.
    pub fn contains(&self, v: T) -> bool {
        self.lt.is_none_or(|b| v < b)
            && self.lte.is_none_or(|b| v <= b)
            && self.gt.is_none_or(|b| v > b)
            && self.gte.is_none_or(|b| v >= b)
    }
}

/// A value a match condition compares with.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MatchValue {
    /// A string.
    Keyword(String),
    /// An integer.
    Integer(i64),
    /// A boolean.
    Bool(bool),
}

impl MatchValue {
    /// Exact, type-strict equality with a payload value.
    pub fn matches(&self, value: &Value) -> bool {
        match (self, value) {
            (MatchValue::Keyword(k), Value::String(s)) => k == s,
            (MatchValue::Integer(i), Value::Number(n)) => n.as_i64() == Some(*i),
            (MatchValue::Bool(b), Value::Bool(v)) => b == v,
            _ => false,
        }
    }
}

/// The match conditions.
#[derive(Debug, Clone, PartialEq)]
pub enum Match {
    /// Equal to the value.
    Value(MatchValue),
    /// Equal to any of the values.
    Any(Vec<MatchValue>),
    /// Not equal to any of the values (nulls never match).
    Except(Vec<MatchValue>),
    /// Every query token is a token of the text.
    Text(String),
    /// Some query token is a token of the text.
    TextAny(String),
    /// The query tokens appear consecutively in the text.
    Phrase(String),
    /// The string starts with this prefix (case-sensitive).
    Prefix(String),
}

/// Splits text the way an unindexed full-text match does: runs of letters
/// and digits, lowercased.
pub fn word_tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_lowercase)
        .collect()
}

impl Match {
    /// Whether one (leaf) payload value satisfies the match.
    pub fn check(&self, value: &Value) -> bool {
        match self {
            Match::Value(v) => v.matches(value),
            Match::Any(list) => list.iter().any(|v| v.matches(value)),
            Match::Except(list) => !value.is_null() && !list.iter().any(|v| v.matches(value)),
            Match::Text(query) => text_check(value, |doc| {
                let q = word_tokens(query);
                let d: HashSet<String> = doc.into_iter().collect();
                !q.is_empty() && q.iter().all(|t| d.contains(t))
            }),
            Match::TextAny(query) => text_check(value, |doc| {
                let d: HashSet<String> = doc.into_iter().collect();
                word_tokens(query).iter().any(|t| d.contains(t))
            }),
            Match::Phrase(query) => text_check(value, |doc| {
                let q = word_tokens(query);
                !q.is_empty() && doc.windows(q.len()).any(|w| w == q.as_slice())
            }),
            Match::Prefix(prefix) => value
                .as_str()
                .is_some_and(|s| s.starts_with(prefix.as_str())),
        }
    }
}

impl Match {
    /// A text match on a field with a text index: the index's tokenizer
    /// decides what a token is.
    pub fn check_with(&self, value: &Value, tokenizer: &Tokenizer) -> bool {
        let Value::String(doc) = value else {
            return false;
        };
        match self {
            Match::Text(q) => {
                let query = tokenizer.query_tokens(q);
                let tokens: HashSet<String> = tokenizer.document_tokens(doc).into_iter().collect();
                !query.is_empty() && query.iter().all(|t| tokens.contains(t))
            }
            Match::TextAny(q) => {
                let tokens: HashSet<String> = tokenizer.document_tokens(doc).into_iter().collect();
                tokenizer.query_tokens(q).iter().any(|t| tokens.contains(t))
            }
            Match::Phrase(q) => {
                let query = tokenizer.query_tokens(q);
                let words = tokenizer.word_tokens(doc);
                !query.is_empty() && words.windows(query.len()).any(|w| w == query.as_slice())
            }
            other => other.check(value),
        }
    }
}

fn text_check(value: &Value, f: impl FnOnce(Vec<String>) -> bool) -> bool {
    match value {
        Value::String(s) => f(word_tokens(s)),
        _ => false,
    }
}

const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Haversine distance in metres.
pub fn geo_distance(a: GeoPoint, b: GeoPoint) -> f64 {
    let (lat1, lat2) = (a.lat.to_radians(), b.lat.to_radians());
    let dlat = lat2 - lat1;
    let dlon = (b.lon - a.lon).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().asin()
}

/// Reads a `{"lon": …, "lat": …}` payload value with finite coordinates.
pub(crate) fn as_geo(value: &Value) -> Option<GeoPoint> {
    let obj = value.as_object()?;
    let lat = obj.get("lat")?.as_f64()?;
    let lon = obj.get("lon")?.as_f64()?;
    (lat.is_finite() && lon.is_finite()).then_some(GeoPoint { lon, lat })
}

fn in_ring(p: GeoPoint, ring: &[GeoPoint], boundary_inside: bool) -> bool {
    let mut ring = ring;
    if ring.len() > 1 && ring[0] == ring[ring.len() - 1] {
        ring = &ring[..ring.len() - 1];
    }
    if ring.is_empty() {
        return false;
    }
    let (x, y) = (p.lat, p.lon);
    let mut inside = false;
    let mut j = ring.len() - 1;
    for i in 0..ring.len() {
        let (xi, yi, xj, yj) = (ring[i].lat, ring[i].lon, ring[j].lat, ring[j].lon);
        let on_edge = y * (xi - xj) + yi * (xj - x) + yj * (x - xi) == 0.0
            && (xi - x) * (xj - x) <= 0.0
            && (yi - y) * (yj - y) <= 0.0;
        if on_edge {
            return boundary_inside;
        }
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

impl FieldCheck {
    /// The check on the values at `key`; `indexes` are asked about the key
    /// only by the checks they change (a lookup per point otherwise).
    fn check_values(
        &self,
        payload: &Payload,
        key: &JsonPath,
        indexes: Option<&dyn FieldIndexes>,
    ) -> bool {
        match self {
            FieldCheck::IsEmpty(expected) => is_empty(payload, key) == *expected,
            FieldCheck::IsNull(expected) => {
                let indexed = indexes.is_some_and(|t| t.indexed(key));
                is_null(payload, key, indexed) == *expected
            }
            FieldCheck::ValuesCount(range) => {
                let values = key.values(payload);
                let counts: Vec<usize> = if values.iter().all(|v| v.is_null()) {
                    vec![0]
                } else {
                    values
                        .iter()
                        .map(|v| match v {
                            Value::Null => 0,
                            Value::Array(a) => a.len(),
                            _ => 1,
                        })
                        .collect()
                };
                counts.iter().any(|&c| range.contains(c as f64))
            }
            FieldCheck::Match(m @ (Match::Text(_) | Match::TextAny(_) | Match::Phrase(_))) => {
                // a text index's tokenizer decides text conditions on its field
                let tokenizer = indexes.and_then(|t| t.tokenizer(key));
                key.leaf_values(payload)
                    .into_iter()
                    .any(|v| tokenizer.map_or_else(|| self.check_leaf(v), |t| m.check_with(v, t)))
            }
            _ => key
                .leaf_values(payload)
                .into_iter()
                .any(|v| self.check_leaf(v)),
        }
    }

    fn check_leaf(&self, value: &Value) -> bool {
        match self {
            FieldCheck::Match(m) => m.check(value),
            FieldCheck::Range(r) => match value {
                Value::Number(n) => n.as_f64().is_some_and(|f| r.contains(f)),
                _ => false,
            },
            FieldCheck::DatetimeRange(r) => value
                .as_str()
                .and_then(parse_datetime)
                .is_some_and(|t| r.contains(t)),
            FieldCheck::GeoBoundingBox { .. }
            | FieldCheck::GeoRadius { .. }
            | FieldCheck::GeoPolygon { .. } => as_geo(value).is_some_and(|p| self.check_geo(p)),
            FieldCheck::ValuesCount(_) | FieldCheck::IsEmpty(_) | FieldCheck::IsNull(_) => false,
        }
    }

    /// Whether a geo point satisfies a geo check (false for other checks).
    pub fn check_geo(&self, p: GeoPoint) -> bool {
        match self {
            FieldCheck::GeoBoundingBox {
                top_left,
                bottom_right,
            } => {
                let lon_ok = if top_left.lon > bottom_right.lon {
                    p.lon > top_left.lon || p.lon < bottom_right.lon
                } else {
                    top_left.lon < p.lon && p.lon < bottom_right.lon
                };
                lon_ok && top_left.lat > p.lat && p.lat > bottom_right.lat
            }
            FieldCheck::GeoRadius { center, radius } => geo_distance(p, *center) < *radius,
            FieldCheck::GeoPolygon {
                exterior,
                interiors,
            } => {
                in_ring(p, exterior, false) && !interiors.iter().any(|hole| in_ring(p, hole, true))
            }
            _ => false,
        }
    }
}

fn is_empty(payload: &Payload, key: &JsonPath) -> bool {
    key.values(payload).iter().all(|v| match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        _ => false,
    })
}

/// `is_null` as Qdrant reads it: a null value at the path; on an indexed
/// field also an array holding a null (the index sees its elements).
fn is_null(payload: &Payload, key: &JsonPath, indexed: bool) -> bool {
    key.values(payload).iter().any(|v| match v {
        Value::Null => true,
        Value::Array(a) => indexed && a.iter().any(Value::is_null),
        _ => false,
    })
}

/// The payload indexes of a segment, as far as they change what a condition
/// means (Qdrant answers some conditions on indexed fields from the index,
/// with the index's reading).
pub trait FieldIndexes {
    /// The tokenizer of the text index on `key`, if there is one: it
    /// decides text conditions on the field.
    fn tokenizer(&self, key: &JsonPath) -> Option<&Tokenizer>;

    /// Whether `key` has a payload index: `is_null` then also holds for an
    /// array with a null element (the index sees its elements).
    fn indexed(&self, key: &JsonPath) -> bool;
}

/// What the evaluator needs to know about one point.
pub struct PointView<'a> {
    /// The point id, or `None` inside a nested filter.
    pub id: Option<PointId>,
    /// The payload (or the nested element being checked).
    pub payload: &'a Payload,
    /// Names of the vectors the point has.
    pub vector_names: &'a dyn Fn(&str) -> bool,
    /// The payload indexes of the segment, if any.
    pub indexes: Option<&'a dyn FieldIndexes>,
}

impl Condition {
    /// Evaluates the condition on one point.
    pub fn check(&self, point: &PointView<'_>) -> bool {
        match self {
            Condition::Field(fc) => fc.check.check_values(point.payload, &fc.key, point.indexes),
            Condition::IsEmpty(path) => is_empty(point.payload, path),
            Condition::IsNull(path) => {
                let indexed = point.indexes.is_some_and(|t| t.indexed(path));
                is_null(point.payload, path, indexed)
            }
            Condition::HasId(ids) => point.id.is_some_and(|id| ids.contains(&id)),
            Condition::HasVector(name) => (point.vector_names)(name),
            Condition::Slice { total, index } => {
                point.id.is_some_and(|id| id.slice(*total) == *index)
            }
            Condition::Nested { path, filter } => path.values(point.payload).iter().any(|v| {
                let Value::Array(items) = v else { return false };
                items.iter().filter_map(Value::as_object).any(|element| {
                    filter.check(&PointView {
                        id: None,
                        payload: element,
                        vector_names: &|_| false,
                        indexes: None,
                    })
                })
            }),
            Condition::Filter(f) => f.check(point),
        }
    }
}

impl Filter {
    /// Evaluates the filter on one point.
    pub fn check(&self, point: &PointView<'_>) -> bool {
        self.must.iter().all(|c| c.check(point))
            && !self.must_not.iter().any(|c| c.check(point))
            && (self.should.is_empty() || self.should.iter().any(|c| c.check(point)))
            && self.min_should.as_ref().is_none_or(|ms| {
                ms.conditions.iter().filter(|c| c.check(point)).count() >= ms.min_count
            })
    }

    /// A filter with the given `must` conditions.
    pub fn must(conditions: Vec<Condition>) -> Filter {
        Filter {
            must: conditions,
            ..Filter::default()
        }
    }
}

#[cfg(test)]
mod tests;
