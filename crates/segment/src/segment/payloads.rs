//! The payloads of a segment's slots, each kept as its JSON bytes: a few
//! dozen bytes per point where a parsed map costs hundreds (a heap string
//! per key and per value, a hash table per point). A read parses the
//! payload it needs; filters that payload indexes decide read none.

use crate::Payload;

/// Serialized payloads by slot; an empty payload takes no allocation.
#[derive(Debug, Default, Clone)]
pub(crate) struct Payloads {
    slots: Vec<Option<Box<[u8]>>>,
}

impl Payloads {
    /// `n` slots with empty payloads.
    pub(crate) fn with_slots(n: usize) -> Self {
        Payloads {
            slots: vec![None; n],
        }
    }

    /// Appends a slot with an empty payload.
    pub(crate) fn push_empty(&mut self) {
        self.slots.push(None);
    }

    /// The payload of slot `at` (empty for an empty or missing slot).
    pub(crate) fn get(&self, at: usize) -> Payload {
        match self.slots.get(at) {
            // the bytes were written by `set` from a map: they parse
            Some(Some(bytes)) => serde_json::from_slice(bytes).unwrap_or_default(),
            _ => Payload::new(),
        }
    }

    /// Replaces the payload of slot `at`.
    pub(crate) fn set(&mut self, at: usize, payload: &Payload) {
        self.slots[at] = (!payload.is_empty()).then(|| {
            serde_json::to_vec(payload)
                .expect("a JSON map serializes")
                .into_boxed_slice()
        });
    }

    /// Empties the payload of slot `at`.
    pub(crate) fn clear(&mut self, at: usize) {
        self.slots[at] = None;
    }

    /// The JSON bytes of slot `at` (`{}` when empty).
    pub(crate) fn raw(&self, at: usize) -> &[u8] {
        match self.slots.get(at) {
            Some(Some(bytes)) => bytes,
            _ => b"{}",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_keeps_order_numbers_and_nesting() {
        let payload: Payload = serde_json::from_str(
            r#"{"z": 1, "a": [1.5, -2, 18446744073709551615], "n": {"k": null, "s": "é"}}"#,
        )
        .expect("json");
        let mut store = Payloads::with_slots(2);
        store.set(1, &payload);
        let back = store.get(1);
        assert_eq!(back, payload);
        assert_eq!(back.keys().collect::<Vec<_>>(), ["z", "a", "n"]);
        assert_eq!(store.get(0), Payload::new());
        assert_eq!(store.raw(0), b"{}");
        store.set(1, &Payload::new());
        assert!(store.slots[1].is_none());
        store.push_empty();
        store.clear(0);
        assert_eq!(store.get(2), Payload::new());
        assert_eq!(store.get(9), Payload::new());
    }
}
