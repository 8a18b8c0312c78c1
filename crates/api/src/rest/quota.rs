//! `GET /quotas` and `PUT /quotas`: the node's limits on resident memory and
//! disk usage, past which updates that consume them are refused.

use collection::{CollectionError, Result};
use serde::{Deserialize, Serialize};

/// The quota configuration (also the file it is persisted in).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaConfig {
    /// Whether the limits are enforced.
    #[serde(default)]
    pub enabled: bool,
    /// Refuse memory-consuming updates once resident memory reaches this
    /// percentage of the memory available (1–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_resident_memory_percent: Option<u8>,
    /// Refuse disk-consuming updates once the storage filesystem is this
    /// full (1–100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_disk_usage_percent: Option<u8>,
    /// Percentage points below a limit a tripped resource must fall before
    /// updates are taken again (0–100; 5 when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_margin_percent: Option<u8>,
}

impl QuotaConfig {
    /// Checks the ranges Qdrant checks, with its texts.
    pub fn validate(&self) -> Result<()> {
        let mut errors = Vec::new();
        let mut check = |field: &str, value: Option<u8>, min: u8| {
            if let Some(v) = value.filter(|v| *v < min || *v > 100) {
                errors.push(if min == 0 {
                    format!("{field}: value {v} invalid, must be 100 or smaller")
                } else {
                    format!("{field}: value {v} invalid, must be from {min} to 100")
                });
            }
        };
        check("max_disk_usage_percent", self.max_disk_usage_percent, 1);
        check(
            "max_resident_memory_percent",
            self.max_resident_memory_percent,
            1,
        );
        check("release_margin_percent", self.release_margin_percent, 0);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(CollectionError::Validation(errors.join(", ")))
        }
    }

    /// The release margin in force.
    pub fn release_margin(&self) -> u8 {
        self.release_margin_percent.unwrap_or(5)
    }
}

/// Utilization of this node, percent (`None` where it cannot be measured).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct QuotaUsage {
    /// Resident memory of this process.
    pub resident_memory_percent: Option<u8>,
    /// Used space of the storage filesystem.
    pub disk_usage_percent: Option<u8>,
}

/// `GET /quotas` result.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct QuotaStatus {
    /// The configuration in force.
    pub config: QuotaConfig,
    /// This node's utilization.
    pub usage: QuotaUsage,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_checked_with_qdrants_texts() {
        let zero = QuotaConfig {
            enabled: true,
            max_resident_memory_percent: Some(0),
            ..Default::default()
        };
        assert_eq!(
            zero.validate().unwrap_err().to_string(),
            CollectionError::Validation(
                "max_resident_memory_percent: value 0 invalid, must be from 1 to 100".into()
            )
            .to_string()
        );
        let fine = QuotaConfig {
            enabled: true,
            max_disk_usage_percent: Some(100),
            release_margin_percent: Some(0),
            ..Default::default()
        };
        assert!(fine.validate().is_ok());
        let json = serde_json::to_value(QuotaConfig::default()).unwrap();
        assert_eq!(json, serde_json::json!({"enabled": false}));
    }
}
