//! Reads that use the payload indexes: filtered iteration, counts, facets
//! and ordering by a payload field.

use roaring::RoaringBitmap;

use super::Segment;
use crate::filter::{Condition, Filter};
use crate::payload_index::field_index::{key_float, IndexKey};
use crate::payload_index::schema::PayloadSchemaType;
use crate::payload_index::Cardinality;
use crate::PointId;

/// A value facets count.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum FacetValue {
    /// A boolean.
    Bool(bool),
    /// An integer.
    Integer(i64),
    /// A string (UUIDs in canonical form).
    Keyword(String),
}

/// A payload value used for ordering.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OrderValue {
    /// Integers and datetimes (UTC microseconds).
    Int(i64),
    /// Floats.
    Float(f64),
}

impl OrderValue {
    /// The value as a float, for comparisons.
    pub fn as_f64(self) -> f64 {
        match self {
            OrderValue::Int(i) => i as f64,
            OrderValue::Float(f) => f,
        }
    }
}

/// Why a facet or ordering cannot be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexRequired {
    /// No suitable index for facets on the key.
    Facet(String),
    /// No range index for ordering by the key.
    OrderBy(String),
}

impl Segment {
    /// Below this share of all points, index candidates are enumerated
    /// directly instead of scanning in id order.
    const CANDIDATE_SHARE: u64 = 50;

    /// A superset of the offsets matching `filter`, when indexes narrow it.
    pub fn candidates_for(&self, filter: &Filter) -> Option<RoaringBitmap> {
        self.candidates(Some(filter))
    }

    /// A superset of the offsets matching `filter`, from payload indexes
    /// and from `has_id` conditions of its `must` clause.
    fn candidates(&self, filter: Option<&Filter>) -> Option<RoaringBitmap> {
        let filter = filter?;
        let mut acc = self.payload_index().candidates(filter);
        for c in &filter.must {
            if let Condition::HasId(ids) = c {
                let offsets: RoaringBitmap = ids.iter().filter_map(|id| self.offset(*id)).collect();
                acc = Some(match acc {
                    None => offsets,
                    Some(a) => a & offsets,
                });
            }
        }
        acc
    }

    /// Live points matching `filter`, in id order, from `from` (inclusive).
    pub fn filtered_from<'a>(
        &'a self,
        filter: Option<&'a Filter>,
        from: Option<PointId>,
    ) -> Box<dyn Iterator<Item = (PointId, u32)> + 'a> {
        let Some(filter) = filter else {
            return Box::new(self.iter_from(from));
        };
        // a selective filter enumerates its candidates; a broad one scans in
        // id order, where the first page fills quickly
        let total = self.points_count() as u64;
        if self.estimate(Some(filter)).max * Self::CANDIDATE_SHARE > total {
            return Box::new(
                self.iter_from(from)
                    .filter(move |(_, o)| self.matches(*o, filter)),
            );
        }
        match self.candidates(Some(filter)) {
            Some(bm) if bm.len() * Self::CANDIDATE_SHARE < self.points_count() as u64 + 1 => {
                let mut picked: Vec<(PointId, u32)> = bm
                    .iter()
                    .filter_map(|o| self.ids.id_of(o).map(|id| (id, o)))
                    .filter(|(id, _)| from.is_none_or(|f| *id >= f))
                    .collect();
                picked.sort_unstable_by_key(|p| p.0);
                Box::new(
                    picked
                        .into_iter()
                        .filter(move |(_, o)| self.matches(*o, filter)),
                )
            }
            Some(bm) => Box::new(
                self.iter_from(from)
                    .filter(move |(_, o)| bm.contains(*o) && self.matches(*o, filter)),
            ),
            None => Box::new(
                self.iter_from(from)
                    .filter(move |(_, o)| self.matches(*o, filter)),
            ),
        }
    }

    /// Exact number of live points matching `filter`.
    pub fn count_matching(&self, filter: Option<&Filter>) -> usize {
        let Some(f) = filter else {
            return self.points_count();
        };
        match self.candidates(Some(f)) {
            Some(bm) => bm
                .iter()
                .filter(|&o| self.ids.is_live(o) && self.matches(o, f))
                .count(),
            None => self
                .iter_from(None)
                .filter(|(_, o)| self.matches(*o, f))
                .count(),
        }
    }

    /// Estimated number of points matching `filter`.
    pub fn estimate(&self, filter: Option<&Filter>) -> Cardinality {
        let total = self.points_count() as u64;
        match filter {
            None => Cardinality {
                min: total,
                exp: total,
                max: total,
            },
            Some(f) => {
                let mut est = self.payload_index().estimate(f, total);
                for c in &f.must {
                    if let Condition::HasId(ids) = c {
                        let n = ids.len() as u64;
                        est = Cardinality {
                            min: est.min.min(n),
                            exp: est.exp.min(n),
                            max: est.max.min(n),
                        };
                    }
                }
                est
            }
        }
    }

    fn matching_bitmap(&self, filter: Option<&Filter>) -> Option<RoaringBitmap> {
        filter.map(|f| self.filtered_from(Some(f), None).map(|(_, o)| o).collect())
    }

    /// Counts of each value of an indexed keyword / integer / bool / uuid
    /// field among the points matching `filter`: by count descending, then
    /// value ascending, at most `limit`.
    pub fn facet(
        &self,
        key: &str,
        filter: Option<&Filter>,
        limit: usize,
    ) -> Result<Vec<(FacetValue, u64)>, IndexRequired> {
        let index = self
            .payload_index()
            .get(key)
            .filter(|i| {
                matches!(
                    i.schema().kind(),
                    PayloadSchemaType::Keyword
                        | PayloadSchemaType::Integer
                        | PayloadSchemaType::Bool
                        | PayloadSchemaType::Uuid
                ) && (i.schema().kind() != PayloadSchemaType::Integer
                    || i.schema().integer_lookup())
            })
            .ok_or_else(|| IndexRequired::Facet(key.to_string()))?;
        let values = index
            .value_bitmaps()
            .ok_or_else(|| IndexRequired::Facet(key.to_string()))?;
        let matching = self.matching_bitmap(filter);
        let mut hits: Vec<(FacetValue, u64)> = values
            .iter()
            .filter_map(|(k, bm)| {
                let count = matching
                    .as_ref()
                    .map_or(bm.len(), |m| bm.intersection_len(m));
                let value = match k {
                    IndexKey::Bool(b) => FacetValue::Bool(*b),
                    IndexKey::Int(i) => FacetValue::Integer(*i),
                    IndexKey::Str(s) => FacetValue::Keyword(s.clone()),
                    IndexKey::Uuid(u) => FacetValue::Keyword(uuid::Uuid::from_u128(*u).to_string()),
                    IndexKey::Float(_) => return None,
                };
                (count > 0).then_some((value, count))
            })
            .collect();
        hits.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        hits.truncate(limit);
        Ok(hits)
    }

    /// Points matching `filter` ordered by the values of a range-indexed
    /// field (a point appears once per distinct value), starting at
    /// `start_from`; at most `limit`.
    pub fn order_by(
        &self,
        key: &str,
        descending: bool,
        start_from: Option<f64>,
        filter: Option<&Filter>,
        limit: usize,
    ) -> Result<Vec<(OrderValue, u32)>, IndexRequired> {
        let index = self
            .payload_index()
            .get(key)
            .filter(|i| i.schema().supports_range())
            .ok_or_else(|| IndexRequired::OrderBy(key.to_string()))?;
        let values = index
            .value_bitmaps()
            .ok_or_else(|| IndexRequired::OrderBy(key.to_string()))?;
        let mut out = Vec::new();
        let entries: Box<dyn Iterator<Item = (&IndexKey, &RoaringBitmap)>> = if descending {
            Box::new(values.iter().rev())
        } else {
            Box::new(values.iter())
        };
        for (k, bm) in entries {
            let value = match k {
                IndexKey::Int(i) => OrderValue::Int(*i),
                IndexKey::Float(f) => OrderValue::Float(key_float(*f)),
                _ => continue,
            };
            if let Some(start) = start_from {
                let v = value.as_f64();
                if (!descending && v < start) || (descending && v > start) {
                    continue;
                }
            }
            for offset in bm.iter() {
                if filter.is_none_or(|f| self.matches(offset, f)) {
                    out.push((value, offset));
                    if out.len() >= limit {
                        return Ok(out);
                    }
                }
            }
        }
        Ok(out)
    }

    /// The payload of a live offset.
    pub fn payload_of(&self, offset: u32) -> Option<crate::Payload> {
        self.id_of(offset)
            .map(|_| self.payloads.get(offset as usize))
    }

    /// The external id of a live offset.
    pub fn id_of(&self, offset: u32) -> Option<PointId> {
        self.ids.id_of(offset)
    }
}
