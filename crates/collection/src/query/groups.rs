//! Groups of hits, random samples and the sampled distance matrix.

use std::collections::{HashMap, HashSet};

use segment::filter::{Condition, Filter};
use segment::selector::{PayloadSelector, VectorSelector};
use segment::PointId;

use crate::collection::Collection;
use crate::error::{CollectionError, Result};
use crate::search::{QueryInput, ScoredPoint, SearchOptions, SearchRequest};

use super::{both, QueryNode, QueryRequest};

/// A group's id: a keyword or an integer value of the `group_by` field.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum GroupId {
    /// A keyword.
    Str(String),
    /// An integer.
    Int(i64),
}

/// One group of hits.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    /// The shared value.
    pub id: GroupId,
    /// Its best hits, best first.
    pub hits: Vec<ScoredPoint>,
}

/// The distinct group ids of a payload (in payload order), or `None` when
/// the point cannot be grouped: the field is missing, or one of its values
/// is neither a keyword nor an integer (Qdrant then drops the point).
fn group_ids(
    payload: &segment::Payload,
    path: &segment::json_path::JsonPath,
) -> Option<Vec<GroupId>> {
    let values = path.leaf_values(payload);
    if values.is_empty() {
        return None;
    }
    let mut out: Vec<GroupId> = Vec::new();
    for v in values {
        let id = match v {
            serde_json::Value::String(s) => GroupId::Str(s.clone()),
            serde_json::Value::Number(n) => GroupId::Int(n.as_i64()?),
            _ => return None,
        };
        if !out.contains(&id) {
            out.push(id);
        }
    }
    Some(out)
}

fn raise_limits(node: &mut QueryNode, limit: usize) {
    node.limit = limit;
    for p in &mut node.prefetch {
        raise_limits(p, limit);
    }
}

impl Collection {
    /// Hits grouped by the values of `group_by`: groups ordered by their
    /// best hit, at most `group_size` hits each, at most `groups` groups.
    pub fn query_groups(
        &self,
        request: &QueryRequest,
        group_by: &str,
        group_size: usize,
        groups: usize,
    ) -> Result<Vec<Group>> {
        let path =
            segment::json_path::JsonPath::parse(group_by).map_err(CollectionError::BadInput)?;
        // every point may be needed: rank them all (prefetches included)
        let all = self.count(None).max(1);
        let mut full = request.clone();
        raise_limits(&mut full.root, all);
        full.offset = 0;
        full.with_payload = PayloadSelector::All;
        let hits = self.query(&full)?;
        let mut out: Vec<Group> = Vec::new();
        let mut index: HashMap<GroupId, usize> = HashMap::new();
        for mut hit in hits {
            let Some(ids) = hit.payload.as_ref().and_then(|p| group_ids(p, &path)) else {
                continue;
            };
            hit.payload = hit
                .payload
                .take()
                .and_then(|p| request.with_payload.apply(|| p));
            for id in ids {
                let at = *index.entry(id.clone()).or_insert_with(|| {
                    out.push(Group {
                        id,
                        hits: Vec::new(),
                    });
                    out.len() - 1
                });
                if out[at].hits.len() < group_size {
                    out[at].hits.push(hit.clone());
                }
            }
        }
        out.truncate(groups);
        Ok(out)
    }
}

/// A random permutation seed from the clock.
fn random_state() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
        | 1
}

/// Moves a random choice of `take` elements to the front (partial
/// Fisher–Yates) and drops the rest.
fn random_subset<T>(items: &mut Vec<T>, take: usize) {
    let mut state = random_state();
    let take = take.min(items.len());
    for i in 0..take {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let j = i + (state % (items.len() - i) as u64) as usize;
        items.swap(i, j);
    }
    items.truncate(take);
}

impl Collection {
    /// `limit` random points matching `filter` (score 1).
    pub(super) fn sample(
        &self,
        filter: Option<&Filter>,
        limit: usize,
        with_payload: &PayloadSelector,
        with_vector: &VectorSelector,
    ) -> Result<Vec<ScoredPoint>> {
        let holder = self.shard.read();
        let mut ids: Vec<PointId> = holder
            .filtered_from(filter, None)
            .map(|(id, _, _)| id)
            .collect();
        random_subset(&mut ids, limit);
        Ok(ids
            .into_iter()
            .filter_map(|id| holder.record(id, with_payload, with_vector))
            .map(|r| ScoredPoint::from_record(r, 1.0))
            .collect())
    }
}

/// A sampled distance matrix: the sampled ids (sorted) and, per sample,
/// its nearest other samples with their scores.
pub type DistanceMatrix = (Vec<PointId>, Vec<Vec<(PointId, f32)>>);

impl Collection {
    /// Samples up to `sample` points with the vector `using` (and matching
    /// `filter`) at random, and finds for each its `limit` nearest among
    /// the other samples. Fewer than two samples give an empty matrix.
    pub fn distance_matrix(
        &self,
        using: &str,
        filter: Option<&Filter>,
        sample: usize,
        limit: usize,
    ) -> Result<DistanceMatrix> {
        crate::vector_check::check_names(&self.config(), std::iter::once(&using.to_string()))?;
        let mut with_vector = filter.cloned().unwrap_or_default();
        with_vector
            .must
            .push(Condition::HasVector(using.to_string()));
        let mut ids: Vec<PointId> = {
            let holder = self.shard.read();
            holder
                .filtered_from(Some(&with_vector), None)
                .map(|(id, _, _)| id)
                .collect()
        };
        random_subset(&mut ids, sample);
        ids.sort();
        if ids.len() < 2 {
            return Ok((Vec::new(), Vec::new()));
        }
        let mut rows = Vec::with_capacity(ids.len());
        for (i, id) in ids.iter().enumerate() {
            let others: HashSet<PointId> = ids
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, o)| *o)
                .collect();
            let only = Filter::must(vec![Condition::HasId(others)]);
            let hits = self.search(&SearchRequest {
                using: using.to_string(),
                query: QueryInput::Point(*id),
                filter: both(filter, Some(&only)),
                limit,
                offset: 0,
                score_threshold: None,
                with_payload: PayloadSelector::None,
                with_vector: VectorSelector::None,
                params: SearchOptions {
                    exact: true,
                    ..SearchOptions::default()
                },
            })?;
            rows.push(hits.into_iter().map(|h| (h.id, h.score)).collect());
        }
        Ok((ids, rows))
    }
}
