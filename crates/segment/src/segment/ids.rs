//! The id tracker: external point ids to internal offsets and back, and
//! which offsets hold a live point.
//!
//! Kept compact because it costs per point: numeric ids and UUIDs have
//! their own ordered maps (8- and 16-byte keys instead of a 24-byte enum),
//! each offset stores its id in 8 bytes (a UUID's index into a side list),
//! and liveness is one bit per offset, cheap enough to test inside graph
//! walks.

use std::collections::BTreeMap;
use std::ops::Bound;

use uuid::Uuid;

use crate::PointId;

/// A growable set of bits.
#[derive(Debug, Clone, Default)]
pub(crate) struct Bits {
    words: Vec<u64>,
}

impl Bits {
    /// Whether bit `i` is set (false past the end).
    #[inline]
    pub fn get(&self, i: usize) -> bool {
        self.words
            .get(i >> 6)
            .is_some_and(|w| w & (1 << (i & 63)) != 0)
    }

    /// Sets bit `i` to `on`, growing as needed.
    pub fn set(&mut self, i: usize, on: bool) {
        let w = i >> 6;
        if w >= self.words.len() {
            if !on {
                return;
            }
            self.words.resize(w + 1, 0);
        }
        match on {
            true => self.words[w] |= 1 << (i & 63),
            false => self.words[w] &= !(1 << (i & 63)),
        }
    }

    /// The set bits, ascending.
    pub fn ones(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(w, &word)| {
            let mut rest = word;
            std::iter::from_fn(move || {
                (rest != 0).then(|| {
                    let bit = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    w * 64 + bit
                })
            })
        })
    }
}

/// External ids of the points in a segment's slots.
#[derive(Debug, Default)]
pub(crate) struct IdTracker {
    nums: BTreeMap<u64, u32>,
    uuids: BTreeMap<Uuid, u32>,
    /// Per slot: the numeric id, or for a UUID its index in `uuid_list`.
    slot_ids: Vec<u64>,
    /// Slots whose `slot_ids` entry indexes `uuid_list`.
    is_uuid: Bits,
    uuid_list: Vec<Uuid>,
    /// Slots holding a live point.
    live: Bits,
}

impl IdTracker {
    /// `slots` empty slots (a segment being loaded).
    pub fn with_slots(slots: usize) -> Self {
        IdTracker {
            slot_ids: vec![0; slots],
            ..IdTracker::default()
        }
    }

    /// Number of live points.
    pub fn len(&self) -> usize {
        self.nums.len() + self.uuids.len()
    }

    /// Number of slots, live or not.
    pub fn slots(&self) -> usize {
        self.slot_ids.len()
    }

    /// The offset of a live point.
    pub fn get(&self, id: PointId) -> Option<u32> {
        match id {
            PointId::Num(n) => self.nums.get(&n).copied(),
            PointId::Uuid(u) => self.uuids.get(&u).copied(),
        }
    }

    /// Whether `offset` holds a live point.
    #[inline]
    pub fn is_live(&self, offset: u32) -> bool {
        self.live.get(offset as usize)
    }

    /// The id of the live point at `offset`.
    #[inline]
    pub fn id_of(&self, offset: u32) -> Option<PointId> {
        let at = offset as usize;
        if !self.live.get(at) {
            return None;
        }
        let raw = self.slot_ids[at];
        Some(match self.is_uuid.get(at) {
            true => PointId::Uuid(self.uuid_list[raw as usize]),
            false => PointId::Num(raw),
        })
    }

    /// Adds a new point in a new slot and returns the slot.
    pub fn push(&mut self, id: PointId) -> u32 {
        let offset = self.slot_ids.len() as u32;
        self.slot_ids.push(0);
        let placed = self.place(offset, id);
        debug_assert!(placed, "a fresh slot");
        offset
    }

    /// Puts `id` into the empty slot `offset` (a segment being loaded);
    /// false when the slot is taken, past the end, or the id already live.
    pub fn place(&mut self, offset: u32, id: PointId) -> bool {
        let at = offset as usize;
        if at >= self.slot_ids.len() || self.live.get(at) || self.get(id).is_some() {
            return false;
        }
        match id {
            PointId::Num(n) => {
                self.nums.insert(n, offset);
                self.slot_ids[at] = n;
                self.is_uuid.set(at, false);
            }
            PointId::Uuid(u) => {
                self.uuids.insert(u, offset);
                self.slot_ids[at] = self.uuid_list.len() as u64;
                self.uuid_list.push(u);
                self.is_uuid.set(at, true);
            }
        }
        self.live.set(at, true);
        true
    }

    /// Repacks the maps after a load (filled in id order, their nodes are
    /// half empty; rebuilt from sorted entries they are full).
    pub fn compact(&mut self) {
        self.nums = std::mem::take(&mut self.nums).into_iter().collect();
        self.uuids = std::mem::take(&mut self.uuids).into_iter().collect();
    }

    /// Removes a live point; returns the slot it held.
    pub fn remove(&mut self, id: PointId) -> Option<u32> {
        let offset = match id {
            PointId::Num(n) => self.nums.remove(&n)?,
            PointId::Uuid(u) => self.uuids.remove(&u)?,
        };
        self.live.set(offset as usize, false);
        Some(offset)
    }

    /// Live points in id order (numbers, then UUIDs), from `from` on.
    pub fn iter_from(&self, from: Option<PointId>) -> impl Iterator<Item = (PointId, u32)> + '_ {
        let nums = match from {
            None => Some(Bound::Unbounded),
            Some(PointId::Num(n)) => Some(Bound::Included(n)),
            // every number comes before a UUID
            Some(PointId::Uuid(_)) => None,
        }
        .map(|lower| self.nums.range((lower, Bound::Unbounded)));
        let uuids = match from {
            Some(PointId::Uuid(u)) => Bound::Included(u),
            _ => Bound::Unbounded,
        };
        nums.into_iter()
            .flatten()
            .map(|(&n, &o)| (PointId::Num(n), o))
            .chain(
                self.uuids
                    .range((uuids, Bound::Unbounded))
                    .map(|(&u, &o)| (PointId::Uuid(u), o)),
            )
    }

    /// Offsets of the live points, ascending.
    pub fn live_offsets(&self) -> impl Iterator<Item = u32> + '_ {
        self.live.ones().map(|o| o as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uuid(n: u128) -> PointId {
        PointId::Uuid(Uuid::from_u128(n))
    }

    #[test]
    fn ids_round_trip_in_order() {
        let mut ids = IdTracker::default();
        let order = [
            uuid(7),
            PointId::Num(9),
            uuid(3),
            PointId::Num(u64::MAX),
            PointId::Num(0),
        ];
        let offsets: Vec<u32> = order.iter().map(|&id| ids.push(id)).collect();
        assert_eq!(offsets, [0, 1, 2, 3, 4]);
        for (&id, &o) in order.iter().zip(&offsets) {
            assert_eq!(ids.get(id), Some(o));
            assert_eq!(ids.id_of(o), Some(id));
            assert!(ids.is_live(o));
        }
        let all: Vec<PointId> = ids.iter_from(None).map(|p| p.0).collect();
        let mut sorted = order.to_vec();
        sorted.sort();
        assert_eq!(all, sorted);
        let from_uuid: Vec<PointId> = ids.iter_from(Some(uuid(4))).map(|p| p.0).collect();
        assert_eq!(from_uuid, [uuid(7)]);
        let from_num: Vec<PointId> = ids.iter_from(Some(PointId::Num(9))).map(|p| p.0).collect();
        assert_eq!(
            from_num,
            [PointId::Num(9), PointId::Num(u64::MAX), uuid(3), uuid(7)]
        );
    }

    #[test]
    fn removed_ids_free_nothing_but_their_liveness() {
        let mut ids = IdTracker::default();
        let a = ids.push(uuid(1));
        let b = ids.push(PointId::Num(1));
        assert_eq!(ids.remove(uuid(1)), Some(a));
        assert_eq!(ids.remove(uuid(1)), None);
        assert!(!ids.is_live(a) && ids.id_of(a).is_none() && ids.get(uuid(1)).is_none());
        assert_eq!((ids.len(), ids.slots()), (1, 2));
        // the same id again takes a new slot
        assert_eq!(ids.push(uuid(1)), 2);
        assert_eq!(ids.id_of(2), Some(uuid(1)));
        assert_eq!(ids.live_offsets().collect::<Vec<_>>(), [b, 2]);
    }

    #[test]
    fn placing_rejects_taken_slots_and_live_ids() {
        let mut ids = IdTracker::with_slots(3);
        assert!(ids.place(2, PointId::Num(5)));
        assert!(!ids.place(2, PointId::Num(6)), "slot taken");
        assert!(!ids.place(0, PointId::Num(5)), "id live elsewhere");
        assert!(!ids.place(3, PointId::Num(7)), "past the slots");
        assert!(ids.place(0, uuid(5)));
        ids.compact();
        assert_eq!(ids.get(PointId::Num(5)), Some(2));
        assert_eq!(ids.get(uuid(5)), Some(0));
        assert!(!ids.is_live(1));
    }

    #[test]
    fn bits_set_clear_and_list() {
        let mut bits = Bits::default();
        bits.set(130, false);
        assert!(!bits.get(130));
        for i in [0, 63, 64, 130, 1000] {
            bits.set(i, true);
        }
        bits.set(64, false);
        assert_eq!(bits.ones().collect::<Vec<_>>(), [0, 63, 130, 1000]);
        assert!(bits.get(1000) && !bits.get(64) && !bits.get(5000));
    }
}
