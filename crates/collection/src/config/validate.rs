//! Range checks on configuration values, reported as Qdrant reports them:
//! `field.path: value 0 invalid, must be 1 or larger`.

use serde_json::Value;

use super::{
    CollectionParamsDiff, HnswConfigDiff, OptimizersConfigDiff, QuantizationConfig,
    SparseIndexParams, VectorParams, WalConfigDiff,
};

/// Collected validation messages.
#[derive(Debug, Default)]
pub struct ValidationErrors(pub Vec<String>);

impl ValidationErrors {
    /// Checks `value >= min` for the field at `path`.
    pub fn min<T: Shown>(&mut self, path: &str, value: Option<T>, min: T) {
        if let Some(v) = value {
            if v < min {
                self.0.push(format!(
                    "{path}: value {} invalid, must be {} or larger",
                    v.shown(),
                    min.shown()
                ));
            }
        }
    }

    /// Checks `value <= max` for the field at `path`.
    pub fn max<T: Shown>(&mut self, path: &str, value: Option<T>, max: T) {
        if let Some(v) = value {
            if v > max {
                self.0.push(format!(
                    "{path}: value {} invalid, must be {} or smaller",
                    v.shown(),
                    max.shown()
                ));
            }
        }
    }

    /// Checks `min <= value <= max` for the field at `path`.
    pub fn range<T: Shown>(&mut self, path: &str, value: Option<T>, min: T, max: T) {
        if let Some(v) = value {
            if v < min || v > max {
                self.0.push(format!(
                    "{path}: value {} invalid, must be from {} to {}",
                    v.shown(),
                    min.shown(),
                    max.shown()
                ));
            }
        }
    }

    /// Adds a free-form message for `path`.
    pub fn push(&mut self, path: &str, message: impl std::fmt::Display) {
        self.0.push(format!("{path}: {message}"));
    }

    /// `Ok` when nothing was reported, else the joined message.
    pub fn into_result(self) -> Result<(), String> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(self.0.join(", "))
        }
    }
}

/// A number as Qdrant's validation messages show it: floats always with a
/// fraction (`2.0`), `f32` fields widened to `f64` first
/// (`0.10000000149011612`).
pub trait Shown: PartialOrd + Copy {
    /// The text of the value.
    fn shown(self) -> String;
}

macro_rules! shown_as_integer {
    ($($t:ty),*) => {$(
        impl Shown for $t {
            fn shown(self) -> String {
                self.to_string()
            }
        }
    )*};
}
shown_as_integer!(u8, u16, u32, u64, usize, i32, i64);

impl Shown for f64 {
    fn shown(self) -> String {
        Value::from(self).to_string()
    }
}

impl Shown for f32 {
    fn shown(self) -> String {
        (self as f64).shown()
    }
}

/// Values that know their own valid ranges.
pub trait Validate {
    /// Reports every invalid field, prefixing paths with `path`.
    fn validate(&self, path: &str, errors: &mut ValidationErrors);
}

fn join(path: &str, field: &str) -> String {
    if path.is_empty() {
        field.to_string()
    } else {
        format!("{path}.{field}")
    }
}

impl<T: Validate> Validate for Option<T> {
    fn validate(&self, path: &str, errors: &mut ValidationErrors) {
        if let Some(v) = self {
            v.validate(path, errors);
        }
    }
}

impl Validate for HnswConfigDiff {
    fn validate(&self, path: &str, e: &mut ValidationErrors) {
        e.min(&join(path, "ef_construct"), self.ef_construct, 4);
        e.min(
            &join(path, "full_scan_threshold"),
            self.full_scan_threshold,
            10,
        );
    }
}

impl Validate for OptimizersConfigDiff {
    fn validate(&self, path: &str, e: &mut ValidationErrors) {
        e.range(
            &join(path, "deleted_threshold"),
            self.deleted_threshold,
            0.0,
            1.0,
        );
        e.min(
            &join(path, "vacuum_min_vector_number"),
            self.vacuum_min_vector_number,
            100,
        );
        e.min(&join(path, "max_segment_size"), self.max_segment_size, 1);
    }
}

impl Validate for WalConfigDiff {
    fn validate(&self, path: &str, e: &mut ValidationErrors) {
        e.min(&join(path, "wal_capacity_mb"), self.wal_capacity_mb, 1);
    }
}

impl Validate for CollectionParamsDiff {
    fn validate(&self, path: &str, e: &mut ValidationErrors) {
        e.min(
            &join(path, "replication_factor"),
            self.replication_factor,
            1,
        );
        e.min(
            &join(path, "write_consistency_factor"),
            self.write_consistency_factor,
            1,
        );
    }
}

impl Validate for QuantizationConfig {
    fn validate(&self, path: &str, e: &mut ValidationErrors) {
        if let QuantizationConfig::Scalar(s) = self {
            let p = join(&join(path, "scalar"), "quantile");
            e.range(&p, s.quantile, 0.5, 1.0);
        }
    }
}

impl Validate for VectorParams {
    fn validate(&self, path: &str, e: &mut ValidationErrors) {
        e.range(&join(path, "size"), Some(self.size), 1, 65536);
        self.hnsw_config.validate(&join(path, "hnsw_config"), e);
        self.quantization_config
            .validate(&join(path, "quantization_config"), e);
    }
}

impl Validate for SparseIndexParams {
    fn validate(&self, _path: &str, _e: &mut ValidationErrors) {}
}

/// Strict-mode fields whose value must be at least 1.
const STRICT_MODE_MIN_ONE: &[&str] = &[
    "max_query_limit",
    "max_timeout",
    "read_rate_limit",
    "write_rate_limit",
    "max_points_count",
];

/// Validates a strict-mode object: known numeric fields must be
/// non-negative integers and some at least 1.
pub fn validate_strict_mode(value: &Value, path: &str, e: &mut ValidationErrors) {
    let Some(obj) = value.as_object() else {
        e.push(path, "must be an object");
        return;
    };
    for key in STRICT_MODE_MIN_ONE {
        if let Some(n) = obj.get(*key).and_then(Value::as_u64) {
            e.min(&join(path, key), Some(n), 1);
        }
    }
    if let Some(p) = obj
        .get("max_resident_memory_percent")
        .and_then(Value::as_u64)
    {
        e.range(&join(path, "max_resident_memory_percent"), Some(p), 1, 100);
    }
}
