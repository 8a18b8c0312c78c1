//! The JSON filter language and its conversion to the internal model.

use std::collections::HashSet;

use collection::{CollectionError, Result};
use segment::datetime::parse_datetime;
use segment::filter::{self as f, Condition, FieldCheck, GeoPoint, Match, MatchValue, MinShould};
use segment::json_path::JsonPath;
use segment::PointId;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::bad;

/// `Condition` or a list of them.
#[derive(Debug, Clone)]
pub enum OneOrMany {
    /// A single condition.
    One(Box<WireCondition>),
    /// A list of conditions.
    Many(Vec<WireCondition>),
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::Array(items) => items
                .into_iter()
                .map(parse::<_, D::Error>)
                .collect::<Result<_, _>>()
                .map(OneOrMany::Many),
            other => parse::<_, D::Error>(other).map(|c| OneOrMany::One(Box::new(c))),
        }
    }
}

impl OneOrMany {
    /// The conditions of the clause `clause` (validation errors named
    /// `clause[i].…` as Qdrant names them).
    fn convert(self, clause: &str) -> Result<Vec<Condition>> {
        match self {
            OneOrMany::One(c) => Ok(vec![c
                .convert()
                .map_err(super::within(&format!("{clause}.")))?]),
            OneOrMany::Many(cs) => cs
                .into_iter()
                .enumerate()
                .map(|(i, c)| {
                    c.convert()
                        .map_err(super::within(&format!("{clause}[{i}].")))
                })
                .collect(),
        }
    }
}

/// A filter as JSON.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    /// At least one must hold.
    #[serde(default)]
    pub should: Option<OneOrMany>,
    /// At least `min_count` must hold.
    #[serde(default)]
    pub min_should: Option<WireMinShould>,
    /// All must hold.
    #[serde(default)]
    pub must: Option<OneOrMany>,
    /// None may hold.
    #[serde(default)]
    pub must_not: Option<OneOrMany>,
}

/// `min_should` as JSON.
#[derive(Debug, Clone, Deserialize)]
pub struct WireMinShould {
    /// Candidate conditions.
    pub conditions: Vec<WireCondition>,
    /// How many must hold.
    pub min_count: usize,
}

impl Filter {
    /// Converts into the internal filter.
    pub fn convert(self) -> Result<f::Filter> {
        let list =
            |c: Option<OneOrMany>, clause: &str| c.map_or(Ok(Vec::new()), |c| c.convert(clause));
        let min_should = match self.min_should {
            None => None,
            Some(ms) => {
                if ms.min_count < 1 {
                    return Err(CollectionError::Validation(format!(
                        "min_should.min_count: value {} invalid, must be 1 or larger",
                        ms.min_count
                    )));
                }
                Some(MinShould {
                    conditions: ms
                        .conditions
                        .into_iter()
                        .map(WireCondition::convert)
                        .collect::<Result<_>>()?,
                    min_count: ms.min_count,
                })
            }
        };
        Ok(f::Filter {
            must: list(self.must, "must")?,
            should: list(self.should, "should")?,
            must_not: list(self.must_not, "must_not")?,
            min_should,
        })
    }
}

/// Converts an optional JSON filter (a body's `filter`: validation errors
/// named `filter.…`).
pub fn convert_opt(filter: Option<Filter>) -> Result<Option<f::Filter>> {
    filter
        .map(|f| f.convert().map_err(super::within("filter.")))
        .transpose()
}

/// One condition as JSON; its kind is told by its keys.
#[derive(Debug, Clone)]
pub enum WireCondition {
    /// `{"key": ..., "match" | "range" | ...}`.
    Field(FieldCondition),
    /// `{"is_empty": {"key": ...}}`.
    IsEmpty(String),
    /// `{"is_null": {"key": ...}}`.
    IsNull(String),
    /// `{"has_id": [...]}`.
    HasId(Vec<PointId>),
    /// `{"has_vector": "name"}`.
    HasVector(String),
    /// `{"nested": {"key": ..., "filter": ...}}`.
    Nested(String, Filter),
    /// `{"slice": {"total": ..., "index": ...}}`.
    Slice {
        /// Number of disjoint slices.
        total: u32,
        /// The slice selected.
        index: u32,
    },
    /// A nested filter.
    Filter(Filter),
}

#[derive(Deserialize)]
struct PayloadField {
    key: String,
}

#[derive(Deserialize)]
struct Nested {
    key: String,
    filter: Filter,
}

fn parse<T: serde::de::DeserializeOwned, E: serde::de::Error>(
    v: Value,
) -> std::result::Result<T, E> {
    serde_json::from_value(v).map_err(E::custom)
}

/// Qdrant's answer to a condition of no known form.
const NO_CONDITION: &str = "Expected some form of condition, which can be a field condition \
     (like {\"key\": ..., \"match\": ... }), or some other mentioned in the documentation: \
     https://qdrant.tech/documentation/concepts/filtering/#filtering-conditions";

/// `{"slice": {...}}`.
#[derive(Deserialize)]
struct SliceParams {
    total: std::num::NonZeroU32,
    index: u32,
}

impl WireCondition {
    /// The first condition form, in Qdrant's order, whose key the object
    /// holds and whose value parses (other keys are ignored, as Qdrant's
    /// untagged condition ignores them).
    fn first_form(map: &Map<String, Value>) -> Option<WireCondition> {
        fn form<T: serde::de::DeserializeOwned>(map: &Map<String, Value>, key: &str) -> Option<T> {
            map.get(key)
                .and_then(|v| serde_json::from_value(v.clone()).ok())
        }
        if let Some(p) = form::<PayloadField>(map, "is_empty") {
            return Some(WireCondition::IsEmpty(p.key));
        }
        if let Some(p) = form::<PayloadField>(map, "is_null") {
            return Some(WireCondition::IsNull(p.key));
        }
        if let Some(ids) = form(map, "has_id") {
            return Some(WireCondition::HasId(ids));
        }
        if let Some(name) = form(map, "has_vector") {
            return Some(WireCondition::HasVector(name));
        }
        if let Some(n) = form::<Nested>(map, "nested") {
            return Some(WireCondition::Nested(n.key, n.filter));
        }
        if let Some(s) = form::<SliceParams>(map, "slice") {
            return Some(WireCondition::Slice {
                total: s.total.get(),
                index: s.index,
            });
        }
        serde_json::from_value(Value::Object(map.clone()))
            .ok()
            .map(WireCondition::Filter)
    }
}

impl<'de> Deserialize<'de> for WireCondition {
    /// A field condition when the object has a `key` (its errors are
    /// reported as they are), else the first other form that parses, else
    /// Qdrant's "Expected some form of condition" error.
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        if map.contains_key("key") {
            return Ok(WireCondition::Field(parse::<_, D::Error>(Value::Object(
                map,
            ))?));
        }
        WireCondition::first_form(&map).ok_or_else(|| D::Error::custom(NO_CONDITION))
    }
}

fn path(key: &str) -> Result<JsonPath> {
    JsonPath::parse(key).map_err(CollectionError::BadInput)
}

impl WireCondition {
    /// Converts into the internal condition.
    pub fn convert(self) -> Result<Condition> {
        Ok(match self {
            WireCondition::Field(fc) => fc.convert()?,
            WireCondition::IsEmpty(k) => Condition::IsEmpty(path(&k)?),
            WireCondition::IsNull(k) => Condition::IsNull(path(&k)?),
            WireCondition::HasId(ids) => Condition::HasId(ids.into_iter().collect::<HashSet<_>>()),
            WireCondition::HasVector(n) => Condition::HasVector(n),
            WireCondition::Slice { total, index } => {
                if index >= total {
                    return Err(CollectionError::Validation(
                        "__all__: Validation error: Slice index must be less than the total \
                         number of slices [{}]"
                            .into(),
                    ));
                }
                Condition::Slice { total, index }
            }
            WireCondition::Nested(k, filter) => {
                let key = k.strip_suffix("[]").unwrap_or(&k);
                Condition::Nested {
                    path: path(key)?,
                    filter: Box::new(filter.convert()?),
                }
            }
            WireCondition::Filter(filter) => Condition::Filter(Box::new(filter.convert()?)),
        })
    }
}

/// A field condition as JSON.
#[derive(Debug, Clone, Deserialize)]
pub struct FieldCondition {
    /// Payload path.
    pub key: String,
    /// Match.
    #[serde(default, rename = "match")]
    pub match_: Option<WireMatch>,
    /// Range.
    #[serde(default)]
    pub range: Option<RangeInterface>,
    /// Bounding box.
    #[serde(default)]
    pub geo_bounding_box: Option<GeoBoundingBox>,
    /// Radius.
    #[serde(default)]
    pub geo_radius: Option<GeoRadius>,
    /// Polygon.
    #[serde(default)]
    pub geo_polygon: Option<GeoPolygon>,
    /// Values count.
    #[serde(default)]
    pub values_count: Option<ValuesCount>,
    /// Is empty.
    #[serde(default)]
    pub is_empty: Option<bool>,
    /// Is null.
    #[serde(default)]
    pub is_null: Option<bool>,
}

/// A match as JSON.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, rename = "Match")]
pub enum WireMatch {
    /// Exact value.
    Value {
        /// The value.
        value: ValueVariant,
    },
    /// Full text.
    Text {
        /// Query text.
        text: String,
    },
    /// Any token.
    TextAny {
        /// Query text.
        text_any: String,
    },
    /// Phrase.
    Phrase {
        /// Query phrase.
        phrase: String,
    },
    /// Prefix.
    Prefix {
        /// The prefix.
        prefix: String,
    },
    /// Any of.
    Any {
        /// The values.
        any: Vec<ValueVariant>,
    },
    /// None of.
    Except {
        /// The values.
        except: Vec<ValueVariant>,
    },
}

/// A keyword, integer or boolean.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged, rename = "ValueVariants")]
pub enum ValueVariant {
    /// A string.
    Keyword(String),
    /// An integer.
    Integer(i64),
    /// A boolean.
    Bool(bool),
}

impl From<ValueVariant> for MatchValue {
    fn from(v: ValueVariant) -> Self {
        match v {
            ValueVariant::Keyword(s) => MatchValue::Keyword(s),
            ValueVariant::Integer(i) => MatchValue::Integer(i),
            ValueVariant::Bool(b) => MatchValue::Bool(b),
        }
    }
}

/// A numeric or datetime range, told apart by the bound types.
#[derive(Debug, Clone)]
pub enum RangeInterface {
    /// Numeric bounds.
    Number(f::Range<f64>),
    /// Datetime bounds (UTC microseconds).
    Datetime(f::Range<i64>),
}

impl<'de> Deserialize<'de> for RangeInterface {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let map = Map::<String, Value>::deserialize(d)?;
        let mut numbers = f::Range::default();
        let mut dates = f::Range::default();
        let mut any_string = false;
        for (k, v) in &map {
            let (n, t) = match k.as_str() {
                "lt" => (&mut numbers.lt, &mut dates.lt),
                "gt" => (&mut numbers.gt, &mut dates.gt),
                "gte" => (&mut numbers.gte, &mut dates.gte),
                "lte" => (&mut numbers.lte, &mut dates.lte),
                _ => continue,
            };
            match v {
                Value::Null => {}
                Value::Number(x) => {
                    *n = x.as_f64();
                    *t = x.as_f64().map(|secs| (secs * 1e6) as i64);
                }
                Value::String(s) => {
                    any_string = true;
                    *t = Some(parse_datetime(s).ok_or_else(|| {
                        D::Error::custom(format!(
                            "'{s}' does not match accepted datetime format (RFC3339). Example: 2014-01-01T00:00:00Z"
                        ))
                    })?);
                }
                other => {
                    return Err(D::Error::custom(format!(
                        "invalid type: {other}, expected a number or a datetime string"
                    )))
                }
            }
        }
        Ok(if any_string {
            RangeInterface::Datetime(dates)
        } else {
            RangeInterface::Number(numbers)
        })
    }
}

/// A geo point as JSON.
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct WireGeoPoint {
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
}

impl WireGeoPoint {
    /// Converts, checking the coordinate ranges.
    pub(crate) fn convert(self) -> Result<GeoPoint> {
        if !(-180.0..=180.0).contains(&self.lon) {
            return Err(bad(format!(
                "Wrong input: longitude must be in range [-180, 180], got {}",
                self.lon
            )));
        }
        if !(-90.0..=90.0).contains(&self.lat) {
            return Err(bad(format!(
                "Wrong input: latitude must be in range [-90, 90], got {}",
                self.lat
            )));
        }
        Ok(GeoPoint {
            lon: self.lon,
            lat: self.lat,
        })
    }
}

/// Bounding box as JSON.
#[derive(Debug, Clone, Deserialize)]
pub struct GeoBoundingBox {
    /// North-west corner.
    pub top_left: WireGeoPoint,
    /// South-east corner.
    pub bottom_right: WireGeoPoint,
}

/// Radius as JSON.
#[derive(Debug, Clone, Deserialize)]
pub struct GeoRadius {
    /// Centre.
    pub center: WireGeoPoint,
    /// Metres.
    pub radius: f64,
}

/// A ring of points.
#[derive(Debug, Clone, Deserialize)]
pub struct GeoLineString {
    /// Points.
    pub points: Vec<WireGeoPoint>,
}

/// Polygon as JSON.
#[derive(Debug, Clone, Deserialize)]
pub struct GeoPolygon {
    /// Exterior ring.
    pub exterior: GeoLineString,
    /// Holes.
    #[serde(default)]
    pub interiors: Option<Vec<GeoLineString>>,
}

/// Values-count bounds.
#[derive(Debug, Clone, Deserialize)]
pub struct ValuesCount {
    /// Less than.
    #[serde(default)]
    pub lt: Option<u64>,
    /// Greater than.
    #[serde(default)]
    pub gt: Option<u64>,
    /// Greater or equal.
    #[serde(default)]
    pub gte: Option<u64>,
    /// Less or equal.
    #[serde(default)]
    pub lte: Option<u64>,
}

fn ring(line: GeoLineString) -> Result<Vec<GeoPoint>> {
    if line.points.len() < 4 {
        return Err(bad(
            "Validation error: polygon invalid, the size must be at least 4",
        ));
    }
    if line.points.first().map(|p| (p.lon, p.lat)) != line.points.last().map(|p| (p.lon, p.lat)) {
        return Err(bad("Validation error: polygon invalid, the first and the last points should be same to form a closed line"));
    }
    line.points.into_iter().map(WireGeoPoint::convert).collect()
}

impl FieldCondition {
    fn convert(self) -> Result<Condition> {
        let key = path(&self.key)?;
        let mut checks = Vec::new();
        if let Some(m) = self.match_ {
            checks.push(FieldCheck::Match(match m {
                WireMatch::Value { value } => Match::Value(value.into()),
                WireMatch::Text { text } => Match::Text(text),
                WireMatch::TextAny { text_any } => Match::TextAny(text_any),
                WireMatch::Phrase { phrase } => Match::Phrase(phrase),
                WireMatch::Prefix { prefix } => Match::Prefix(prefix),
                WireMatch::Any { any } => Match::Any(any.into_iter().map(Into::into).collect()),
                WireMatch::Except { except } => {
                    Match::Except(except.into_iter().map(Into::into).collect())
                }
            }));
        }
        if let Some(r) = self.range {
            checks.push(match r {
                RangeInterface::Number(n) => FieldCheck::Range(n),
                RangeInterface::Datetime(d) => FieldCheck::DatetimeRange(d),
            });
        }
        if let Some(b) = self.geo_bounding_box {
            checks.push(FieldCheck::GeoBoundingBox {
                top_left: b.top_left.convert()?,
                bottom_right: b.bottom_right.convert()?,
            });
        }
        if let Some(r) = self.geo_radius {
            checks.push(FieldCheck::GeoRadius {
                center: r.center.convert()?,
                radius: r.radius,
            });
        }
        if let Some(p) = self.geo_polygon {
            let interiors = p
                .interiors
                .unwrap_or_default()
                .into_iter()
                .map(ring)
                .collect::<Result<_>>()?;
            checks.push(FieldCheck::GeoPolygon {
                exterior: ring(p.exterior)?,
                interiors,
            });
        }
        if let Some(vc) = self.values_count {
            let as_f = |v: Option<u64>| v.map(|x| x as f64);
            checks.push(FieldCheck::ValuesCount(f::Range {
                lt: as_f(vc.lt),
                gt: as_f(vc.gt),
                gte: as_f(vc.gte),
                lte: as_f(vc.lte),
            }));
        }
        if let Some(e) = self.is_empty {
            checks.push(FieldCheck::IsEmpty(e));
        }
        if let Some(n) = self.is_null {
            checks.push(FieldCheck::IsNull(n));
        }
        match checks.len() {
            0 => Err(CollectionError::Validation(
                "__all__: Validation error: At least one field condition must be specified [{}]"
                    .into(),
            )),
            1 => Ok(Condition::Field(f::FieldCondition {
                key,
                check: checks.remove(0),
            })),
            _ => Ok(Condition::Filter(Box::new(f::Filter::must(
                checks
                    .into_iter()
                    .map(|check| {
                        Condition::Field(f::FieldCondition {
                            key: key.clone(),
                            check,
                        })
                    })
                    .collect(),
            )))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<f::Filter> {
        serde_json::from_value::<Filter>(v)
            .map_err(|e| bad(e.to_string()))?
            .convert()
    }

    #[test]
    fn converts_every_condition_kind() {
        let filter = parse(json!({
            "must": [
                {"key": "a", "match": {"value": "x"}},
                {"key": "b", "match": {"any": [1, 2]}},
                {"key": "c", "range": {"gte": 1, "lt": 2.5}},
                {"key": "d", "range": {"gt": "2020-01-01T00:00:00Z"}},
                {"is_empty": {"key": "e"}},
                {"has_id": [1, "5c56c793-69f3-4fbf-87e6-c4bf54c28c26"]},
                {"nested": {"key": "n[]", "filter": {"must": {"key": "x", "match": {"value": true}}}}},
                {"should": [{"has_vector": "v"}]}
            ],
            "should": {"key": "g", "geo_radius": {"center": {"lon": 1.0, "lat": 2.0}, "radius": 5.0}},
            "min_should": {"conditions": [{"is_null": {"key": "z"}}], "min_count": 1}
        }))
        .unwrap();
        assert_eq!(filter.must.len(), 8);
        assert_eq!(filter.should.len(), 1);
        assert!(matches!(
            filter.must[3],
            Condition::Field(f::FieldCondition {
                check: FieldCheck::DatetimeRange(_),
                ..
            })
        ));
    }

    #[test]
    fn rejects_bad_filters() {
        let err = serde_json::from_value::<Filter>(
            json!({"must": [{"key": "n", "range": {"gte": "x"}}]}),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("'x' does not match accepted datetime format (RFC3339)"),
            "{err}"
        );
        assert!(serde_json::from_value::<Filter>(json!({"must": [{"foo": 1}]})).is_err());
        assert!(serde_json::from_value::<Filter>(json!({"bogus": []})).is_err());
        assert!(parse(json!({"must": [{"key": "a"}]})).is_err());
        assert!(parse(json!({"min_should": {"conditions": [], "min_count": 0}})).is_err());
    }
}
