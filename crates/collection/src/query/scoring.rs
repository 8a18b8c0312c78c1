//! Query kinds scored point by point rather than by a plain nearest
//! search: recommendation, discovery and context, maximal marginal
//! relevance.

use std::collections::HashSet;

use segment::distance::{max_sim_raw, sparse_dot, Distance as SegmentDistance};
use segment::filter::Filter;
use segment::selector::{PayloadSelector, VectorSelector};
use segment::vectors::Vector;
use segment::PointId;

use crate::collection::Collection;
use crate::error::{CollectionError, Result};
use crate::search::{QueryInput, ScoredPoint, SearchRequest};

use super::{distance_of, excluding, QueryNode, RecommendStrategy};

/// `x / (1 + |x|)` moved into 0..1.
fn scaled_sigmoid(x: f32) -> f32 {
    if x.is_nan() || x.is_infinite() {
        return x;
    }
    0.5 * (x / (1.0 + x.abs()) + 1.0)
}

/// Inverse document frequency by sparse index.
use segment::segment::search::Idf;

/// Sparse examples made queries as a nearest search makes its query:
/// sorted by index and, given the `idf` of a vector with that modifier, each
/// value multiplied by its index's inverse document frequency.
fn sparse_queries(vectors: &mut [Vector], idf: Option<&Idf>) {
    for v in vectors.iter_mut() {
        if let Vector::Sparse(s) = v {
            *s = s.sorted();
            if let Some(idf) = idf {
                for (i, value) in s.indices.iter().zip(s.values.iter_mut()) {
                    *value *= idf.weight(*i);
                }
            }
        }
    }
}

/// The raw similarity examples are compared with: dot products for Cosine
/// and Dot, negated squared Euclidean or Manhattan distances.
fn raw_similarity(distance: SegmentDistance, a: &Vector, b: &Vector) -> Option<f32> {
    match (a, b) {
        (Vector::Dense(a), Vector::Dense(b)) => Some(match distance {
            SegmentDistance::Euclid => -segment::distance::scalar::l2_squared(a, b),
            d => d.similarity(a, b),
        }),
        (Vector::Sparse(a), Vector::Sparse(b)) => {
            Some(sparse_dot(&a.indices, &a.values, &b.indices, &b.values))
        }
        (Vector::Multi(a), Vector::Multi(b)) => Some(max_sim_raw(distance, a, b)),
        _ => None,
    }
}

impl Collection {
    /// The vector `using` of each example (stored points read), and the
    /// ids of the example points.
    pub(super) fn examples(
        &self,
        using: &str,
        examples: &[QueryInput],
    ) -> Result<(Vec<Vector>, Vec<PointId>)> {
        let mut vectors = Vec::new();
        let mut ids = Vec::new();
        let holder = self.shard.read();
        for e in examples {
            match e {
                QueryInput::Vector(v) => vectors.push(v.clone()),
                QueryInput::Point(id) => {
                    let record = holder
                        .record(
                            *id,
                            &PayloadSelector::None,
                            &VectorSelector::Names(vec![using.to_string()]),
                        )
                        .ok_or_else(|| {
                            CollectionError::NotFound(format!("No point with id {id} found"))
                        })?;
                    let v = record
                        .vectors
                        .and_then(|mut v| v.remove(using))
                        .ok_or_else(|| {
                            CollectionError::NotFound(format!(
                                "Vector with name \"{using}\" for point not found"
                            ))
                        })?;
                    vectors.push(v);
                    ids.push(*id);
                }
            }
        }
        Ok((vectors, ids))
    }

    /// [`Collection::examples`], each checked (and, for Cosine, normalized)
    /// as a query vector of `using`, sparse ones made queries with `idf`
    /// (see [`sparse_queries`]).
    fn query_examples(
        &self,
        config: &crate::config::CollectionConfig,
        using: &str,
        examples: &[QueryInput],
        idf: Option<&Idf>,
    ) -> Result<(Vec<Vector>, Vec<PointId>)> {
        let (mut vectors, ids) = self.examples(using, examples)?;
        for v in vectors.iter_mut() {
            crate::vector_check::check_query_vector(config, using, v)?;
        }
        sparse_queries(&mut vectors, idf);
        Ok((vectors, ids))
    }

    /// The inverse document frequencies sparse queries of `using` are
    /// weighed with, when it has the `idf` modifier (a pass over every
    /// stored vector: computed once per request).
    fn example_idf(
        &self,
        config: &crate::config::CollectionConfig,
        using: &str,
        corpus: Option<&Filter>,
    ) -> Option<Idf> {
        config
            .sparse(using)
            .is_some_and(|s| s.modifier == Some(crate::config::Modifier::Idf))
            .then(|| self.shard.read().sparse_idf(using, corpus))
    }

    /// A recommendation at one node.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn recommend(
        &self,
        node: &QueryNode,
        positive: &[QueryInput],
        negative: &[QueryInput],
        strategy: RecommendStrategy,
        filter: Option<Filter>,
        (limit, offset): (usize, usize),
        with_payload: &PayloadSelector,
        with_vector: &VectorSelector,
    ) -> Result<Vec<ScoredPoint>> {
        let using = node.using.as_str();
        let (mut pos, pos_ids) = self.examples(using, positive)?;
        let (mut neg, neg_ids) = self.examples(using, negative)?;
        // the examples themselves are never recommended
        let examples: HashSet<PointId> = pos_ids.into_iter().chain(neg_ids).collect();
        let filter = excluding(filter, examples);
        let config = self.config();
        // examples are checked; scoring normalizes them (Cosine), the
        // average takes them as given and is normalized as a query
        for v in pos.iter_mut().chain(neg.iter_mut()) {
            let raw = v.clone();
            crate::vector_check::check_query_vector(&config, using, v)?;
            if strategy == RecommendStrategy::AverageVector {
                if let (Vector::Dense(_), Vector::Dense(_)) = (&raw, &*v) {
                    *v = raw;
                }
            }
        }
        match strategy {
            RecommendStrategy::AverageVector => {
                let query = average(&pos, &neg).ok_or_else(|| {
                    CollectionError::BadInput(
                        "Positive vectors should not be empty with `average` strategy".into(),
                    )
                })?;
                self.search(&SearchRequest {
                    using: using.to_string(),
                    query: QueryInput::Vector(query),
                    filter,
                    limit,
                    offset,
                    score_threshold: node.score_threshold,
                    with_payload: with_payload.clone(),
                    with_vector: with_vector.clone(),
                    params: node.params.clone(),
                })
            }
            RecommendStrategy::BestScore | RecommendStrategy::SumScores => {
                if pos.is_empty() && neg.is_empty() {
                    return Err(CollectionError::BadInput(
                        "No positive or negative examples given".into(),
                    ));
                }
                let idf = self.example_idf(&config, using, node.params.idf_corpus.as_ref());
                sparse_queries(&mut pos, idf.as_ref());
                sparse_queries(&mut neg, idf.as_ref());
                let distance = distance_of(&config, using);
                let score = |stored: &Vector| -> Option<f32> {
                    let sims = |examples: &[Vector]| -> Option<Vec<f32>> {
                        examples
                            .iter()
                            .map(|e| raw_similarity(distance, e, stored))
                            .collect()
                    };
                    let (p, n) = (sims(&pos)?, sims(&neg)?);
                    Some(match strategy {
                        RecommendStrategy::BestScore => {
                            let bp = p.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                            let bn = n.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                            if bp > bn {
                                scaled_sigmoid(bp)
                            } else {
                                -scaled_sigmoid(bn)
                            }
                        }
                        _ => p.iter().sum::<f32>() - n.iter().sum::<f32>(),
                    })
                };
                self.scan_scores(
                    node,
                    filter.as_ref(),
                    (limit, offset),
                    with_payload,
                    with_vector,
                    score,
                )
            }
        }
    }
}

impl Collection {
    /// Every point matching `filter` scored by `score` on its vector
    /// `node.using` (higher is better), merged over segments, thresholded
    /// (strictly), offset and limited.
    pub(super) fn scan_scores(
        &self,
        node: &QueryNode,
        filter: Option<&Filter>,
        (limit, offset): (usize, usize),
        with_payload: &PayloadSelector,
        with_vector: &VectorSelector,
        score: impl Fn(&Vector) -> Option<f32> + Copy,
    ) -> Result<Vec<ScoredPoint>> {
        let holder = self.shard.read();
        let segments: Vec<&segment::segment::Segment> = holder.segments().collect();
        let wanted = limit + offset;
        let mut hits: Vec<(f32, usize, u32)> = segments
            .iter()
            .enumerate()
            .flat_map(|(i, s)| {
                s.scan_scored(&node.using, filter, wanted, score)
                    .into_iter()
                    .map(move |h| (h.similarity, i, h.offset))
            })
            .collect();
        hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        Ok(hits
            .into_iter()
            .filter(|(s, _, _)| node.score_threshold.is_none_or(|t| *s > t))
            .skip(offset)
            .take(limit)
            .map(|(score, i, offset)| {
                ScoredPoint::from_record(
                    segments[i].record(offset, with_payload, with_vector),
                    score,
                )
            })
            .collect())
    }

    /// Discovery (with a target) or context search (without): context
    /// pairs rank points by how many pairs they are on the positive side
    /// of; the target's similarity breaks ties (discovery), or the pairs'
    /// soft margins score them (context).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn discover(
        &self,
        node: &QueryNode,
        target: Option<&QueryInput>,
        pairs: &[(QueryInput, QueryInput)],
        filter: Option<Filter>,
        page: (usize, usize),
        with_payload: &PayloadSelector,
        with_vector: &VectorSelector,
    ) -> Result<Vec<ScoredPoint>> {
        let using = node.using.as_str();
        let config = self.config();
        let mut mentioned: HashSet<PointId> = HashSet::new();
        let idf = self.example_idf(&config, using, node.params.idf_corpus.as_ref());
        let mut resolve = |inputs: Vec<QueryInput>| -> Result<Vec<Vector>> {
            let (vectors, ids) = self.query_examples(&config, using, &inputs, idf.as_ref())?;
            mentioned.extend(ids);
            Ok(vectors)
        };
        let target = match target {
            Some(t) => resolve(vec![t.clone()])?.pop(),
            None => None,
        };
        let mut resolved = Vec::with_capacity(pairs.len());
        for (p, n) in pairs {
            let mut v = resolve(vec![p.clone(), n.clone()])?;
            let neg = v.pop().expect("two examples");
            let pos = v.pop().expect("two examples");
            resolved.push((pos, neg));
        }
        let filter = excluding(filter, mentioned);
        let distance = distance_of(&config, using);
        let target = target.as_ref();
        let resolved = &resolved;
        let score = move |stored: &Vector| -> Option<f32> {
            match target {
                Some(t) => {
                    let mut rank = 0i32;
                    for (p, n) in resolved {
                        let (sp, sn) = (
                            raw_similarity(distance, p, stored)?,
                            raw_similarity(distance, n, stored)?,
                        );
                        rank += match sp.partial_cmp(&sn) {
                            Some(std::cmp::Ordering::Greater) => 1,
                            Some(std::cmp::Ordering::Equal) => 0,
                            _ => -1,
                        };
                    }
                    Some(rank as f32 + scaled_sigmoid(raw_similarity(distance, t, stored)?))
                }
                None => {
                    let mut total = 0.0f32;
                    for (p, n) in resolved {
                        let d = raw_similarity(distance, p, stored)?
                            - raw_similarity(distance, n, stored)?
                            - f32::EPSILON;
                        let x = d.min(0.0);
                        total += x / (1.0 + x.abs());
                    }
                    Some(total)
                }
            }
        };
        self.scan_scores(
            node,
            filter.as_ref(),
            page,
            with_payload,
            with_vector,
            score,
        )
    }
}

impl Collection {
    /// Relevance feedback with the naive strategy (see
    /// [`super::QueryKind::RelevanceFeedback`]); the points named as target
    /// or examples are left out.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn relevance_feedback(
        &self,
        node: &QueryNode,
        target: &QueryInput,
        feedback: &[(QueryInput, f32)],
        (a, b, c): (f32, f32, f32),
        filter: Option<Filter>,
        page: (usize, usize),
        with_payload: &PayloadSelector,
        with_vector: &VectorSelector,
    ) -> Result<Vec<ScoredPoint>> {
        let using = node.using.as_str();
        let config = self.config();
        let inputs: Vec<QueryInput> = std::iter::once(target.clone())
            .chain(feedback.iter().map(|(e, _)| e.clone()))
            .collect();
        let idf = self.example_idf(&config, using, node.params.idf_corpus.as_ref());
        let (mut vectors, ids) = self.query_examples(&config, using, &inputs, idf.as_ref())?;
        let target = vectors.remove(0);
        // every ordered pair of examples whose scores differ, weighted
        let mut pairs: Vec<(&Vector, &Vector, f32)> = Vec::new();
        for (i, better) in vectors.iter().enumerate() {
            for (j, worse) in vectors.iter().enumerate() {
                let confidence = feedback[i].1 - feedback[j].1;
                if i != j && confidence > 0.0 {
                    pairs.push((better, worse, confidence.powf(b) * c));
                }
            }
        }
        let filter = excluding(filter, ids.into_iter().collect());
        let distance = distance_of(&config, using);
        let (target, pairs) = (&target, &pairs);
        let score = move |stored: &Vector| -> Option<f32> {
            let mut total = a * raw_similarity(distance, target, stored)?;
            for (better, worse, weight) in pairs {
                let delta = raw_similarity(distance, better, stored)?
                    - raw_similarity(distance, worse, stored)?;
                total += weight * delta;
            }
            Some(total)
        };
        self.scan_scores(
            node,
            filter.as_ref(),
            page,
            with_payload,
            with_vector,
            score,
        )
    }
}

impl Collection {
    /// Maximal marginal relevance: the nearest `candidates`, then picked one
    /// by one by `(1 − diversity)·relevance − diversity·(max similarity to
    /// those picked)`, the most relevant first (ties go to the later
    /// candidate, as Qdrant picks them). Hits keep their search scores.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn mmr(
        &self,
        node: &QueryNode,
        query: &QueryInput,
        diversity: f32,
        candidates: usize,
        filter: Option<Filter>,
        (limit, offset): (usize, usize),
        with_payload: &PayloadSelector,
        with_vector: &VectorSelector,
    ) -> Result<Vec<ScoredPoint>> {
        let using = node.using.as_str();
        if candidates == 0 {
            return Ok(Vec::new());
        }
        let hits = self.search(&SearchRequest {
            using: using.to_string(),
            query: query.clone(),
            filter,
            limit: candidates,
            offset: 0,
            score_threshold: node.score_threshold,
            with_payload: with_payload.clone(),
            with_vector: with_vector.clone(),
            params: node.params.clone(),
        })?;
        if hits.is_empty() {
            return Ok(hits);
        }
        let config = self.config();
        let idf = self.example_idf(&config, using, node.params.idf_corpus.as_ref());
        let (mut q, _) =
            self.query_examples(&config, using, std::slice::from_ref(query), idf.as_ref())?;
        let q = q.pop().expect("one query");
        let distance = distance_of(&config, using);
        let ids: Vec<QueryInput> = hits.iter().map(|h| QueryInput::Point(h.id)).collect();
        let (vectors, _) = self.examples(using, &ids)?;
        // candidates compared with each other: one side is a query
        let mut as_queries = vectors.clone();
        sparse_queries(&mut as_queries, idf.as_ref());
        let sim =
            |a: &Vector, b: &Vector| raw_similarity(distance, a, b).unwrap_or(f32::NEG_INFINITY);
        let relevance: Vec<f32> = vectors.iter().map(|v| sim(&q, v)).collect();
        let lambda = 1.0 - diversity;
        let last_argmax = |scores: &[f32]| {
            let mut best = 0;
            for (i, s) in scores.iter().enumerate() {
                if *s >= scores[best] {
                    best = i;
                }
            }
            best
        };
        let mut pending: Vec<usize> = (0..hits.len()).collect();
        let first = last_argmax(&pending.iter().map(|&i| relevance[i]).collect::<Vec<_>>());
        let mut selected = vec![pending.swap_remove(first)];
        // Qdrant picks `limit` points and then skips `offset` of them
        while selected.len() < limit && !pending.is_empty() {
            let scores: Vec<f32> = pending
                .iter()
                .map(|&p| {
                    let closest = selected
                        .iter()
                        .map(|&s| sim(&as_queries[p], &vectors[s]))
                        .fold(f32::NEG_INFINITY, f32::max);
                    lambda * relevance[p] - (1.0 - lambda) * closest
                })
                .collect();
            if scores.iter().all(|s| *s == f32::NEG_INFINITY) {
                break;
            }
            selected.push(pending.swap_remove(last_argmax(&scores)));
        }
        let mut hits: Vec<Option<ScoredPoint>> = hits.into_iter().map(Some).collect();
        Ok(selected
            .into_iter()
            .skip(offset)
            .filter_map(|i| hits[i].take())
            .collect())
    }
}

/// `2·mean(positive) − mean(negative)`, or the mean of the positives
/// (dense and sparse examples; sparse means over the union of indices);
/// for multivectors, every positive sub-vector and every negative one
/// negated.
fn average(pos: &[Vector], neg: &[Vector]) -> Option<Vector> {
    fn mean_dense(vs: &[Vector]) -> Option<Vec<f32>> {
        let first = match vs.first()? {
            Vector::Dense(d) => d.len(),
            _ => return None,
        };
        let mut out = vec![0.0f32; first];
        for v in vs {
            if let Vector::Dense(d) = v {
                out.iter_mut().zip(d).for_each(|(o, x)| *o += x);
            }
        }
        out.iter_mut().for_each(|o| *o /= vs.len() as f32);
        Some(out)
    }
    fn mean_sparse(vs: &[Vector]) -> Option<std::collections::BTreeMap<u32, f32>> {
        let mut out = std::collections::BTreeMap::new();
        for v in vs {
            let Vector::Sparse(s) = v else { return None };
            for (i, x) in s.indices.iter().zip(&s.values) {
                *out.entry(*i).or_insert(0.0) += x / vs.len() as f32;
            }
        }
        Some(out)
    }
    match pos.first()? {
        Vector::Dense(_) => {
            let p = mean_dense(pos)?;
            Some(Vector::Dense(match mean_dense(neg) {
                Some(n) => p.iter().zip(&n).map(|(a, b)| a + a - b).collect(),
                None => p,
            }))
        }
        Vector::Sparse(_) => {
            let mut p = mean_sparse(pos)?;
            if !neg.is_empty() {
                let n = mean_sparse(neg).unwrap_or_default();
                p.values_mut().for_each(|v| *v *= 2.0);
                for (i, x) in n {
                    *p.entry(i).or_insert(0.0) -= x;
                }
            }
            Some(Vector::Sparse(segment::vectors::SparseVector {
                indices: p.keys().copied().collect(),
                values: p.values().copied().collect(),
            }))
        }
        Vector::Multi(_) => {
            // the positives' sub-vectors, then the negatives' negated
            let mut out = Vec::new();
            for v in pos {
                let Vector::Multi(m) = v else { return None };
                out.extend(m.iter().cloned());
            }
            for v in neg {
                let Vector::Multi(m) = v else { return None };
                out.extend(m.iter().map(|s| s.iter().map(|x| -x).collect::<Vec<f32>>()));
            }
            Some(Vector::Multi(out))
        }
    }
}
