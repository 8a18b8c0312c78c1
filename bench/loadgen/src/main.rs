//! gRPC load generator for the side-by-side server benchmark (bench/server.py
//! `--loadgen`): the Python client's own CPU caps the query rate on a small
//! machine, this one barely uses any.
//!
//! loadgen --url http://127.0.0.1:PORT --collection NAME --queries Q.f32 --dim D
//!         --gt Q.gt --ef E --threads T [--batch 16] [--limit 10]
//!         [--filter-key K --filter-value V]
//!
//! Queries are raw little-endian f32 rows of `dim`; the ground truth is
//! little-endian u32 ids, the same number per query (the first `limit` are
//! used). The queries go out in `query_batch` requests of `batch` dense
//! queries (hnsw_ef = E, limit, the optional keyword must-condition) from T
//! tokio tasks, each with its own client (its own channels), the batches dealt
//! round-robin; one untimed warm-up pass, then one timed pass. Prints one JSON
//! line: qps (queries / wall seconds), p50/p99 per-request latency in ms,
//! recall (|returned ids & gt[..limit]| / limit, averaged; ids are row numbers).

use std::{collections::HashMap, sync::Arc, time::Instant};

use anyhow::{bail, Context, Result};
use qdrant_client::qdrant::{
    point_id::PointIdOptions, Condition, Filter, Query, QueryBatchPoints, QueryBatchPointsBuilder,
    QueryPointsBuilder, SearchParamsBuilder,
};
use qdrant_client::Qdrant;

/// `--name value` pairs; every flag takes a value.
fn parse_args() -> Result<HashMap<String, String>> {
    let mut args = std::env::args().skip(1);
    let mut out = HashMap::new();
    while let Some(flag) = args.next() {
        let Some(name) = flag.strip_prefix("--") else {
            bail!("unexpected argument {flag}")
        };
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        out.insert(name.to_string(), value);
    }
    Ok(out)
}

fn read_le<const N: usize>(path: &str) -> Result<Vec<[u8; N]>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {path}"))?;
    Ok(bytes
        .chunks_exact(N)
        .map(|c| c.try_into().unwrap())
        .collect())
}

/// Linear-interpolated percentile (numpy's default), `p` in 0..=100.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    let pos = p / 100.0 * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// One pass over all batches: (wall seconds, per-request ms, hits per batch).
async fn pass(
    clients: &[Arc<Qdrant>],
    batches: &Arc<Vec<QueryBatchPoints>>,
    gt: &Arc<Vec<Vec<u64>>>,
) -> Result<(f64, Vec<f64>, usize)> {
    let start = Instant::now();
    let tasks: Vec<_> =
        clients
            .iter()
            .enumerate()
            .map(|(k, client)| {
                let (client, batches, gt, threads) =
                    (client.clone(), batches.clone(), gt.clone(), clients.len());
                tokio::spawn(async move {
                    let (mut lat, mut hits) = (Vec::new(), 0);
                    for i in (k..batches.len()).step_by(threads) {
                        let t = Instant::now();
                        let resp = client.query_batch(batches[i].clone()).await?;
                        lat.push(t.elapsed().as_secs_f64() * 1e3);
                        for (j, res) in resp.result.iter().enumerate() {
                            let truth = &gt[i * batches[0].query_points.len() + j];
                            hits += res.result.iter().filter(|p| {
                        matches!(p.id.as_ref().and_then(|id| id.point_id_options.as_ref()),
                                 Some(PointIdOptions::Num(n)) if truth.contains(n))
                    }).count();
                        }
                    }
                    anyhow::Ok((lat, hits))
                })
            })
            .collect();
    let (mut lat, mut hits) = (Vec::new(), 0);
    for task in tasks {
        let (l, h) = task.await??;
        lat.extend(l);
        hits += h;
    }
    Ok((start.elapsed().as_secs_f64(), lat, hits))
}

fn main() -> Result<()> {
    let args = parse_args()?;
    let get = |name: &str, default: Option<&str>| -> Result<String> {
        args.get(name)
            .cloned()
            .or(default.map(str::to_string))
            .with_context(|| format!("--{name} is required"))
    };
    let num = |name: &str, default: Option<&str>| -> Result<usize> {
        get(name, default)?
            .parse()
            .with_context(|| format!("--{name} must be a number"))
    };
    let (url, collection) = (get("url", None)?, get("collection", None)?);
    let (dim, ef, threads) = (
        num("dim", None)?,
        num("ef", None)?,
        num("threads", None)?.max(1),
    );
    let (batch, limit) = (num("batch", Some("16"))?.max(1), num("limit", Some("10"))?);

    let floats: Vec<f32> = read_le::<4>(&get("queries", None)?)?
        .into_iter()
        .map(f32::from_le_bytes)
        .collect();
    let queries: Vec<&[f32]> = floats.chunks_exact(dim).collect();
    let ids: Vec<u64> = read_le::<4>(&get("gt", None)?)?
        .into_iter()
        .map(|b| u32::from_le_bytes(b) as u64)
        .collect();
    if queries.is_empty() || ids.len() % queries.len() != 0 || ids.len() / queries.len() < limit {
        bail!(
            "{} ground-truth ids do not fit {} queries x {limit}",
            ids.len(),
            queries.len()
        );
    }
    let per = ids.len() / queries.len();
    let gt = Arc::new(
        ids.chunks(per)
            .map(|c| c[..limit].to_vec())
            .collect::<Vec<_>>(),
    );

    let filter = match (args.get("filter-key"), args.get("filter-value")) {
        (Some(k), Some(v)) => Some(Filter::must([Condition::matches(k.clone(), v.clone())])),
        (None, None) => None,
        _ => bail!("--filter-key and --filter-value go together"),
    };
    let batches = Arc::new(
        queries
            .chunks(batch)
            .map(|chunk| {
                let points = chunk
                    .iter()
                    .map(|q| {
                        let mut p = QueryPointsBuilder::new(&collection)
                            .query(Query::new_nearest(q.to_vec()))
                            .limit(limit as u64)
                            .params(SearchParamsBuilder::default().hnsw_ef(ef as u64));
                        if let Some(f) = &filter {
                            p = p.filter(f.clone());
                        }
                        p.build()
                    })
                    .collect::<Vec<_>>();
                QueryBatchPointsBuilder::new(&collection, points).build()
            })
            .collect::<Vec<_>>(),
    );

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()?;
    let (secs, mut lat, hits) = rt.block_on(async {
        let clients = (0..threads)
            .map(|_| {
                Ok(Arc::new(
                    Qdrant::from_url(&url)
                        .timeout(300u64)
                        .skip_compatibility_check()
                        .build()?,
                ))
            })
            .collect::<Result<Vec<_>>>()?;
        pass(&clients, &batches, &gt).await?; // warm-up: connections, caches
        pass(&clients, &batches, &gt).await
    })?;
    lat.sort_by(f64::total_cmp);
    println!(
        "{{\"qps\":{},\"p50_ms\":{},\"p99_ms\":{},\"recall\":{},\"threads\":{threads},\"ef\":{ef},\"queries\":{},\"batch\":{batch}}}",
        queries.len() as f64 / secs, percentile(&lat, 50.0), percentile(&lat, 99.0),
        hits as f64 / (queries.len() * limit) as f64, queries.len()
    );
    Ok(())
}
