//! One payload index: the values of one key path, as bitmaps of offsets.
//!
//! An index answers a condition with a superset of the matching offsets:
//! its hits plus every offset that holds a value the index could not read
//! (a string in an integer index, say). Callers verify each candidate with
//! the reference evaluator, so the answer is exact while the index keeps
//! the number of candidates small.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;

use roaring::RoaringBitmap;
use serde_json::Value;
use uuid::Uuid;

use super::schema::{PayloadFieldSchema, PayloadSchemaType};
use super::text::Tokenizer;
use crate::datetime::parse_datetime;
use crate::filter::{as_geo, FieldCheck, GeoPoint, Match, MatchValue, Range};

/// A totally ordered index key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum IndexKey {
    /// A boolean.
    Bool(bool),
    /// An integer (also datetimes, as UTC microseconds).
    Int(i64),
    /// A float, as its order-preserving bit pattern.
    Float(u64),
    /// A string.
    Str(String),
    /// A UUID.
    Uuid(u128),
}

fn float_key(f: f64) -> u64 {
    let bits = f.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | (1 << 63)
    }
}

/// The float a [`IndexKey::Float`] encodes.
pub fn key_float(k: u64) -> f64 {
    if k >> 63 == 1 {
        f64::from_bits(k & !(1 << 63))
    } else {
        f64::from_bits(!k)
    }
}

/// Corpus statistics for BM25 over one text index.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TextStats {
    /// Documents holding at least one token.
    pub docs: u64,
    /// Sum of their rounded lengths.
    pub total_len: u64,
    /// Documents holding each term.
    pub df: Vec<u64>,
}

/// Document lengths keep their 13 leading bits (exact below 8192 tokens),
/// as Qdrant stores them.
pub fn bm25_doc_len(len: usize) -> u32 {
    let bits = usize::BITS - len.leading_zeros();
    let lost = bits.saturating_sub(13);
    ((len >> lost) << lost) as u32
}

enum Data {
    Keys(BTreeMap<IndexKey, RoaringBitmap>),
    Geo(HashMap<u32, Vec<GeoPoint>>),
    Text {
        tokenizer: Tokenizer,
        postings: HashMap<String, RoaringBitmap>,
    },
}

/// An index over one payload path.
pub struct FieldIndex {
    schema: PayloadFieldSchema,
    data: Data,
    /// A text index's tokens per offset (lengths and term frequencies for
    /// BM25); other indexes find what to remove from the old payload.
    stored: HashMap<u32, Vec<IndexKey>>,
    /// Offsets with at least one indexed value.
    indexed: RoaringBitmap,
    /// Offsets with a non-null value the index could not read.
    others: RoaringBitmap,
}

impl std::fmt::Debug for FieldIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FieldIndex")
            .field("schema", &self.schema)
            .field("points", &self.indexed.len())
            .finish()
    }
}

impl FieldIndex {
    /// An empty index of the given definition.
    pub fn new(schema: PayloadFieldSchema) -> FieldIndex {
        let data = match schema.kind() {
            PayloadSchemaType::Geo => Data::Geo(HashMap::new()),
            PayloadSchemaType::Text => Data::Text {
                tokenizer: Tokenizer::new(&schema.text_params().unwrap_or_default()),
                postings: HashMap::new(),
            },
            _ => Data::Keys(BTreeMap::new()),
        };
        FieldIndex {
            schema,
            data,
            stored: HashMap::new(),
            indexed: RoaringBitmap::new(),
            others: RoaringBitmap::new(),
        }
    }

    /// The definition.
    pub fn schema(&self) -> &PayloadFieldSchema {
        &self.schema
    }

    /// Number of points with at least one indexed value.
    pub fn points(&self) -> u64 {
        self.indexed.len()
    }

    /// The tokenizer of a text index.
    pub fn tokenizer(&self) -> Option<&Tokenizer> {
        match &self.data {
            Data::Text { tokenizer, .. } => Some(tokenizer),
            _ => None,
        }
    }

    /// BM25 corpus statistics of a text index: the documents holding any
    /// token, the sum of their lengths (rounded as [`bm25_doc_len`] does)
    /// and, per term, the documents holding it.
    pub fn text_stats(&self, terms: &[String]) -> Option<TextStats> {
        let Data::Text { postings, .. } = &self.data else {
            return None;
        };
        let mut stats = TextStats {
            docs: 0,
            total_len: 0,
            df: terms
                .iter()
                .map(|t| postings.get(t).map_or(0, |b| b.len()))
                .collect(),
        };
        for keys in self.stored.values() {
            let len = keys
                .iter()
                .filter(|k| matches!(k, IndexKey::Str(_)))
                .count();
            if len > 0 {
                stats.docs += 1;
                stats.total_len += bm25_doc_len(len) as u64;
            }
        }
        Some(stats)
    }

    /// The documents holding any of `terms`, in offset order: offset,
    /// rounded length and the frequency of each term.
    pub fn text_docs(&self, terms: &[String]) -> Vec<(u32, u32, Vec<u32>)> {
        let Data::Text { postings, .. } = &self.data else {
            return Vec::new();
        };
        let mut candidates = RoaringBitmap::new();
        for t in terms {
            if let Some(b) = postings.get(t) {
                candidates |= b;
            }
        }
        candidates
            .iter()
            .filter_map(|offset| {
                let keys = self.stored.get(&offset)?;
                let mut tf = vec![0u32; terms.len()];
                let mut len = 0;
                for k in keys {
                    if let IndexKey::Str(token) = k {
                        len += 1;
                        if let Some(i) = terms.iter().position(|t| t == token) {
                            tf[i] += 1;
                        }
                    }
                }
                Some((offset, bm25_doc_len(len), tf))
            })
            .collect()
    }

    /// The key an index of this kind stores for `value`, if it reads it.
    fn key_of(&self, value: &Value) -> Option<IndexKey> {
        match (self.schema.kind(), value) {
            (PayloadSchemaType::Keyword, Value::String(s)) => Some(IndexKey::Str(s.clone())),
            (PayloadSchemaType::Integer, Value::Number(n)) => n.as_i64().map(IndexKey::Int),
            (PayloadSchemaType::Float, Value::Number(n)) => {
                n.as_f64().map(|f| IndexKey::Float(float_key(f)))
            }
            (PayloadSchemaType::Bool, Value::Bool(b)) => Some(IndexKey::Bool(*b)),
            (PayloadSchemaType::Datetime, Value::String(s)) => parse_datetime(s).map(IndexKey::Int),
            (PayloadSchemaType::Uuid, Value::String(s)) => {
                Uuid::parse_str(s).ok().map(|u| IndexKey::Uuid(u.as_u128()))
            }
            _ => None,
        }
    }

    /// Indexes the leaf values of one point.
    pub fn add(&mut self, offset: u32, values: &[&Value]) {
        let mut keys = Vec::new();
        let mut unread = false;
        for value in values {
            if value.is_null() {
                continue;
            }
            match &mut self.data {
                Data::Geo(points) => match as_geo(value) {
                    Some(p) => points.entry(offset).or_default().push(p),
                    None => unread = true,
                },
                Data::Text {
                    tokenizer,
                    postings,
                } => match value {
                    Value::String(s) => {
                        for token in tokenizer.document_tokens(s) {
                            postings.entry(token.clone()).or_default().insert(offset);
                            keys.push(IndexKey::Str(token));
                        }
                        self.indexed.insert(offset);
                    }
                    _ => unread = true,
                },
                Data::Keys(_) => match self.key_of(value) {
                    Some(k) => keys.push(k),
                    None => unread = true,
                },
            }
        }
        if let Data::Keys(map) = &mut self.data {
            for k in &keys {
                map.entry(k.clone()).or_default().insert(offset);
            }
        }
        if matches!(&self.data, Data::Geo(points) if points.contains_key(&offset))
            || !keys.is_empty()
        {
            self.indexed.insert(offset);
        }
        if unread {
            self.others.insert(offset);
        }
        if !keys.is_empty() && matches!(self.data, Data::Text { .. }) {
            self.stored.insert(offset, keys);
        }
    }

    /// Forgets everything indexed for `offset`, whose leaf values were
    /// `old` (what [`FieldIndex::add`] was given for it).
    pub fn remove(&mut self, offset: u32, old: &[&Value]) {
        let keys = match self.data {
            Data::Keys(_) => old.iter().filter_map(|v| self.key_of(v)).collect(),
            _ => self.stored.remove(&offset).unwrap_or_default(),
        };
        match &mut self.data {
            Data::Keys(map) => {
                for k in keys {
                    if let Some(bm) = map.get_mut(&k) {
                        bm.remove(offset);
                        if bm.is_empty() {
                            map.remove(&k);
                        }
                    }
                }
            }
            Data::Text { postings, .. } => {
                for k in keys {
                    if let IndexKey::Str(token) = k {
                        if let Some(bm) = postings.get_mut(&token) {
                            bm.remove(offset);
                            if bm.is_empty() {
                                postings.remove(&token);
                            }
                        }
                    }
                }
            }
            Data::Geo(points) => {
                points.remove(&offset);
            }
        }
        self.indexed.remove(offset);
        self.others.remove(offset);
    }

    fn keys_union<'a>(&self, keys: impl Iterator<Item = &'a IndexKey>) -> RoaringBitmap {
        let mut out = RoaringBitmap::new();
        if let Data::Keys(map) = &self.data {
            for k in keys {
                if let Some(bm) = map.get(k) {
                    out |= bm;
                }
            }
        }
        out
    }

    fn range_union(&self, lower: Bound<IndexKey>, upper: Bound<IndexKey>) -> RoaringBitmap {
        let mut out = RoaringBitmap::new();
        if let Data::Keys(map) = &self.data {
            if range_is_empty(&lower, &upper) {
                return out;
            }
            for (_, bm) in map.range((lower, upper)) {
                out |= bm;
            }
        }
        out
    }

    fn match_key(&self, v: &MatchValue) -> Option<IndexKey> {
        match (self.schema.kind(), v) {
            (PayloadSchemaType::Keyword, MatchValue::Keyword(s)) => Some(IndexKey::Str(s.clone())),
            (PayloadSchemaType::Uuid, MatchValue::Keyword(s)) => {
                Uuid::parse_str(s).ok().map(|u| IndexKey::Uuid(u.as_u128()))
            }
            (PayloadSchemaType::Integer, MatchValue::Integer(i)) => Some(IndexKey::Int(*i)),
            (PayloadSchemaType::Bool, MatchValue::Bool(b)) => Some(IndexKey::Bool(*b)),
            _ => None,
        }
    }

    /// Offsets that may satisfy `check`, or `None` when this index cannot
    /// narrow it down.
    pub fn candidates(&self, check: &FieldCheck) -> Option<RoaringBitmap> {
        let kind = self.schema.kind();
        let exact_keys = matches!(
            kind,
            PayloadSchemaType::Keyword
                | PayloadSchemaType::Integer
                | PayloadSchemaType::Bool
                | PayloadSchemaType::Uuid
        );
        if matches!(check, FieldCheck::Match(Match::Value(_) | Match::Any(_))) && !exact_keys {
            // floats and datetimes store numbers and parsed times, not the
            // values an exact match compares with
            return None;
        }
        let hits = match (check, &self.data) {
            (FieldCheck::Match(Match::Value(v)), Data::Keys(_)) => {
                if kind == PayloadSchemaType::Integer && !self.schema.integer_lookup() {
                    return None;
                }
                // a value of another type never matches: only the index's own keys can
                self.match_key(v)
                    .map_or_else(RoaringBitmap::new, |k| self.keys_union(std::iter::once(&k)))
            }
            (FieldCheck::Match(Match::Any(values)), Data::Keys(_)) => {
                if kind == PayloadSchemaType::Integer && !self.schema.integer_lookup() {
                    return None;
                }
                let keys: Vec<IndexKey> = values.iter().filter_map(|v| self.match_key(v)).collect();
                self.keys_union(keys.iter())
            }
            (FieldCheck::Match(Match::Except(_)), _) => &self.indexed | &self.others,
            (
                FieldCheck::Match(Match::Text(q) | Match::Phrase(q)),
                Data::Text {
                    tokenizer,
                    postings,
                },
            ) => {
                let tokens = tokenizer.query_tokens(q);
                if tokens.is_empty() {
                    return Some(RoaringBitmap::new());
                }
                let mut acc: Option<RoaringBitmap> = None;
                for t in tokens {
                    let bm = postings.get(&t).cloned().unwrap_or_default();
                    acc = Some(match acc {
                        None => bm,
                        Some(a) => a & bm,
                    });
                }
                acc.unwrap_or_default()
            }
            (
                FieldCheck::Match(Match::TextAny(q)),
                Data::Text {
                    tokenizer,
                    postings,
                },
            ) => {
                let mut acc = RoaringBitmap::new();
                for t in tokenizer.query_tokens(q) {
                    if let Some(bm) = postings.get(&t) {
                        acc |= bm;
                    }
                }
                acc
            }
            (FieldCheck::Range(_) | FieldCheck::DatetimeRange(_), Data::Keys(_)) => {
                let (lo, hi) = self.key_bounds(check)?;
                self.range_union(lo, hi)
            }
            (
                FieldCheck::GeoBoundingBox { .. }
                | FieldCheck::GeoRadius { .. }
                | FieldCheck::GeoPolygon { .. },
                Data::Geo(points),
            ) => {
                let mut out = RoaringBitmap::new();
                for (offset, ps) in points {
                    if ps.iter().any(|p| check.check_geo(*p)) {
                        out.insert(*offset);
                    }
                }
                out
            }
            _ => return None,
        };
        Some(hits | &self.others)
    }

    /// The key range a range check covers in this index, if it serves
    /// ranges of that kind.
    fn key_bounds(&self, check: &FieldCheck) -> Option<(Bound<IndexKey>, Bound<IndexKey>)> {
        match (self.schema.kind(), check) {
            (PayloadSchemaType::Integer, FieldCheck::Range(r)) if self.schema.integer_range() => {
                Some(int_bounds(&r.as_indexed()))
            }
            (PayloadSchemaType::Float, FieldCheck::Range(r)) => {
                let key = |b: Bound<f64>| match b {
                    Bound::Included(f) => Bound::Included(IndexKey::Float(float_key(f))),
                    Bound::Excluded(f) => Bound::Excluded(IndexKey::Float(float_key(f))),
                    Bound::Unbounded => Bound::Unbounded,
                };
                let (lo, hi) = float_bounds(&r.as_indexed());
                Some((key(lo), key(hi)))
            }
            (PayloadSchemaType::Datetime, FieldCheck::DatetimeRange(r)) => {
                let r = r.as_indexed();
                Some(int_bounds(&Range {
                    lt: r.lt.map(|v| v as f64),
                    gt: r.gt.map(|v| v as f64),
                    gte: r.gte.map(|v| v as f64),
                    lte: r.lte.map(|v| v as f64),
                }))
            }
            _ => None,
        }
    }

    /// Whether this index answers the range `check` from its keys.
    pub(crate) fn serves_ranges(&self, check: &FieldCheck) -> bool {
        self.key_bounds(check).is_some()
    }

    /// Whether [`FieldIndex::candidates`] for `check` is exactly the set of
    /// matching points (no unreadable values, and a check the index decides
    /// on its own), so callers may skip verifying them.
    pub fn is_exact_for(&self, check: &FieldCheck) -> bool {
        if !self.others.is_empty() {
            return false;
        }
        let kind = self.schema.kind();
        match check {
            FieldCheck::Match(Match::Value(_) | Match::Any(_)) => {
                matches!(
                    kind,
                    PayloadSchemaType::Keyword | PayloadSchemaType::Bool | PayloadSchemaType::Uuid
                ) || (kind == PayloadSchemaType::Integer && self.schema.integer_lookup())
            }
            // a range bounding one side twice is read by the index with its
            // strict bound only: the index's set is exact for it alone at
            // the top of a filter (see `PayloadIndex::exact_matches`)
            FieldCheck::Range(r) if r.bounds_a_side_twice() => false,
            FieldCheck::DatetimeRange(r) if r.bounds_a_side_twice() => false,
            FieldCheck::Range(_) | FieldCheck::DatetimeRange(_) => self.key_bounds(check).is_some(),
            FieldCheck::GeoBoundingBox { .. }
            | FieldCheck::GeoRadius { .. }
            | FieldCheck::GeoPolygon { .. } => kind == PayloadSchemaType::Geo,
            _ => false,
        }
    }

    /// An upper bound of [`FieldIndex::candidates`]' size, computed without
    /// building the bitmap; `None` when the index cannot narrow `check`.
    pub fn cardinality(&self, check: &FieldCheck) -> Option<u64> {
        let sum = |keys: &mut dyn Iterator<Item = &RoaringBitmap>| {
            keys.map(RoaringBitmap::len).sum::<u64>()
        };
        let hits = match (check, &self.data) {
            (FieldCheck::Match(Match::Value(_) | Match::Any(_)), Data::Keys(map)) => {
                let values: Vec<&MatchValue> = match check {
                    FieldCheck::Match(Match::Value(v)) => vec![v],
                    FieldCheck::Match(Match::Any(vs)) => vs.iter().collect(),
                    _ => unreachable!("matched above"),
                };
                self.candidates(check)?;
                values
                    .iter()
                    .filter_map(|v| self.match_key(v))
                    .filter_map(|k| map.get(&k))
                    .map(RoaringBitmap::len)
                    .sum()
            }
            (FieldCheck::Range(_) | FieldCheck::DatetimeRange(_), Data::Keys(map)) => {
                let (lo, hi) = self.key_bounds(check)?;
                if range_is_empty(&lo, &hi) {
                    0
                } else {
                    sum(&mut map.range((lo, hi)).map(|(_, bm)| bm))
                }
            }
            (
                FieldCheck::Match(m @ (Match::Text(q) | Match::Phrase(q) | Match::TextAny(q))),
                Data::Text {
                    tokenizer,
                    postings,
                },
            ) => {
                let lens = tokenizer
                    .query_tokens(q)
                    .into_iter()
                    .map(|t| postings.get(&t).map_or(0, RoaringBitmap::len));
                // all tokens must match (the rarest bounds it) or any may (the sum does)
                if matches!(m, Match::TextAny(_)) {
                    lens.sum()
                } else {
                    lens.min().unwrap_or(0)
                }
            }
            _ => return self.candidates(check).map(|bm| bm.len()),
        };
        Some(hits + self.others.len())
    }

    /// Values with their points, for facets (`None` for text and geo).
    pub fn value_bitmaps(&self) -> Option<&BTreeMap<IndexKey, RoaringBitmap>> {
        match &self.data {
            Data::Keys(map) => Some(map),
            _ => None,
        }
    }
}

fn range_is_empty<T: Ord>(lower: &Bound<T>, upper: &Bound<T>) -> bool {
    match (lower, upper) {
        (Bound::Included(a), Bound::Included(b)) => a > b,
        (Bound::Included(a), Bound::Excluded(b)) | (Bound::Excluded(a), Bound::Included(b)) => {
            a >= b
        }
        (Bound::Excluded(a), Bound::Excluded(b)) => a >= b,
        _ => false,
    }
}

/// Integer key bounds covering every integer inside a float range.
fn int_bounds(r: &Range<f64>) -> (Bound<IndexKey>, Bound<IndexKey>) {
    let mut lo = i64::MIN as f64;
    if let Some(g) = r.gte {
        lo = lo.max(g.ceil());
    }
    if let Some(g) = r.gt {
        lo = lo.max(if g.fract() == 0.0 { g + 1.0 } else { g.ceil() });
    }
    let mut hi = i64::MAX as f64;
    if let Some(l) = r.lte {
        hi = hi.min(l.floor());
    }
    if let Some(l) = r.lt {
        hi = hi.min(if l.fract() == 0.0 { l - 1.0 } else { l.floor() });
    }
    if lo.is_nan() || hi.is_nan() || lo > hi {
        return (
            Bound::Included(IndexKey::Int(1)),
            Bound::Excluded(IndexKey::Int(1)),
        );
    }
    let clamp = |f: f64| f.clamp(i64::MIN as f64, i64::MAX as f64) as i64;
    (
        Bound::Included(IndexKey::Int(clamp(lo))),
        Bound::Included(IndexKey::Int(clamp(hi))),
    )
}

fn float_bounds(r: &Range<f64>) -> (Bound<f64>, Bound<f64>) {
    let lo = match (r.gte, r.gt) {
        (Some(a), Some(b)) if b >= a => Bound::Excluded(b),
        (Some(a), _) => Bound::Included(a),
        (None, Some(b)) => Bound::Excluded(b),
        (None, None) => Bound::Unbounded,
    };
    let hi = match (r.lte, r.lt) {
        (Some(a), Some(b)) if b <= a => Bound::Excluded(b),
        (Some(a), _) => Bound::Included(a),
        (None, Some(b)) => Bound::Excluded(b),
        (None, None) => Bound::Unbounded,
    };
    (lo, hi)
}
