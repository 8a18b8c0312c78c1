//! Timestamps as Qdrant's telemetry writes them.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use api::rest::optimizations::rfc3339;

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn rfc3339_millis(t: SystemTime) -> String {
    let micros = rfc3339(t);
    // "….ffffffZ": keep three of the six fraction digits
    format!("{}Z", &micros[..micros.len() - 4])
}

/// Rounded to 10 ms, with milliseconds unless the fraction is zero (how
/// Qdrant writes `last_responded`).
pub fn rfc3339_rounded(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let centis = (since.as_micros() + 5_000) / 10_000;
    let rounded = UNIX_EPOCH + Duration::from_micros((centis * 10_000) as u64);
    let text = rfc3339_millis(rounded);
    match text.strip_suffix(".000Z") {
        Some(whole) => format!("{whole}Z"),
        None => text,
    }
}

/// `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
pub fn rfc3339_nanos(t: SystemTime) -> String {
    let micros = rfc3339(t);
    let nanos = t
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .subsec_nanos();
    format!("{}{:09}Z", &micros[..micros.len() - 7], nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_qdrant() {
        let t = UNIX_EPOCH + Duration::from_nanos(1_764_484_768_104_999_123);
        assert_eq!(rfc3339_millis(t), "2025-11-30T06:39:28.104Z");
        assert_eq!(rfc3339_rounded(t), "2025-11-30T06:39:28.100Z");
        assert_eq!(rfc3339_nanos(t), "2025-11-30T06:39:28.104999123Z");
        let whole = UNIX_EPOCH + Duration::from_millis(1_764_484_768_996);
        assert_eq!(rfc3339_rounded(whole), "2025-11-30T06:39:29Z");
    }
}
