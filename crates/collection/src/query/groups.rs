//! Groups of hits, random samples and the sampled distance matrix.

use std::collections::{HashMap, HashSet};

use segment::filter::{Condition, FieldCheck, FieldCondition, Filter, Match, MatchValue};
use segment::selector::{PayloadSelector, VectorSelector};
use segment::PointId;

use crate::collection::Collection;
use crate::error::{CollectionError, Result};
use crate::search::{QueryInput, ScoredPoint, SearchOptions, SearchRequest};

use super::{both, distance_of, QueryKind, QueryNode, QueryRequest, RecommendStrategy};

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

/// Requests spent discovering groups, then filling the best ones (as
/// Qdrant's group-by spends them).
const COLLECT_ROUNDS: usize = 5;
const FILL_ROUNDS: usize = 5;

/// Multiplies every prefetch limit below `node` by `factor`.
fn scale_prefetch_limits(node: &mut QueryNode, factor: usize) {
    for p in &mut node.prefetch {
        p.limit = p.limit.saturating_mul(factor);
        scale_prefetch_limits(p, factor);
    }
}

/// `must` conditions on the group values `ids` (one per value type): each
/// a match of any of them, or (`except`) of none of them.
fn on_groups(
    path: &segment::json_path::JsonPath,
    ids: &[&GroupId],
    except: bool,
) -> Vec<Condition> {
    let ints: Vec<MatchValue> = ids
        .iter()
        .filter_map(|g| match g {
            GroupId::Int(i) => Some(MatchValue::Integer(*i)),
            GroupId::Str(_) => None,
        })
        .collect();
    let strs: Vec<MatchValue> = ids
        .iter()
        .filter_map(|g| match g {
            GroupId::Str(s) => Some(MatchValue::Keyword(s.clone())),
            GroupId::Int(_) => None,
        })
        .collect();
    [ints, strs]
        .into_iter()
        .filter(|values| !values.is_empty())
        .map(|values| {
            let m = if except {
                Match::Except(values)
            } else {
                Match::Any(values)
            };
            Condition::Field(FieldCondition {
                key: path.clone(),
                check: FieldCheck::Match(m),
            })
        })
        .collect()
}

/// Hits gathered into groups over several requests.
struct Aggregator {
    groups: Vec<Group>,
    index: HashMap<GroupId, usize>,
    /// Best score of each group (by index in `groups`).
    best: Vec<f32>,
    seen: HashSet<PointId>,
    group_size: usize,
    wanted: usize,
    smaller_better: bool,
}

impl Aggregator {
    fn better(&self, a: f32, b: f32) -> bool {
        if self.smaller_better {
            a < b
        } else {
            a > b
        }
    }

    fn add(&mut self, hit: &ScoredPoint, ids: Vec<GroupId>) {
        for id in ids {
            let at = match self.index.get(&id) {
                Some(&at) => at,
                None => {
                    self.groups.push(Group {
                        id: id.clone(),
                        hits: Vec::new(),
                    });
                    self.best.push(hit.score);
                    self.index.insert(id, self.groups.len() - 1);
                    self.groups.len() - 1
                }
            };
            let group = &mut self.groups[at];
            if group.hits.iter().any(|h| h.id == hit.id) {
                continue;
            }
            group.hits.push(hit.clone());
            self.seen.insert(hit.id);
            if self.better(hit.score, self.best[at]) {
                self.best[at] = hit.score;
            }
        }
    }

    /// Indexes of the `wanted` groups with the best hits, best first.
    fn best_groups(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.groups.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (self.best[a], self.best[b]);
            if self.smaller_better {
                x.total_cmp(&y)
            } else {
                y.total_cmp(&x)
            }
        });
        order.truncate(self.wanted);
        order
    }

    fn is_full(&self, at: usize) -> bool {
        self.groups[at].hits.len() >= self.group_size
    }

    fn enough(&self) -> bool {
        self.best_groups()
            .into_iter()
            .filter(|&g| self.is_full(g))
            .count()
            >= self.wanted
    }

    /// The best groups, each with its best `group_size` hits.
    fn distill(mut self) -> Vec<Group> {
        let best = self.best_groups();
        let smaller = self.smaller_better;
        best.into_iter()
            .map(|at| {
                let mut group = std::mem::replace(
                    &mut self.groups[at],
                    Group {
                        id: GroupId::Int(0),
                        hits: Vec::new(),
                    },
                );
                group.hits.sort_by(|a, b| match smaller {
                    true => a.score.total_cmp(&b.score),
                    false => b.score.total_cmp(&a.score),
                });
                group.hits.truncate(self.group_size);
                group
            })
            .collect()
    }
}

impl Collection {
    /// Hits grouped by the values of `group_by`: groups ordered by their
    /// best hit, at most `group_size` hits each, at most `groups` groups.
    /// As Qdrant: rounds of the query for `groups * group_size` points
    /// (prefetch limits times `group_size`) among points with a value,
    /// excluding the points already gathered and the groups already full;
    /// then rounds restricted to the best groups not full yet.
    pub fn query_groups(
        &self,
        request: &QueryRequest,
        group_by: &str,
        group_size: usize,
        groups: usize,
    ) -> Result<Vec<Group>> {
        let path =
            segment::json_path::JsonPath::parse(group_by).map_err(CollectionError::BadInput)?;
        self.take_read_rate(1)?;
        if let Some(strict) = self.strict_mode() {
            strict.check_node(&request.root, &self.shard.read().index_schema())?;
        }
        let mut aggregator = Aggregator {
            groups: Vec::new(),
            index: HashMap::new(),
            best: Vec::new(),
            seen: HashSet::new(),
            group_size,
            wanted: groups,
            smaller_better: self.smaller_is_better(&request.root),
        };
        if groups == 0 || group_size == 0 {
            return Ok(Vec::new());
        }
        let mut base = request.clone();
        base.offset = 0;
        base.root.limit = groups.saturating_mul(group_size);
        base.with_payload = PayloadSelector::All;
        scale_prefetch_limits(&mut base.root, group_size);
        let has_value = Filter {
            must_not: vec![Condition::IsEmpty(path.clone())],
            ..Filter::default()
        };
        base.root.filter = both(base.root.filter.as_ref(), Some(&has_value));
        let mut collecting = true;
        let mut rounds = 0;
        loop {
            let budget = if collecting {
                COLLECT_ROUNDS
            } else {
                FILL_ROUNDS
            };
            if rounds == budget {
                if !collecting {
                    break;
                }
                collecting = false;
                rounds = 0;
                continue;
            }
            rounds += 1;
            let mut round = base.clone();
            let mut extra = Filter::default();
            if collecting {
                let full: Vec<&GroupId> = (0..aggregator.groups.len())
                    .filter(|&g| aggregator.is_full(g))
                    .map(|g| &aggregator.groups[g].id)
                    .collect();
                extra.must = on_groups(&path, &full, true);
            } else {
                let unfilled: Vec<&GroupId> = aggregator
                    .best_groups()
                    .into_iter()
                    .filter(|&g| !aggregator.is_full(g))
                    .map(|g| &aggregator.groups[g].id)
                    .collect();
                extra.must = on_groups(&path, &unfilled, false);
            }
            if !aggregator.seen.is_empty() {
                extra.must_not = vec![Condition::HasId(aggregator.seen.iter().copied().collect())];
            }
            if !extra.must.is_empty() || !extra.must_not.is_empty() {
                round.root.filter = both(round.root.filter.as_ref(), Some(&extra));
            }
            let hits = self
                .run_batch(std::slice::from_ref(&round))?
                .pop()
                .unwrap_or_default();
            let empty = hits.is_empty();
            for mut hit in hits {
                let Some(ids) = hit.payload.as_ref().and_then(|p| group_ids(p, &path)) else {
                    continue;
                };
                hit.payload = hit
                    .payload
                    .take()
                    .and_then(|p| request.with_payload.apply(|| p));
                aggregator.add(&hit, ids);
            }
            if aggregator.enough() || (empty && !collecting) {
                break;
            }
            if empty {
                // nothing more to discover: fill the best groups
                collecting = false;
                rounds = 0;
            }
        }
        Ok(aggregator.distill())
    }

    /// Whether the root's scores are distances (smaller is better): nearest
    /// searches and their kin on a Euclid or Manhattan vector.
    fn smaller_is_better(&self, root: &QueryNode) -> bool {
        let ranks_by_distance = matches!(
            root.query,
            Some(QueryKind::Nearest(_))
                | Some(QueryKind::Mmr { .. })
                | Some(QueryKind::Recommend {
                    strategy: RecommendStrategy::AverageVector,
                    ..
                })
        );
        ranks_by_distance && !distance_of(&self.config(), &root.using).higher_is_better()
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
        self.take_read_rate(1)?;
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
