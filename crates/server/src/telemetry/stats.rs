//! Response statistics per endpoint and status, as Qdrant's telemetry and
//! metrics report them.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, SystemTime};

use parking_lot::Mutex;
use serde_json::{json, Value};

use super::time::rfc3339_rounded;

/// Durations kept for the moving average.
const WINDOW: usize = 128;
/// Width of the smoothing window inside it.
const SMOOTHING: usize = 9;

/// Upper bounds (seconds) of the duration histogram buckets, as Qdrant's.
pub const BUCKETS: [f64; 11] = [
    0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 50.0,
];

/// Statistics of one operation (an endpoint answering one status).
#[derive(Debug, Clone, Default)]
pub struct OperationStats {
    /// Responses counted.
    pub count: u64,
    /// The last durations, microseconds.
    recent: VecDeque<f32>,
    /// Shortest duration, microseconds.
    pub min_micros: f32,
    /// Longest duration, microseconds.
    pub max_micros: f32,
    /// Sum of all durations, microseconds.
    pub total_micros: u64,
    /// When the last response was sent.
    pub last: Option<SystemTime>,
    /// Responses per histogram bucket (not cumulative; the last is +Inf).
    pub buckets: [u64; BUCKETS.len() + 1],
}

impl OperationStats {
    /// Counts one response that took `took`.
    pub fn record(&mut self, took: Duration) {
        let micros = took.as_micros() as u64;
        let as_f32 = micros as f32;
        if self.count == 0 {
            self.min_micros = as_f32;
            self.max_micros = as_f32;
        } else {
            self.min_micros = self.min_micros.min(as_f32);
            self.max_micros = self.max_micros.max(as_f32);
        }
        self.count += 1;
        self.total_micros += micros;
        if self.recent.len() == WINDOW {
            self.recent.pop_front();
        }
        self.recent.push_back(as_f32);
        self.last = Some(SystemTime::now());
        let secs = took.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|&b| secs <= b)
            .unwrap_or(BUCKETS.len());
        self.buckets[bucket] += 1;
    }

    /// Qdrant's average: the mean of a moving average (over up to nine
    /// durations) of the last 128 durations.
    pub fn avg_micros(&self) -> f32 {
        let data: Vec<f32> = self.recent.iter().copied().collect();
        if data.is_empty() {
            return 0.0;
        }
        let mut sum = 0.0f32;
        for i in 0..data.len() {
            let window = &data[i.saturating_sub(SMOOTHING - 1)..=i];
            sum += window.iter().sum::<f32>() / window.len() as f32;
        }
        sum / data.len() as f32
    }

    /// The telemetry object at `level` (counts and average at level 0).
    pub fn to_json(&self, level: usize) -> Value {
        let mut v = json!({"count": self.count});
        if self.count == 0 {
            return v;
        }
        v["avg_duration_micros"] = json!(self.avg_micros());
        if level >= 1 {
            v["min_duration_micros"] = json!(self.min_micros);
            v["max_duration_micros"] = json!(self.max_micros);
            v["total_duration_micros"] = json!(self.total_micros);
            if let Some(last) = self.last {
                v["last_responded"] = json!(rfc3339_rounded(last));
            }
        }
        v
    }
}

/// Statistics per endpoint, then per status (`"200"`, or a gRPC code `"0"`).
pub type EndpointStats = BTreeMap<String, BTreeMap<String, OperationStats>>;

/// The responses of one transport: overall and per collection.
#[derive(Debug, Default)]
pub struct TransportStats {
    inner: Mutex<TransportInner>,
}

#[derive(Debug, Default, Clone)]
struct TransportInner {
    all: EndpointStats,
    per_collection: BTreeMap<String, EndpointStats>,
}

impl TransportStats {
    /// Counts one response of `endpoint` with `status`, for `collection`
    /// when the request names one.
    pub fn record(&self, endpoint: &str, status: &str, collection: Option<&str>, took: Duration) {
        let mut inner = self.inner.lock();
        let bump = |stats: &mut EndpointStats| {
            stats
                .entry(endpoint.to_owned())
                .or_default()
                .entry(status.to_owned())
                .or_default()
                .record(took);
        };
        bump(&mut inner.all);
        if let Some(c) = collection {
            bump(inner.per_collection.entry(c.to_owned()).or_default());
        }
    }

    /// A copy of the statistics of every endpoint.
    pub fn all(&self) -> EndpointStats {
        self.inner.lock().all.clone()
    }

    /// A copy of the statistics per collection.
    pub fn per_collection(&self) -> BTreeMap<String, EndpointStats> {
        self.inner.lock().per_collection.clone()
    }
}

/// The telemetry object of endpoint statistics.
pub fn endpoints_json(stats: &EndpointStats, level: usize) -> Value {
    let map = stats
        .iter()
        .map(|(endpoint, statuses)| {
            let statuses = statuses
                .iter()
                .map(|(status, s)| (status.clone(), s.to_json(level)))
                .collect::<serde_json::Map<_, _>>();
            (endpoint.clone(), Value::Object(statuses))
        })
        .collect::<serde_json::Map<_, _>>();
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn average_is_qdrants_smoothed_mean() {
        let mut s = OperationStats::default();
        s.record(Duration::from_micros(1223));
        s.record(Duration::from_micros(260));
        // (1223 + (1223 + 260) / 2) / 2, as the reference server reports it
        assert_eq!(s.avg_micros(), 982.25);
        assert_eq!(s.min_micros, 260.0);
        assert_eq!(s.max_micros, 1223.0);
        assert_eq!(s.total_micros, 1483);
        assert_eq!(s.count, 2);
    }

    #[test]
    fn buckets_hold_each_duration_once() {
        let mut s = OperationStats::default();
        for micros in [500, 1_000, 7_000, 2_000_000, 90_000_000] {
            s.record(Duration::from_micros(micros));
        }
        // le 0.001 holds 500 µs and exactly 1 ms; 7 ms in le 0.01; 2 s in
        // le 5; 90 s past every bound
        assert_eq!(s.buckets[0], 2);
        assert_eq!(s.buckets[2], 1);
        assert_eq!(s.buckets[8], 1);
        assert_eq!(s.buckets[BUCKETS.len()], 1);
        assert_eq!(s.buckets.iter().sum::<u64>(), 5);
    }

    #[test]
    fn per_collection_counts_only_requests_naming_one() {
        let t = TransportStats::default();
        t.record("GET /x", "200", None, Duration::from_micros(5));
        t.record("GET /y", "404", Some("c"), Duration::from_micros(5));
        assert_eq!(t.all().len(), 2);
        assert_eq!(t.per_collection()["c"]["GET /y"]["404"].count, 1);
        assert_eq!(t.per_collection().len(), 1);
    }
}
