//! Strict mode: the limits a collection's `strict_mode_config` puts on the
//! requests it serves, refused with Qdrant's texts.

use std::collections::BTreeMap;

use segment::filter::{Condition, FieldCheck, Filter, Match, MatchValue};
use segment::payload_index::schema::{PayloadFieldSchema, PayloadSchemaParams, PayloadSchemaType};
use segment::vectors::{NamedVectors, Vector};
use serde_json::Value;

use crate::config::CollectionConfig;
use crate::error::{CollectionError, Result};
use crate::query::QueryNode;
use crate::search::SearchOptions;

/// The enforced limits of an enabled `strict_mode_config`.
#[derive(Debug, Clone, Default)]
pub struct StrictMode {
    max_query_limit: Option<u64>,
    search_max_hnsw_ef: Option<u64>,
    search_allow_exact: Option<bool>,
    search_max_oversampling: Option<f64>,
    upsert_max_batchsize: Option<u64>,
    filter_max_conditions: Option<u64>,
    condition_max_size: Option<u64>,
    /// Reads filter only on indexed fields (`unindexed_filtering_retrieve: false`).
    indexed_reads: bool,
    /// Updates filter only on indexed fields (`unindexed_filtering_update: false`).
    indexed_updates: bool,
    max_timeout: Option<u64>,
    max_payload_index_count: Option<u64>,
    /// `max_vectors` of multivector fields, by vector name.
    multivector_max: BTreeMap<String, u64>,
    /// `max_length` of sparse vectors, by vector name.
    sparse_max: BTreeMap<String, u64>,
    /// Read requests a minute.
    pub read_rate_limit: Option<u64>,
    /// Written points a minute.
    pub write_rate_limit: Option<u64>,
}

/// `Limit exceeded …` as Qdrant words it.
fn exceeded(
    name: &str,
    value: impl std::fmt::Display,
    max: impl std::fmt::Display,
) -> CollectionError {
    CollectionError::BadRequest(format!(
        "Limit exceeded {value} > {max} for \"{name}\". Help: Reduce the \"{name}\" parameter to or below {max}."
    ))
}

impl StrictMode {
    /// The limits of `config`, when strict mode is enabled.
    pub fn of(config: &CollectionConfig) -> Option<StrictMode> {
        let c = config.strict_mode_config.as_ref()?;
        if c.get("enabled").and_then(Value::as_bool) != Some(true) {
            return None;
        }
        let int = |k: &str| c.get(k).and_then(Value::as_u64);
        Some(StrictMode {
            max_query_limit: int("max_query_limit"),
            search_max_hnsw_ef: int("search_max_hnsw_ef"),
            search_allow_exact: c.get("search_allow_exact").and_then(Value::as_bool),
            search_max_oversampling: c.get("search_max_oversampling").and_then(Value::as_f64),
            upsert_max_batchsize: int("upsert_max_batchsize"),
            filter_max_conditions: int("filter_max_conditions"),
            condition_max_size: int("condition_max_size"),
            indexed_reads: c
                .get("unindexed_filtering_retrieve")
                .and_then(Value::as_bool)
                == Some(false),
            indexed_updates: c.get("unindexed_filtering_update").and_then(Value::as_bool)
                == Some(false),
            max_timeout: int("max_timeout"),
            max_payload_index_count: int("max_payload_index_count"),
            multivector_max: per_vector(c.get("multivector_config"), "max_vectors"),
            sparse_max: per_vector(c.get("sparse_config"), "max_length"),
            read_rate_limit: int("read_rate_limit"),
            write_rate_limit: int("write_rate_limit"),
        })
    }

    /// The sizes of multivectors and sparse vectors written.
    pub fn check_vectors(&self, vectors: &NamedVectors) -> Result<()> {
        for (name, v) in vectors {
            match v {
                Vector::Multi(m) => {
                    if let Some(&max) = self.multivector_max.get(name) {
                        if m.len() as u64 > max {
                            return Err(CollectionError::BadRequest(format!(
                                "Multivector '{name}' has a limit of {max} vectors, but {} were provided!",
                                m.len()
                            )));
                        }
                    }
                }
                Vector::Sparse(sv) => {
                    if let Some(&max) = self.sparse_max.get(name) {
                        if sv.indices.len() as u64 > max {
                            return Err(CollectionError::BadRequest(format!(
                                "Sparse vector '{name}' has a limit of {max} indices, but {} were provided!",
                                sv.indices.len()
                            )));
                        }
                    }
                }
                Vector::Dense(_) => {}
            }
        }
        Ok(())
    }

    /// Creating one more payload index where `existing` exist.
    pub fn check_index_count(&self, existing: usize) -> Result<()> {
        match self.max_payload_index_count {
            Some(max) if existing as u64 >= max => Err(CollectionError::BadRequest(format!(
                "Collection already has the maximum number of payload indices ({max}). \
                 Help: Please delete an existing index before creating a new one."
            ))),
            _ => Ok(()),
        }
    }

    /// A page size (`limit` of searches and scrolls).
    pub fn check_limit(&self, limit: usize) -> Result<()> {
        match self.max_query_limit {
            Some(max) if limit as u64 > max => Err(exceeded("limit", limit, max)),
            _ => Ok(()),
        }
    }

    /// Search parameters.
    pub fn check_params(&self, params: &SearchOptions) -> Result<()> {
        if let (Some(ef), Some(max)) = (params.hnsw_ef, self.search_max_hnsw_ef) {
            if ef as u64 > max {
                return Err(exceeded("hnsw_ef", ef, max));
            }
        }
        if params.exact && self.search_allow_exact == Some(false) {
            return Err(CollectionError::BadRequest(
                "Exact search disabled!. Help: Set exact=false.".into(),
            ));
        }
        if let Some(max) = self.search_max_oversampling {
            let o = params.quantization.oversampling;
            if o > max {
                return Err(exceeded("oversampling", o, max));
            }
        }
        Ok(())
    }

    /// A filter's number of conditions and the size of each.
    pub fn check_filter(&self, filter: &Filter) -> Result<()> {
        if let Some(max) = self.filter_max_conditions {
            let n = count_conditions(filter);
            if n as u64 > max {
                return Err(CollectionError::BadRequest(format!(
                    "Filter condition limit reached ({n} > {max}). Help: Reduce the amount of conditions of your filter."
                )));
            }
        }
        if let Some(max) = self.condition_max_size {
            if let Some(n) = largest_condition(filter).filter(|n| *n as u64 > max) {
                return Err(CollectionError::BadRequest(format!(
                    "Condition size limit reached ({n} > {max}). Help: Reduce the size of your condition."
                )));
            }
        }
        Ok(())
    }

    /// Every node of a query tree: its limit, parameters and filter
    /// (`schema`: the collection's indexes).
    pub fn check_node(
        &self,
        node: &QueryNode,
        schema: &BTreeMap<String, PayloadFieldSchema>,
    ) -> Result<()> {
        self.check_limit(node.limit)?;
        self.check_params(&node.params)?;
        if let Some(f) = &node.filter {
            self.check_filter(f)?;
            self.check_indexed(f, schema, false)?;
        }
        node.prefetch
            .iter()
            .try_for_each(|p| self.check_node(p, schema))
    }

    /// Every field a filter of a read (`update: false`) or of an update
    /// conditions on has an index that serves the condition, when strict
    /// mode asks for it; `schema` holds the collection's indexes.
    pub fn check_indexed(
        &self,
        filter: &Filter,
        schema: &BTreeMap<String, PayloadFieldSchema>,
        update: bool,
    ) -> Result<()> {
        if (update && !self.indexed_updates) || (!update && !self.indexed_reads) {
            return Ok(());
        }
        indexed(filter, schema)
    }

    /// A request's `timeout` (seconds).
    pub fn check_timeout(&self, timeout: Option<u64>) -> Result<()> {
        match (timeout, self.max_timeout) {
            (Some(t), Some(max)) if t > max => Err(exceeded("timeout", t, max)),
            _ => Ok(()),
        }
    }

    /// The number of points of one upsert.
    pub fn check_upsert(&self, points: usize) -> Result<()> {
        match self.upsert_max_batchsize {
            Some(max) if points as u64 > max => Err(exceeded("upsert limit", points, max)),
            _ => Ok(()),
        }
    }
}

/// `{name: {key: n}}` of a per-vector strict-mode setting.
fn per_vector(section: Option<&Value>, key: &str) -> BTreeMap<String, u64> {
    section
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(name, v)| Some((name.clone(), v.get(key)?.as_u64()?)))
                .collect()
        })
        .unwrap_or_default()
}

fn conditions(filter: &Filter) -> impl Iterator<Item = &Condition> {
    filter
        .must
        .iter()
        .chain(&filter.should)
        .chain(&filter.must_not)
        .chain(filter.min_should.iter().flat_map(|m| &m.conditions))
}

/// Conditions of a filter, those of nested filters included.
fn count_conditions(filter: &Filter) -> usize {
    conditions(filter)
        .map(|c| match c {
            Condition::Filter(f) | Condition::Nested { filter: f, .. } => count_conditions(f),
            _ => 1,
        })
        .sum()
}

/// The most values one condition lists (`any`, `except`, `has_id`).
fn largest_condition(filter: &Filter) -> Option<usize> {
    conditions(filter)
        .filter_map(|c| match c {
            Condition::Filter(f) | Condition::Nested { filter: f, .. } => largest_condition(f),
            Condition::HasId(ids) => Some(ids.len()),
            Condition::Field(fc) => match &fc.check {
                FieldCheck::Match(Match::Any(v) | Match::Except(v)) => Some(v.len()),
                _ => None,
            },
            _ => None,
        })
        .max()
}

/// Index kinds named as Qdrant names them in its strict-mode errors.
const ANY_INDEX: &[&str] = &[
    "bool",
    "datetime",
    "float",
    "geo",
    "integer",
    "keyword",
    "keyword (with prefix: true)",
    "text",
    "text (with phrase_matching: true)",
    "uuid",
];
const PHRASE: &str = "text (with phrase_matching: true)";
const PREFIX: &str = "keyword (with prefix: true)";

/// The index kinds that serve `check`.
fn serving(check: &FieldCheck) -> &'static [&'static str] {
    let of_value = |v: &MatchValue| -> &'static [&'static str] {
        match v {
            MatchValue::Keyword(s) if uuid::Uuid::parse_str(s).is_ok() => &["keyword", "uuid"],
            MatchValue::Keyword(_) => &["keyword"],
            MatchValue::Integer(_) => &["integer"],
            MatchValue::Bool(_) => &["bool"],
        }
    };
    match check {
        FieldCheck::Match(Match::Value(v)) => of_value(v),
        FieldCheck::Match(Match::Any(vs) | Match::Except(vs)) => match vs.first() {
            Some(MatchValue::Integer(_)) => &["integer"],
            _ => &["keyword"],
        },
        FieldCheck::Match(Match::Text(_) | Match::TextAny(_)) => &["text"],
        FieldCheck::Match(Match::Phrase(_)) => &[PHRASE],
        FieldCheck::Match(Match::Prefix(_)) => &[PREFIX],
        FieldCheck::Range(_) => &["float", "integer"],
        FieldCheck::DatetimeRange(_) => &["datetime"],
        FieldCheck::GeoBoundingBox { .. }
        | FieldCheck::GeoRadius { .. }
        | FieldCheck::GeoPolygon { .. } => &["geo"],
        FieldCheck::ValuesCount(_) | FieldCheck::IsEmpty(_) | FieldCheck::IsNull(_) => ANY_INDEX,
    }
}

/// The kinds an index is, as [`serving`] names them.
fn kinds(schema: &PayloadFieldSchema) -> Vec<&'static str> {
    match schema.kind() {
        PayloadSchemaType::Keyword => {
            let prefix = matches!(
                schema.params(),
                Some(PayloadSchemaParams::Keyword {
                    prefix: Some(true),
                    ..
                })
            );
            if prefix {
                vec!["keyword", PREFIX]
            } else {
                vec!["keyword"]
            }
        }
        PayloadSchemaType::Integer => vec!["integer"],
        PayloadSchemaType::Float => vec!["float"],
        PayloadSchemaType::Geo => vec!["geo"],
        PayloadSchemaType::Bool => vec!["bool"],
        PayloadSchemaType::Datetime => vec!["datetime"],
        PayloadSchemaType::Uuid => vec!["uuid"],
        PayloadSchemaType::Text => {
            let phrase = schema.text_params().and_then(|p| p.phrase_matching) == Some(true);
            if phrase {
                vec!["text", PHRASE]
            } else {
                vec!["text"]
            }
        }
    }
}

fn served(key: &str, wanted: &[&str], schema: &BTreeMap<String, PayloadFieldSchema>) -> bool {
    schema
        .get(key)
        .is_some_and(|s| kinds(s).iter().any(|k| wanted.contains(k)))
}

/// The payload keys `filter` reads that no index of `schema` serves, each
/// with the index kinds that would serve it (nested keys as `path[].key`),
/// in the order the filter names them, each key once.
pub fn unserved_keys(
    filter: &Filter,
    schema: &BTreeMap<String, PayloadFieldSchema>,
) -> Vec<(String, &'static [&'static str])> {
    fn visit(
        filter: &Filter,
        prefix: &str,
        schema: &BTreeMap<String, PayloadFieldSchema>,
        out: &mut Vec<(String, &'static [&'static str])>,
    ) {
        for c in conditions(filter) {
            let (key, wanted) = match c {
                Condition::Field(fc) => (format!("{prefix}{}", fc.key), serving(&fc.check)),
                Condition::IsEmpty(path) | Condition::IsNull(path) => {
                    (format!("{prefix}{path}"), ANY_INDEX)
                }
                Condition::Nested { path, filter } => {
                    visit(filter, &format!("{prefix}{path}[]."), schema, out);
                    continue;
                }
                Condition::Filter(f) => {
                    visit(f, prefix, schema, out);
                    continue;
                }
                _ => continue,
            };
            if !served(&key, wanted, schema) && !out.iter().any(|(k, _)| *k == key) {
                out.push((key, wanted));
            }
        }
    }
    let mut out = Vec::new();
    visit(filter, "", schema, &mut out);
    out
}

/// Refuses the first key of `filter` no index serves, with Qdrant's text.
fn indexed(filter: &Filter, schema: &BTreeMap<String, PayloadFieldSchema>) -> Result<()> {
    match unserved_keys(filter, schema).into_iter().next() {
        None => Ok(()),
        Some((key, wanted)) => Err(CollectionError::BadRequest(format!(
            "Index required but not found for \"{key}\" of one of the following types: [{}]. \
             Help: Create an index for this key or use a different filter.",
            wanted.join(", ")
        ))),
    }
}
