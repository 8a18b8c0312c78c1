use super::*;

fn bodies(records: &[(u64, Vec<u8>)]) -> Vec<(u64, String)> {
    records
        .iter()
        .map(|(op, b)| (*op, String::from_utf8(b.clone()).unwrap()))
        .collect()
}

#[test]
fn append_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, recs) = Wal::open(dir.path(), 1, 1).unwrap();
    assert!(recs.is_empty());
    assert_eq!(wal.append(b"a").unwrap(), 1);
    assert_eq!(wal.append(b"bb").unwrap(), 2);
    drop(wal);
    let (wal, recs) = Wal::open(dir.path(), 1, 1).unwrap();
    assert_eq!(bodies(&recs), vec![(1, "a".into()), (2, "bb".into())]);
    assert_eq!(wal.next_op(), 3);
}

#[test]
fn truncation_keeps_unpersisted_records() {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _) = Wal::open(dir.path(), 1, 1).unwrap();
    for i in 0..5 {
        wal.append(format!("r{i}").as_bytes()).unwrap();
    }
    wal.truncate_through(5).unwrap();
    wal.append(b"r5").unwrap();
    drop(wal);
    let (wal, recs) = Wal::open(dir.path(), 1, 1).unwrap();
    assert_eq!(bodies(&recs), vec![(6, "r5".into())]);
    assert_eq!(wal.next_op(), 7);
    drop(wal);
    let (mut wal, _) = Wal::open(dir.path(), 1, 1).unwrap();
    wal.truncate_through(6).unwrap();
    drop(wal);
    let (wal, recs) = Wal::open(dir.path(), 1, 1).unwrap();
    assert!(recs.is_empty());
    assert_eq!(
        wal.next_op(),
        7,
        "numbering continues after a full truncation"
    );
}

/// Cutting or corrupting the log at any byte of its tail keeps every record
/// before the damage and leaves a log that accepts new records.
#[test]
fn damage_at_every_tail_offset() {
    let dir = tempfile::tempdir().unwrap();
    let (mut wal, _) = Wal::open(dir.path(), 1, 1).unwrap();
    let bodies_in: Vec<Vec<u8>> = (0..4).map(|i| vec![i as u8; 5 + i]).collect();
    let mut ends = Vec::new();
    let mut total = 0;
    for b in &bodies_in {
        wal.append(b).unwrap();
        total += HEADER + b.len();
        ends.push(total);
    }
    drop(wal);
    let file = fs::read_dir(dir.path())
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let original = fs::read(&file).unwrap();
    let tail_start = ends[1];
    for cut in tail_start..original.len() {
        for corrupt in [false, true] {
            let mut data = original.clone();
            if corrupt {
                data[cut] ^= 0x5a;
            } else {
                data.truncate(cut);
            }
            fs::write(&file, &data).unwrap();
            let (mut wal, recs) = Wal::open(dir.path(), 1, 1).unwrap();
            let intact = ends.iter().filter(|&&e| e <= cut).count();
            assert_eq!(recs.len(), intact, "cut={cut} corrupt={corrupt}");
            for (i, (op, body)) in recs.iter().enumerate() {
                assert_eq!(*op, i as u64 + 1);
                assert_eq!(body, &bodies_in[i]);
            }
            let op = wal.append(b"new").unwrap();
            assert_eq!(op, intact as u64 + 1);
            drop(wal);
            let (_, again) = Wal::open(dir.path(), 1, 1).unwrap();
            assert_eq!(
                again.len(),
                intact + 1,
                "cut={cut} corrupt={corrupt}: log usable after recovery"
            );
        }
    }
}
