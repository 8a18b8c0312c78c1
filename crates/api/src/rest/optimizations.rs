//! `GET /collections/{name}/optimizations`: running, queued and completed
//! optimizations in Qdrant's response shape.

use std::time::{SystemTime, UNIX_EPOCH};

use collection::optimizer::{
    Optimization, OptimizationStatus, OptimizationsReport, QueuedOptimization,
};
use serde::Serialize;
use serde_json::{json, Value};
use uuid::Uuid;

/// RFC 3339 UTC timestamp of `t`, with microseconds.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // civil-from-days (proleptic Gregorian)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        d.subsec_micros()
    )
}

/// A segment: its id as a UUID and its live points.
#[derive(Debug, Serialize)]
pub struct SegmentInfo {
    uuid: String,
    points_count: usize,
}

fn segments(list: &[(u64, usize)]) -> Vec<SegmentInfo> {
    list.iter()
        .map(|&(key, points_count)| SegmentInfo {
            uuid: Uuid::from_u128(key as u128).to_string(),
            points_count,
        })
        .collect()
}

/// A running or completed optimization.
#[derive(Debug, Serialize)]
pub struct OptimizationOut {
    uuid: String,
    optimizer: &'static str,
    status: Value,
    segments: Vec<SegmentInfo>,
    progress: Value,
}

impl From<&Optimization> for OptimizationOut {
    fn from(o: &Optimization) -> Self {
        let mut progress = json!({"name": o.optimizer, "started_at": rfc3339(o.started)});
        if let Some(end) = o.finished {
            progress["finished_at"] = json!(rfc3339(end));
            let secs = end
                .duration_since(o.started)
                .unwrap_or_default()
                .as_secs_f64();
            progress["duration_sec"] = json!(secs);
        }
        OptimizationOut {
            uuid: Uuid::from_u64_pair(1, o.id).to_string(),
            optimizer: o.optimizer,
            status: match &o.status {
                OptimizationStatus::Optimizing => json!("optimizing"),
                OptimizationStatus::Done => json!("done"),
                OptimizationStatus::Error(e) => json!({"error": e}),
            },
            segments: segments(&o.segments),
            progress,
        }
    }
}

/// A pending optimization.
#[derive(Debug, Serialize)]
pub struct PendingOut {
    optimizer: &'static str,
    segments: Vec<SegmentInfo>,
}

impl From<&QueuedOptimization> for PendingOut {
    fn from(q: &QueuedOptimization) -> Self {
        PendingOut {
            optimizer: q.optimizer,
            segments: segments(&q.segments),
        }
    }
}

/// The response, with the optional sections asked for in `with`.
pub fn response(report: &OptimizationsReport, with: &[&str], completed_limit: usize) -> Value {
    let queued_segments: std::collections::BTreeMap<u64, usize> = report
        .queued
        .iter()
        .flat_map(|q| q.segments.iter().copied())
        .collect();
    let mut out = json!({
        "summary": {
            "queued_optimizations": report.queued.len(),
            "queued_segments": queued_segments.len(),
            "queued_points": queued_segments.values().sum::<usize>(),
            "idle_segments": report.idle.len(),
        },
        "running": report.running.iter().map(OptimizationOut::from).collect::<Vec<_>>(),
    });
    if with.contains(&"queued") {
        out["queued"] = json!(report
            .queued
            .iter()
            .map(PendingOut::from)
            .collect::<Vec<_>>());
    }
    if with.contains(&"completed") {
        out["completed"] = json!(report
            .completed
            .iter()
            .take(completed_limit)
            .map(OptimizationOut::from)
            .collect::<Vec<_>>());
    }
    if with.contains(&"idle_segments") {
        out["idle_segments"] = json!(segments(&report.idle));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_timestamps() {
        let t = UNIX_EPOCH + std::time::Duration::from_secs(1_388_534_400);
        assert_eq!(rfc3339(t), "2014-01-01T00:00:00.000000Z");
        let leap = UNIX_EPOCH + std::time::Duration::from_secs(951_782_400);
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000000Z");
    }
}
