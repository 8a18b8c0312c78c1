//! External point identifiers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// An external point id: an unsigned integer or a UUID.
///
/// Ordering puts every numeric id before every UUID, numbers by value and
/// UUIDs by their 128-bit value; scroll pages follow this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum PointId {
    /// A numeric id.
    Num(u64),
    /// A UUID id, always rendered in canonical hyphenated lowercase form.
    Uuid(Uuid),
}

impl PointId {
    /// The slice of `total` disjoint slices of the id space this id falls
    /// into: SipHash-2-4 with a zero key over the id's canonical bytes (8
    /// little-endian bytes of a number, the 16 RFC 4122 bytes of a UUID),
    /// modulo `total` (Qdrant's `slice` condition).
    pub fn slice(&self, total: u32) -> u32 {
        use std::hash::Hasher;
        let mut hasher = siphasher::sip::SipHasher24::new();
        match self {
            PointId::Num(n) => hasher.write(&n.to_le_bytes()),
            PointId::Uuid(u) => hasher.write(u.as_bytes()),
        }
        (hasher.finish() % u64::from(total.max(1))) as u32
    }
}

impl fmt::Display for PointId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PointId::Num(n) => write!(f, "{n}"),
            PointId::Uuid(u) => write!(f, "{u}"),
        }
    }
}

impl FromStr for PointId {
    type Err = String;

    /// Parses a decimal number or any textual UUID form.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Ok(n) = s.parse::<u64>() {
            return Ok(PointId::Num(n));
        }
        Uuid::parse_str(s)
            .map(PointId::Uuid)
            .map_err(|_| format!("Unable to parse UUID: {s}"))
    }
}

impl<'de> Deserialize<'de> for PointId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = PointId;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an unsigned integer or a UUID")
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<PointId, E> {
                Ok(PointId::Num(v))
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<PointId, E> {
                u64::try_from(v).map(PointId::Num).map_err(|_| invalid(v))
            }

            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<PointId, E> {
                Err(invalid(v))
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<PointId, E> {
                Uuid::parse_str(v)
                    .map(PointId::Uuid)
                    .map_err(|_| invalid(v))
            }
        }
        d.deserialize_any(Visitor)
    }
}

fn invalid<E: serde::de::Error>(v: impl fmt::Display) -> E {
    E::custom(format!(
        "value {v} is not a valid point ID, valid values are either an unsigned integer or a UUID"
    ))
}

impl From<u64> for PointId {
    fn from(n: u64) -> Self {
        PointId::Num(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slices_are_qdrants() {
        // slice 0 of 4 over ids 0..40, as the reference server answers it
        let zero: Vec<u64> = (0..40).filter(|&n| PointId::Num(n).slice(4) == 0).collect();
        assert_eq!(zero, [4, 5, 7, 10, 14, 29, 30]);
        let u = |s: &str| PointId::Uuid(Uuid::parse_str(s).unwrap());
        assert_eq!(u("00000000-0000-0000-0000-00000000abf5").slice(4), 0);
        assert_eq!(u("00000000-0000-0000-0000-000000003039").slice(3), 0);
        assert_eq!(PointId::Num(7).slice(1), 0);
    }

    #[test]
    fn numbers_sort_before_uuids() {
        let u = PointId::Uuid(Uuid::nil());
        assert!(PointId::Num(u64::MAX) < u);
        assert!(PointId::Num(1) < PointId::Num(2));
    }

    #[test]
    fn parses_any_uuid_form() {
        let canonical = "5c56c793-69f3-4fbf-87e6-c4bf54c28c26";
        let simple = "5c56c79369f34fbf87e6c4bf54c28c26";
        let urn = "urn:uuid:5C56C793-69F3-4FBF-87E6-C4BF54C28C26";
        for text in [canonical, simple, urn] {
            let id: PointId = text.parse().unwrap();
            assert_eq!(id.to_string(), canonical);
        }
        assert_eq!("42".parse::<PointId>().unwrap(), PointId::Num(42));
        assert!("nope".parse::<PointId>().is_err());
    }

    #[test]
    fn json_ids() {
        let ids: Vec<PointId> =
            serde_json::from_str(r#"[1, "5C56C79369F34FBF87E6C4BF54C28C26"]"#).unwrap();
        assert_eq!(
            serde_json::to_string(&ids).unwrap(),
            r#"[1,"5c56c793-69f3-4fbf-87e6-c4bf54c28c26"]"#
        );
        for bad in ["-1", "1.5", r#""abc""#, "true"] {
            let err = serde_json::from_str::<PointId>(bad)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("is not a valid point ID")
                    || err.contains("an unsigned integer or a UUID"),
                "{bad}: {err}"
            );
        }
    }
}
