//! The node's resource quota: limits on resident memory and disk usage past
//! which updates that consume them are refused (507), persisted in
//! `quota.json` at the storage root so that `PUT /quotas` survives restarts.

use std::path::{Path, PathBuf};

use api::rest::quota::{QuotaConfig, QuotaStatus, QuotaUsage};
use axum::http::StatusCode;
use parking_lot::Mutex;
use serde_json::{json, Value};

use crate::http::ApiError;

/// The quota file, at the storage root.
pub const QUOTA_FILE: &str = "quota.json";

/// The resources a quota caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resource {
    Memory,
    Disk,
}

impl Resource {
    fn refusal(self, used: u8, limit: u8) -> String {
        let (condition, remedy, parameter) = match self {
            Resource::Memory => (
                format!("Resident memory usage is at {used}% of total memory, exceeding the configured limit of {limit}%"),
                "Reduce memory usage (e.g. delete points or drop collections)",
                "max_resident_memory_percent",
            ),
            Resource::Disk => (
                format!("Disk usage is at {used}% of total capacity, exceeding the configured limit of {limit}%"),
                "Reduce disk usage (e.g. delete points or drop collections)",
                "max_disk_usage_percent",
            ),
        };
        format!("{condition}. Help: {remedy}, or raise `{parameter}` in the global quota config.")
    }
}

/// `used` as a whole percentage of `total`, rounded down, at most 100.
fn percent_of(used: u64, total: u64) -> Option<u8> {
    if total == 0 {
        return None;
    }
    Some((u128::from(used) * 100 / u128::from(total)).min(100) as u8)
}

/// The memory available to this process: the cgroup limit where one
/// applies, else the machine's.
fn total_memory() -> u64 {
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok());
    let machine = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024);
    match cgroup {
        Some(limit) if limit < machine => limit,
        _ => machine,
    }
}

/// Used and total bytes of the filesystem holding `path`.
fn disk_usage(path: &Path) -> Option<(u64, u64)> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes()).ok()?;
        let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
        // SAFETY: `c` is a valid NUL-terminated path and `st` a writable statvfs
        if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
            return None;
        }
        let block = st.f_frsize as u64;
        let total = st.f_blocks as u64 * block;
        let available = st.f_bavail as u64 * block;
        Some((total.saturating_sub(available), total))
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

#[derive(Debug, Default)]
struct State {
    config: QuotaConfig,
    /// Tripped resources stay refused until they fall below the margin.
    memory_tripped: bool,
    disk_tripped: bool,
}

/// The quota in force and the resources it measures.
#[derive(Debug)]
pub struct Quotas {
    storage: PathBuf,
    state: Mutex<State>,
}

impl Quotas {
    /// Reads the persisted quota (or starts from `initial`, the
    /// configuration file's `storage.quotas`).
    pub fn load(storage: &Path, initial: QuotaConfig) -> anyhow::Result<Self> {
        let config = match std::fs::read(storage.join(QUOTA_FILE)) {
            Ok(bytes) => serde_json::from_slice(&bytes)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => initial,
            Err(e) => return Err(e.into()),
        };
        config
            .validate()
            .map_err(|e| anyhow::anyhow!("invalid quota config: {e}"))?;
        Ok(Quotas {
            storage: storage.to_path_buf(),
            state: Mutex::new(State {
                config,
                ..State::default()
            }),
        })
    }

    /// Persists `config` (atomically) and enforces it; tripped limits clear.
    pub fn set(&self, config: QuotaConfig) -> std::io::Result<()> {
        let bytes = serde_json::to_vec(&config).map_err(std::io::Error::other)?;
        segment::segment::write_atomically(&self.storage.join(QUOTA_FILE), &bytes)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        *self.state.lock() = State {
            config,
            ..State::default()
        };
        Ok(())
    }

    /// This node's utilization.
    pub fn usage(&self) -> QuotaUsage {
        QuotaUsage {
            resident_memory_percent: percent_of(
                crate::telemetry::system::memory().resident,
                total_memory(),
            ),
            disk_usage_percent: disk_usage(&self.storage).and_then(|(u, t)| percent_of(u, t)),
        }
    }

    /// `GET /quotas`.
    pub fn status(&self) -> QuotaStatus {
        QuotaStatus {
            config: self.state.lock().config,
            usage: self.usage(),
        }
    }

    /// Refuses an update that consumes memory or disk while a limit is
    /// reached (507, Qdrant's text).
    pub fn check_update(&self) -> Result<(), ApiError> {
        let config = self.state.lock().config;
        if !config.enabled {
            return Ok(());
        }
        let usage = self.usage();
        let margin = config.release_margin();
        let limits = [
            (
                Resource::Memory,
                config.max_resident_memory_percent,
                usage.resident_memory_percent,
            ),
            (
                Resource::Disk,
                config.max_disk_usage_percent,
                usage.disk_usage_percent,
            ),
        ];
        let mut state = self.state.lock();
        for (resource, limit, used) in limits {
            let (Some(limit), Some(used)) = (limit, used) else {
                continue;
            };
            let tripped = match resource {
                Resource::Memory => &mut state.memory_tripped,
                Resource::Disk => &mut state.disk_tripped,
            };
            if used >= limit {
                *tripped = true;
            } else if used < limit.saturating_sub(margin) {
                *tripped = false;
            }
            if *tripped {
                let text = if used >= limit {
                    resource.refusal(used, limit)
                } else {
                    let what = match resource {
                        Resource::Memory => "Resident memory usage",
                        Resource::Disk => "Disk usage",
                    };
                    let total = match resource {
                        Resource::Memory => "total memory",
                        Resource::Disk => "total capacity",
                    };
                    format!(
                        "{what} is at {used}% of {total}. It reached the configured limit of {limit}% \
                         and has to fall below {}% before this node takes writes again.",
                        limit.saturating_sub(margin)
                    )
                };
                return Err(ApiError::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    format!("Insufficient storage: {text}"),
                ));
            }
        }
        Ok(())
    }

    /// The `quota` object of telemetry: the configuration and, per resource
    /// it enforces, whether it is refusing updates now.
    pub fn telemetry(&self) -> Value {
        let state = self.state.lock();
        let verdict = |limit: Option<u8>, tripped: bool| {
            if state.config.enabled && limit.is_some() {
                json!(tripped)
            } else {
                Value::Null
            }
        };
        json!({
            "config": state.config,
            "exceeded": {
                "resident_memory": verdict(state.config.max_resident_memory_percent, state.memory_tripped),
                "disk_usage": verdict(state.config.max_disk_usage_percent, state.disk_tripped),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_refuses_updates_until_the_quota_changes() {
        let dir = tempfile::tempdir().unwrap();
        let quotas = Quotas::load(dir.path(), QuotaConfig::default()).unwrap();
        quotas.check_update().unwrap();
        // no real filesystem is less than 1% full
        let strict = QuotaConfig {
            enabled: true,
            max_disk_usage_percent: Some(1),
            ..Default::default()
        };
        quotas.set(strict).unwrap();
        let refused = quotas.check_update().unwrap_err();
        assert_eq!(refused.status, StatusCode::INSUFFICIENT_STORAGE);
        assert!(refused
            .message
            .starts_with("Insufficient storage: Disk usage is at "));
        assert!(refused.message.ends_with(
            "exceeding the configured limit of 1%. Help: Reduce disk usage (e.g. delete points or drop collections), or raise `max_disk_usage_percent` in the global quota config."
        ));
        assert_eq!(quotas.telemetry()["exceeded"]["disk_usage"], json!(true));
        assert_eq!(
            quotas.telemetry()["exceeded"]["resident_memory"],
            Value::Null
        );
        // persisted: a restart enforces it, whatever the settings say
        let reloaded = Quotas::load(dir.path(), QuotaConfig::default()).unwrap();
        assert_eq!(reloaded.status().config, strict);
        reloaded
            .set(QuotaConfig {
                enabled: false,
                ..strict
            })
            .unwrap();
        reloaded.check_update().unwrap();
    }

    #[test]
    fn the_golden_quota_file_opens() {
        let dir = tempfile::tempdir().unwrap();
        let golden = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/quota-v1.json");
        std::fs::copy(golden, dir.path().join(QUOTA_FILE)).unwrap();
        let quotas = Quotas::load(dir.path(), QuotaConfig::default()).unwrap();
        assert_eq!(
            quotas.status().config,
            QuotaConfig {
                enabled: true,
                max_resident_memory_percent: Some(85),
                max_disk_usage_percent: Some(90),
                release_margin_percent: Some(5),
            }
        );
    }

    #[test]
    fn percentages_round_down() {
        assert_eq!(percent_of(999, 1000), Some(99));
        assert_eq!(percent_of(5, 0), None);
        assert_eq!(percent_of(200, 100), Some(100));
    }
}
