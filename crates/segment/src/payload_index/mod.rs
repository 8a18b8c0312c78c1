//! Payload indexes of a segment and the planner that uses them.

pub mod field_index;
pub mod schema;
pub mod text;

use std::borrow::Cow;
use std::collections::BTreeMap;

use roaring::RoaringBitmap;

use crate::filter::{Condition, FieldCheck, FieldCondition, FieldIndexes, Filter};
use crate::json_path::JsonPath;
use crate::Payload;
use field_index::FieldIndex;
use schema::PayloadFieldSchema;
use text::Tokenizer;

/// Estimated number of points matching a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cardinality {
    /// At least this many.
    pub min: u64,
    /// Probably this many.
    pub exp: u64,
    /// At most this many.
    pub max: u64,
}

impl Cardinality {
    fn exact(n: u64) -> Self {
        Cardinality {
            min: n,
            exp: n,
            max: n,
        }
    }

    fn unknown(total: u64) -> Self {
        Cardinality {
            min: 0,
            exp: total / 2,
            max: total,
        }
    }
}

/// Every payload index of a segment, by the key path it indexes.
#[derive(Debug, Default)]
pub struct PayloadIndex {
    fields: BTreeMap<String, (JsonPath, FieldIndex)>,
}

impl FieldIndexes for PayloadIndex {
    fn tokenizer(&self, key: &JsonPath) -> Option<&Tokenizer> {
        self.fields
            .get(&key.to_string())
            .and_then(|(_, index)| index.tokenizer())
    }

    fn indexed(&self, key: &JsonPath) -> bool {
        self.fields.contains_key(&key.to_string())
    }
}

impl PayloadIndex {
    /// Index definitions by field name.
    pub fn schema(&self) -> BTreeMap<String, PayloadFieldSchema> {
        self.fields
            .iter()
            .map(|(k, (_, i))| (k.clone(), i.schema().clone()))
            .collect()
    }

    /// The index on `field`.
    pub fn get(&self, field: &str) -> Option<&FieldIndex> {
        self.fields.get(field).map(|(_, i)| i)
    }

    /// Creates (or replaces) the index on `field` and fills it from `points`.
    pub fn create<P: std::borrow::Borrow<Payload>>(
        &mut self,
        field: &str,
        schema: PayloadFieldSchema,
        points: impl Iterator<Item = (u32, P)>,
    ) -> Result<(), String> {
        let path = JsonPath::parse(field)?;
        let mut index = FieldIndex::new(schema);
        for (offset, payload) in points {
            index.add(offset, &path.leaf_values(payload.borrow()));
        }
        self.fields.insert(field.to_string(), (path, index));
        Ok(())
    }

    /// Drops the index on `field`; returns whether there was one.
    pub fn drop_index(&mut self, field: &str) -> bool {
        self.fields.remove(field).is_some()
    }

    /// Whether no field is indexed.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// Re-indexes one point whose payload changed from `old` to `new`.
    pub fn update(&mut self, offset: u32, old: &Payload, new: &Payload) {
        for (path, index) in self.fields.values_mut() {
            index.remove(offset, &path.leaf_values(old));
            index.add(offset, &path.leaf_values(new));
        }
    }

    /// Forgets a deleted point whose payload was `old`.
    pub fn remove(&mut self, offset: u32, old: &Payload) {
        for (path, index) in self.fields.values_mut() {
            index.remove(offset, &path.leaf_values(old));
        }
    }

    fn condition_candidates(&self, c: &Condition) -> Option<RoaringBitmap> {
        match c {
            Condition::Field(fc) => self
                .fields
                .get(&fc.key.to_string())?
                .1
                .candidates(&fc.check),
            Condition::Filter(f) => self.candidates(f),
            _ => None,
        }
    }

    /// A superset of the offsets matching `filter`, when indexes can narrow
    /// it down; `None` means every point is a candidate.
    pub fn candidates(&self, filter: &Filter) -> Option<RoaringBitmap> {
        let mut acc: Option<RoaringBitmap> = None;
        for c in &filter.must {
            if let Some(bm) = self.condition_candidates(c) {
                acc = Some(match acc {
                    None => bm,
                    Some(a) => a & bm,
                });
            }
        }
        if !filter.should.is_empty() {
            let mut union = RoaringBitmap::new();
            let mut all = true;
            for c in &filter.should {
                match self.condition_candidates(c) {
                    Some(bm) => union |= bm,
                    None => {
                        all = false;
                        break;
                    }
                }
            }
            if all {
                acc = Some(match acc {
                    None => union,
                    Some(a) => a & union,
                });
            }
        }
        acc
    }

    /// `filter` as the indexes answer it: one range condition alone, on a
    /// field whose index serves ranges, is read by that index, which takes
    /// a side's strict bound over its inclusive one when a range gives both
    /// (as Qdrant's indexes do; inside a larger filter every point is
    /// checked against all bounds).
    pub fn index_reading<'a>(&self, filter: &'a Filter) -> Cow<'a, Filter> {
        let single = match (
            filter.must.as_slice(),
            filter.should.as_slice(),
            filter.must_not.as_slice(),
            &filter.min_should,
        ) {
            ([Condition::Field(fc)], [], [], None) => fc,
            _ => return Cow::Borrowed(filter),
        };
        let check = match &single.check {
            FieldCheck::Range(r) if r.bounds_a_side_twice() => FieldCheck::Range(r.as_indexed()),
            FieldCheck::DatetimeRange(r) if r.bounds_a_side_twice() => {
                FieldCheck::DatetimeRange(r.as_indexed())
            }
            _ => return Cow::Borrowed(filter),
        };
        let serves = self
            .fields
            .get(&single.key.to_string())
            .is_some_and(|(_, index)| index.serves_ranges(&check));
        if !serves {
            return Cow::Borrowed(filter);
        }
        Cow::Owned(Filter::must(vec![Condition::Field(FieldCondition {
            key: single.key.clone(),
            check,
        })]))
    }

    /// The exact set of offsets matching `filter`, when the indexes decide
    /// every one of its conditions on their own (`must` and `should` of
    /// exactly-indexed field conditions); `None` otherwise.
    pub fn exact_matches(&self, filter: &Filter) -> Option<RoaringBitmap> {
        if !filter.must_not.is_empty()
            || filter.min_should.is_some()
            || (filter.must.is_empty() && filter.should.is_empty())
        {
            return None;
        }
        let exact = |c: &Condition| -> Option<RoaringBitmap> {
            match c {
                Condition::Field(fc) => {
                    let (_, index) = self.fields.get(&fc.key.to_string())?;
                    index
                        .is_exact_for(&fc.check)
                        .then(|| index.candidates(&fc.check))
                        .flatten()
                }
                Condition::Filter(f) => self.exact_matches(f),
                _ => None,
            }
        };
        let mut acc: Option<RoaringBitmap> = None;
        for c in &filter.must {
            let bm = exact(c)?;
            acc = Some(match acc {
                None => bm,
                Some(a) => a & bm,
            });
        }
        if !filter.should.is_empty() {
            let mut union = RoaringBitmap::new();
            for c in &filter.should {
                union |= exact(c)?;
            }
            acc = Some(match acc {
                None => union,
                Some(a) => a & union,
            });
        }
        acc
    }

    fn condition_cardinality(&self, c: &Condition, total: u64) -> Cardinality {
        match c {
            Condition::Field(fc) => self
                .fields
                .get(&fc.key.to_string())
                .and_then(|(_, index)| index.cardinality(&fc.check))
                .map_or(Cardinality::unknown(total), |n| {
                    let n = n.min(total);
                    Cardinality {
                        min: 0,
                        exp: n,
                        max: n,
                    }
                }),
            Condition::Filter(f) => self.estimate(f, total),
            _ => Cardinality::unknown(total),
        }
    }

    /// Estimates how many of `total` points match `filter`.
    pub fn estimate(&self, filter: &Filter, total: u64) -> Cardinality {
        if total == 0 {
            return Cardinality::exact(0);
        }
        let t = total as f64;
        let mut parts = Vec::new();
        if !filter.must.is_empty() {
            let cs: Vec<_> = filter
                .must
                .iter()
                .map(|c| self.condition_cardinality(c, total))
                .collect();
            let min_sum: u64 = cs.iter().map(|c| c.min).sum();
            parts.push(Cardinality {
                min: min_sum.saturating_sub((cs.len() as u64 - 1) * total),
                exp: (t * cs.iter().map(|c| c.exp as f64 / t).product::<f64>()) as u64,
                max: cs.iter().map(|c| c.max).min().unwrap_or(total),
            });
        }
        if !filter.should.is_empty() {
            let cs: Vec<_> = filter
                .should
                .iter()
                .map(|c| self.condition_cardinality(c, total))
                .collect();
            parts.push(Cardinality {
                min: cs.iter().map(|c| c.min).max().unwrap_or(0),
                exp: (t * (1.0 - cs.iter().map(|c| 1.0 - c.exp as f64 / t).product::<f64>()))
                    as u64,
                max: cs.iter().map(|c| c.max).sum::<u64>().min(total),
            });
        }
        if !filter.must_not.is_empty() {
            let cs: Vec<_> = filter
                .must_not
                .iter()
                .map(|c| self.condition_cardinality(c, total))
                .collect();
            let any = Cardinality {
                min: cs.iter().map(|c| c.min).max().unwrap_or(0),
                exp: (t * (1.0 - cs.iter().map(|c| 1.0 - c.exp as f64 / t).product::<f64>()))
                    as u64,
                max: cs.iter().map(|c| c.max).sum::<u64>().min(total),
            };
            parts.push(Cardinality {
                min: total - any.max,
                exp: total - any.exp,
                max: total - any.min,
            });
        }
        if filter.min_should.is_some() {
            parts.push(Cardinality::unknown(total));
        }
        match parts.len() {
            0 => Cardinality::exact(total),
            1 => parts[0],
            n => {
                let min_sum: u64 = parts.iter().map(|c| c.min).sum();
                Cardinality {
                    min: min_sum.saturating_sub((n as u64 - 1) * total),
                    exp: (t * parts.iter().map(|c| c.exp as f64 / t).product::<f64>()) as u64,
                    max: parts.iter().map(|c| c.max).min().unwrap_or(total),
                }
            }
        }
    }
}
