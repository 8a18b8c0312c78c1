use super::*;
use crate::segment::search::ScoredOffset;
use crate::segment::search::TopK;
use crate::vector_storage::{DenseData, DenseQuery, Element};

/// Clustered random vectors: real embeddings are not uniform, and uniform
/// data makes every index look the same.
fn dataset(n: usize, dim: usize, seed: u64) -> Vec<f32> {
    let mut state = seed;
    let mut rnd = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f32 / (1u64 << 53) as f32 * 2.0 - 1.0
    };
    let centers: Vec<Vec<f32>> = (0..20).map(|_| (0..dim).map(|_| rnd()).collect()).collect();
    let mut out = Vec::with_capacity(n * dim);
    for i in 0..n {
        let c = &centers[i % centers.len()];
        let mut v: Vec<f32> = c.iter().map(|x| x + 0.3 * rnd()).collect();
        crate::vectors::normalize(&mut v);
        out.extend(v);
    }
    out
}

fn brute(
    v: &DenseVectors<'_>,
    n: usize,
    q: &[f32],
    top: usize,
    accept: impl Fn(u32) -> bool,
) -> Vec<u32> {
    let mut best = TopK::new(top);
    for o in 0..n as u32 {
        if accept(o) {
            best.push(ScoredOffset {
                similarity: v.similarity_to(&DenseQuery::F32(q.to_vec()), o),
                offset: o,
            });
        }
    }
    best.into_sorted().into_iter().map(|h| h.offset).collect()
}

/// The f32 vectors of `store` compared by `distance`.
fn f32_view(store: &DenseData, dim: usize, distance: Distance) -> DenseVectors<'_> {
    DenseVectors {
        data: store.as_slice(),
        dim,
        distance,
    }
}

/// A graph with default parameters over `offsets`.
fn default_graph(v: DenseVectors<'_>, offsets: Vec<u32>) -> HnswIndex {
    HnswBuilder::new(HnswParams::default(), v, offsets).build()
}

fn recall(distance: Distance, deterministic: bool, filter_mod: u32) -> f64 {
    recall_with(distance, deterministic, filter_mod, false)
}

/// Recall@10 at ef 64; `guided`: the build walks int8 codes.
fn recall_with(distance: Distance, deterministic: bool, filter_mod: u32, guided: bool) -> f64 {
    let (n, dim) = (3000, 24);
    // queries come from the same distribution, held out of the graph
    let all = dataset(n + 100, dim, 7);
    let (data, queries) = all.split_at(n * dim);
    let store = DenseData::from_flat(Element::F32, dim, data);
    let v = DenseVectors {
        data: store.as_slice(),
        dim,
        distance,
    };
    let params = HnswParams {
        m: 16,
        ef_construct: 100,
        seed: 1,
        deterministic,
    };
    let offsets: Vec<u32> = (0..n as u32).collect();
    let codes = guided.then(|| {
        crate::quantization::QuantizedVectors::build(
            crate::quantization::Method::Scalar { quantile: 0.99 },
            distance,
            dim,
            &store,
            &offsets,
        )
    });
    let index = HnswBuilder::new(params, v, offsets)
        .with_codes(codes.as_ref())
        .build();
    let mut hit = 0;
    let mut total = 0;
    for q in queries.chunks(dim) {
        let qq = DenseQuery::F32(q.to_vec());
        let accept = |o: u32| o.is_multiple_of(filter_mod);
        let exact = brute(&v, n, q, 10, accept);
        let found: Vec<u32> = index
            .search(10, 64, |o| v.similarity_to(&qq, o), accept)
            .into_iter()
            .map(|h| h.offset)
            .collect();
        total += exact.len();
        hit += exact.iter().filter(|o| found.contains(o)).count();
    }
    hit as f64 / total as f64
}

#[test]
fn recall_against_brute_force() {
    for distance in [
        Distance::Cosine,
        Distance::Dot,
        Distance::Euclid,
        Distance::Manhattan,
    ] {
        let r = recall(distance, false, 1);
        assert!(r >= 0.95, "{distance:?}: recall {r}");
    }
}

#[test]
fn builds_guided_by_int8_codes_keep_recall() {
    for distance in [
        Distance::Cosine,
        Distance::Dot,
        Distance::Euclid,
        Distance::Manhattan,
    ] {
        let plain = recall_with(distance, true, 1, false);
        let guided = recall_with(distance, true, 1, true);
        assert!(
            guided >= 0.95 && guided >= plain - 0.01,
            "{distance:?}: guided {guided}, plain {plain}"
        );
    }
}

#[test]
fn filtered_recall() {
    let r = recall(Distance::Cosine, false, 5);
    assert!(r >= 0.9, "recall with a 20% filter: {r}");
}

#[test]
fn deterministic_build_is_reproducible() {
    let data = dataset(500, 8, 3);
    let store = DenseData::from_flat(Element::F32, 8, &data);
    let v = DenseVectors {
        data: store.as_slice(),
        dim: 8,
        distance: Distance::Euclid,
    };
    let params = HnswParams {
        deterministic: true,
        ..HnswParams::default()
    };
    let a = HnswBuilder::new(params, v, (0..500).collect()).build();
    let b = HnswBuilder::new(params, v, (0..500).collect()).build();
    assert_eq!(a.layer0[..], b.layer0[..]);
    assert_eq!(a.entry, b.entry);
    assert!(recall(Distance::Euclid, true, 1) >= 0.95);
}

#[test]
fn empty_and_tiny_graphs() {
    let data: Vec<f32> = vec![1.0, 0.0, 0.0, 1.0];
    let store = DenseData::from_flat(Element::F32, 2, &data);
    let v = DenseVectors {
        data: store.as_slice(),
        dim: 2,
        distance: Distance::Dot,
    };
    let empty = HnswBuilder::new(HnswParams::default(), v, vec![]).build();
    assert!(empty.search(3, 10, |_| 0.0, |_| true).is_empty());
    let two = HnswBuilder::new(HnswParams::default(), v, vec![0, 1]).build();
    let found = two.search(
        5,
        10,
        |o| v.similarity_to(&DenseQuery::F32(vec![1.0, 0.0]), o),
        |_| true,
    );
    assert_eq!(
        found.iter().map(|h| h.offset).collect::<Vec<_>>(),
        vec![0, 1]
    );
}

/// Graphs over f16 and byte storage find what a brute-force scan in the
/// same element type finds.
#[test]
fn typed_storage_recall() {
    let (n, dim) = (2000, 16);
    let all = dataset(n + 50, dim, 11);
    for (element, distance) in [
        (Element::F16, Distance::Cosine),
        (Element::F16, Distance::Euclid),
        (Element::U8, Distance::Cosine),
        (Element::U8, Distance::Dot),
        (Element::U8, Distance::Euclid),
        (Element::U8, Distance::Manhattan),
        (Element::Turbo4, Distance::Cosine),
        (Element::Turbo4, Distance::Euclid),
        (Element::Turbo8, Distance::Dot),
        (Element::Turbo8, Distance::Manhattan),
    ] {
        // bytes need a 0..255 range
        let scaled: Vec<f32> = all.iter().map(|x| (x + 1.0) * 127.0).collect();
        let src = if element == Element::U8 {
            &scaled
        } else {
            &all
        };
        let (data, queries) = src.split_at(n * dim);
        let typed = DenseData::from_flat(element, dim, data);
        let v = DenseVectors {
            data: typed.as_slice(),
            dim,
            distance,
        };
        let index = HnswBuilder::new(HnswParams::default(), v, (0..n as u32).collect()).build();
        let (mut hit, mut total) = (0, 0);
        for q in queries.chunks(dim) {
            let qq = DenseQuery::new(element, q);
            let mut best = TopK::new(10);
            for o in 0..n as u32 {
                best.push(ScoredOffset {
                    similarity: v.similarity_to(&qq, o),
                    offset: o,
                });
            }
            let exact: Vec<u32> = best.into_sorted().iter().map(|h| h.offset).collect();
            let found: Vec<u32> = index
                .search(10, 128, |o| v.similarity_to(&qq, o), |_| true)
                .iter()
                .map(|h| h.offset)
                .collect();
            total += exact.len();
            hit += exact.iter().filter(|o| found.contains(o)).count();
        }
        let r = hit as f64 / total as f64;
        // inner product over all-positive bytes is not a metric: the
        // graph's neighbourhoods help less
        let floor = if distance == Distance::Dot {
            0.85
        } else {
            0.95
        };
        assert!(r >= floor, "{element:?} {distance:?}: recall {r}");
    }
}

/// A saved graph loads back (level 0 mapped from the file) and answers
/// exactly as the built one; damage is detected.
#[test]
fn save_load_round_trip() {
    let (n, dim) = (1500, 12);
    let data = dataset(n, dim, 5);
    let store = DenseData::from_flat(Element::F32, dim, &data);
    let v = f32_view(&store, dim, Distance::Cosine);
    let index = default_graph(v, (0..n as u32).collect());
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("graph.bin");
    index.save(&path).expect("save");
    let loaded = HnswIndex::load(&path).expect("load");
    assert!(matches!(loaded.layer0, Links::Mapped(_)));
    assert_eq!(loaded.offsets(), index.offsets());
    assert_eq!(loaded.upper, index.upper);
    assert_eq!(loaded.layer0[..], index.layer0[..]);
    for q in data.chunks(dim).take(20) {
        let qq = DenseQuery::F32(q.to_vec());
        let a = index.search(10, 32, |o| v.similarity_to(&qq, o), |_| true);
        let b = loaded.search(10, 32, |o| v.similarity_to(&qq, o), |_| true);
        assert_eq!(a, b);
    }
    let mut bytes = std::fs::read(&path).expect("read");
    bytes[100] ^= 0xff;
    std::fs::write(&path, &bytes).expect("write");
    assert!(HnswIndex::load(&path).is_err());
    std::fs::write(&path, &bytes[..50]).expect("write");
    assert!(HnswIndex::load(&path).is_err());
}

/// Level-0 rows hold their links first and only empty slots after them
/// (walks stop at the first empty slot); a file whose rows keep stale
/// links past their counts loads clean.
#[test]
fn rows_end_at_the_first_empty_slot() {
    let (n, dim) = (1200, 12);
    let data = dataset(n, dim, 9);
    let store = DenseData::from_flat(Element::F32, dim, &data);
    let v = f32_view(&store, dim, Distance::Cosine);
    let index = default_graph(v, (0..n as u32).collect());
    assert!(index.offsets.identity);
    let m0 = index.m0;
    let short = (0..n as u32)
        .find(|&node| index.links0(node).len() < m0)
        .expect("a node with a free slot");
    for node in 0..n as u32 {
        let row = &index.layer0[node as usize * m0..(node as usize + 1) * m0];
        let used = index.links0(node).len();
        assert!(used > 0, "node {node} has links");
        assert!(row[used..].iter().all(|&l| l == EMPTY));
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("graph.bin");
    index.save(&path).expect("save");
    // a stale link after the count of `short`, with the checksum redone
    let mut bytes = std::fs::read(&path).expect("read");
    let layer0_at = 24 + n * 4 + (n * 2).next_multiple_of(4) + n.next_multiple_of(4);
    let slot = layer0_at + (short as usize * m0 + m0 - 1) * 4;
    bytes[slot..slot + 4].copy_from_slice(&7u32.to_le_bytes());
    let body = bytes.len() - 4;
    let crc = crc32fast::hash(&bytes[..body]);
    bytes[body..].copy_from_slice(&crc.to_le_bytes());
    std::fs::write(&path, &bytes).expect("write");
    let loaded = HnswIndex::load(&path).expect("load");
    assert!(matches!(loaded.layer0, Links::Owned(_)));
    assert_eq!(loaded.layer0[..], index.layer0[..]);
    let in_ram = HnswIndex::load_in_ram(&path).expect("load");
    assert!(matches!(in_ram.layer0, Links::Owned(_)));
    assert_eq!(in_ram.layer0[..], index.layer0[..]);
}

/// A graph over some of the offsets (node `i` is not offset `i`) answers
/// with those offsets only.
#[test]
fn graphs_over_some_offsets_map_nodes_back() {
    let (n, dim) = (2000, 16);
    let data = dataset(n, dim, 3);
    let store = DenseData::from_flat(Element::F32, dim, &data);
    let v = f32_view(&store, dim, Distance::Dot);
    let index = default_graph(v, (0..n as u32).filter(|o| o % 2 == 1).collect());
    assert!(!index.offsets.identity);
    let mut hits = 0;
    for q in data.chunks(dim).take(50) {
        let qq = DenseQuery::F32(q.to_vec());
        let found: Vec<u32> = index
            .search(10, 64, |o| v.similarity_to(&qq, o), |_| true)
            .into_iter()
            .map(|h| h.offset)
            .collect();
        assert!(found.iter().all(|o| o % 2 == 1), "{found:?}");
        let truth = brute(&v, n, q, 10, |o| o % 2 == 1);
        hits += truth.iter().filter(|o| found.contains(o)).count();
    }
    assert!(hits as f64 / 500.0 > 0.95, "recall {}", hits as f64 / 500.0);
}

/// Nodes reachable from the entry over level-0 links.
fn reachable0(index: &HnswIndex) -> usize {
    let Some(entry) = index.entry else {
        return 0;
    };
    let mut seen = vec![false; index.len()];
    let mut stack = vec![entry];
    seen[entry as usize] = true;
    let mut count = 1;
    while let Some(n) = stack.pop() {
        for &l in index.links0(n) {
            if !seen[l as usize] {
                seen[l as usize] = true;
                count += 1;
                stack.push(l);
            }
        }
    }
    count
}

/// Exact duplicates (a point moved onto another's vector, re-uploads) and
/// parallel insertion leave no node unreachable, and a duplicate's search
/// finds all its copies.
#[test]
fn duplicates_in_parallel_builds_stay_reachable() {
    let (distinct, copies, dim) = (700, 3, 12);
    let base = dataset(distinct, dim, 17);
    // copies of a vector interleaved with the others, as writes arrive
    let data: Vec<f32> = (0..copies).flat_map(|_| base.iter().copied()).collect();
    let n = distinct * copies;
    let store = DenseData::from_flat(Element::F32, dim, &data);
    let v = DenseVectors {
        data: store.as_slice(),
        dim,
        distance: Distance::Cosine,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(4)
        .build()
        .expect("pool");
    // unrepaired, about one build in ten lost a node here
    for seed in 0..16 {
        let params = HnswParams {
            m: 8,
            ef_construct: 32,
            seed,
            deterministic: false,
        };
        let index = pool.install(|| HnswBuilder::new(params, v, (0..n as u32).collect()).build());
        assert_eq!(reachable0(&index), n, "seed {seed}: unreachable nodes");
        let mut missed = 0;
        for i in 0..distinct {
            let qq = DenseQuery::F32(base[i * dim..(i + 1) * dim].to_vec());
            let found = index.search(copies, 64, |o| v.similarity_to(&qq, o), |_| true);
            missed += (0..copies)
                .filter(|c| !found.iter().any(|h| h.offset as usize == c * distinct + i))
                .count();
        }
        assert!(missed <= n / 100, "seed {seed}: {missed} copies not found");
    }
}

/// Upper-level links are kept only for nodes that have upper levels.
#[test]
fn upper_links_are_sparse() {
    let mut upper = Upper::default();
    upper.push(2, vec![vec![5, 7], vec![9]]);
    upper.push(4, Vec::new());
    upper.push(8, vec![vec![2]]);
    assert_eq!(upper.nodes, [2, 8]);
    assert_eq!(upper.links(2, 1), [5, 7]);
    assert_eq!(upper.links(2, 2), [9]);
    assert_eq!(upper.links(2, 3), [] as [u32; 0]);
    assert_eq!(upper.links(4, 1), [] as [u32; 0]);
    assert_eq!(upper.links(8, 1), [2]);
    assert_eq!(
        upper.iter().map(|(n, l)| (n, l.len())).collect::<Vec<_>>(),
        [(2, 2), (8, 1)]
    );
}

/// A graph extended from one built over its first nodes (what a merge
/// does with its largest segment's graph) keeps those links, reaches every
/// node and finds as well as a graph built whole.
#[test]
fn extending_a_graph_keeps_its_links_and_recall() {
    let (n, base_n, dim) = (3000, 2000, 24);
    let all = dataset(n + 100, dim, 11);
    let (data, queries) = all.split_at(n * dim);
    let store = DenseData::from_flat(Element::F32, dim, data);
    let v = f32_view(&store, dim, Distance::Cosine);
    let params = HnswParams {
        m: 16,
        ef_construct: 100,
        seed: 3,
        deterministic: false,
    };
    let base = HnswBuilder::new(params, v, (0..base_n as u32).collect()).build();
    let extended = HnswBuilder::new(params, v, (0..n as u32).collect())
        .with_base(Some(&base))
        .build();
    assert_eq!(extended.len(), n);
    assert_eq!(reachable0(&extended), n);
    assert_eq!(&extended.levels[..base_n], &base.levels[..]);
    // the base's links stay, apart from reverse links to new nodes
    let kept = (0..base_n as u32)
        .filter(|&node| {
            base.links0(node)
                .iter()
                .all(|l| extended.links0(node).contains(l))
        })
        .count();
    assert!(kept * 2 > base_n, "{kept} of {base_n} rows kept whole");
    let mut hit = 0;
    for q in queries.chunks(dim) {
        let qq = DenseQuery::F32(q.to_vec());
        let exact = brute(&v, n, q, 10, |_| true);
        let found: Vec<u32> = extended
            .search(10, 64, |o| v.similarity_to(&qq, o), |_| true)
            .into_iter()
            .map(|h| h.offset)
            .collect();
        hit += exact.iter().filter(|o| found.contains(o)).count();
    }
    let r = hit as f64 / (queries.len() / dim * 10) as f64;
    assert!(r >= 0.95, "recall {r}");
    // a base of another `m` is not used
    let other = HnswBuilder::new(
        HnswParams { m: 8, ..params },
        v,
        (0..base_n as u32).collect(),
    )
    .build();
    let fresh = HnswBuilder::new(params, v, (0..n as u32).collect())
        .with_base(Some(&other))
        .build();
    assert_eq!(reachable0(&fresh), n);
}
