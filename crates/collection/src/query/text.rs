//! Text queries: points ranked by BM25 over a text index with `scoring`.
//! The corpus is every point holding a token in the field (whatever the
//! filter); a point scores when it holds any query term.

use segment::filter::Filter;
use segment::payload_index::field_index::TextStats;
use segment::payload_index::text::Tokenizer;
use segment::selector::{PayloadSelector, VectorSelector};

use crate::collection::Collection;
use crate::error::{CollectionError, Result};
use crate::search::ScoredPoint;

use super::QueryNode;

/// BM25's default term frequency saturation.
pub const DEFAULT_BM25_K: f32 = 1.2;
/// BM25's default length normalization.
pub const DEFAULT_BM25_B: f32 = 0.75;

/// `idf = ln((N − df + ½) / (df + ½) + 1)`.
fn idf(docs: u64, df: u64) -> f64 {
    ((docs as f64 - df as f64 + 0.5) / (df as f64 + 0.5) + 1.0).ln()
}

impl Collection {
    /// A BM25 query over the text index on `node.using`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn text_search(
        &self,
        node: &QueryNode,
        text: &str,
        (k1, b): (f32, f32),
        filter: Option<&Filter>,
        (limit, offset): (usize, usize),
        with_payload: &PayloadSelector,
        with_vector: &VectorSelector,
    ) -> Result<Vec<ScoredPoint>> {
        let field = node.using.as_str();
        if field.is_empty() {
            return Err(CollectionError::BadInput(
                "A text query needs `using` to name the payload field to search".into(),
            ));
        }
        let holder = self.shard.read();
        let params = holder
            .payload_schema()
            .remove(field)
            .and_then(|(schema, _)| schema.text_params())
            .filter(|p| p.scored())
            .ok_or_else(|| {
                CollectionError::BadInput(format!(
                    "A text query needs a text index with `scoring` on `{field}`"
                ))
            })?;
        let mut terms = Tokenizer::new(&params).query_tokens(text);
        let mut seen = std::collections::HashSet::new();
        terms.retain(|t| seen.insert(t.clone()));
        if terms.is_empty() {
            return Ok(Vec::new());
        }
        let segments: Vec<&segment::segment::Segment> = holder.segments().collect();
        let mut stats = TextStats {
            df: vec![0; terms.len()],
            ..TextStats::default()
        };
        for s in &segments {
            if let Some(st) = s
                .payload_index()
                .get(field)
                .and_then(|i| i.text_stats(&terms))
            {
                stats.docs += st.docs;
                stats.total_len += st.total_len;
                stats.df.iter_mut().zip(&st.df).for_each(|(a, b)| *a += b);
            }
        }
        if stats.docs == 0 {
            return Ok(Vec::new());
        }
        let idfs: Vec<f64> = stats.df.iter().map(|df| idf(stats.docs, *df)).collect();
        let avg_len = stats.total_len as f64 / stats.docs as f64;
        let (k1, b) = (k1 as f64, b as f64);
        let mut hits: Vec<(f32, usize, u32)> = Vec::new();
        for (i, s) in segments.iter().enumerate() {
            let Some(index) = s.payload_index().get(field) else {
                continue;
            };
            for (offset, len, tf) in index.text_docs(&terms) {
                if filter.is_some_and(|f| !s.matches(offset, f)) {
                    continue;
                }
                let norm = k1 * (1.0 - b + b * len as f64 / avg_len);
                let score: f64 = tf
                    .iter()
                    .zip(&idfs)
                    .filter(|(tf, _)| **tf > 0)
                    .map(|(tf, idf)| idf * *tf as f64 * (k1 + 1.0) / (*tf as f64 + norm))
                    .sum();
                if score > 0.0 {
                    hits.push((score as f32, i, offset));
                }
            }
        }
        hits.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        Ok(hits
            .into_iter()
            .take(limit + offset)
            .filter(|(s, _, _)| node.score_threshold.is_none_or(|t| *s > t))
            .skip(offset)
            .map(|(score, i, o)| {
                ScoredPoint::from_record(segments[i].record(o, with_payload, with_vector), score)
            })
            .collect())
    }
}
