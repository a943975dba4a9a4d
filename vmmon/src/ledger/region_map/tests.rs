use super::*;
use crate::ledger::{Origin, Perms, RegionKind};
use proptest::prelude::*;
use std::collections::BTreeMap;

fn region(start: u64) -> Region {
    Region::new(
        start,
        start + 1,
        Perms::from_prot(1, false),
        RegionKind::Anon,
        Origin::Mmap,
    )
}

#[derive(Clone, Debug)]
enum Op {
    Insert(u64),
    Remove(u64),
    /// Moves the start of the region at or after this key to just after the one before.
    Rekey(u64),
    Clone,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u64..400).prop_map(Op::Insert),
        2 => (0u64..400).prop_map(Op::Remove),
        1 => (0u64..400).prop_map(Op::Rekey),
        1 => Just(Op::Clone),
    ]
}

fn starts<'a>(it: impl Iterator<Item = (&'a u64, &'a Region)>) -> Vec<u64> {
    it.map(|(&k, r)| {
        assert_eq!(k, r.start);
        k
    })
    .collect()
}

proptest! {
    /// Every operation agrees with a `BTreeMap`, through splits, joins and clones (a
    /// clone never sees a change made after it).
    #[test]
    fn behaves_as_an_ordered_map(ops in proptest::collection::vec(op(), 1..600),
                                 probes in proptest::collection::vec(0u64..420, 8)) {
        let mut map = RegionMap::new();
        let mut model: BTreeMap<u64, Region> = BTreeMap::new();
        let mut frozen: Vec<(RegionMap, Vec<u64>)> = Vec::new();
        for op in ops {
            match op {
                Op::Insert(k) => {
                    prop_assert_eq!(map.insert(k, region(k)).is_some(),
                                    model.insert(k, region(k)).is_some());
                }
                Op::Remove(k) => {
                    prop_assert_eq!(map.remove(&k).map(|r| r.start),
                                    model.remove(&k).map(|r| r.start));
                }
                Op::Rekey(k) => {
                    let Some((&at, _)) = model.range(k..).next() else { continue };
                    let to = model.range(..at).next_back().map_or(0, |(&p, _)| p + 1);
                    prop_assert_eq!(map.replace_at(at, region(to)).map(|r| r.start), Some(at));
                    model.remove(&at);
                    model.insert(to, region(to));
                }
                Op::Clone => frozen.push((map.clone(), model.keys().copied().collect())),
            }
            prop_assert_eq!(map.len(), model.len());
        }
        prop_assert_eq!(starts(map.iter()), model.keys().copied().collect::<Vec<_>>());
        prop_assert_eq!(starts(map.iter().rev()),
                        model.keys().rev().copied().collect::<Vec<_>>());
        for &p in &probes {
            prop_assert_eq!(map.get(&p).map(|r| r.start), model.get(&p).map(|r| r.start));
            prop_assert_eq!(map.get_prev(&p).map(|(k, _)| *k),
                            model.range(..=p).next_back().map(|(k, _)| *k));
            prop_assert_eq!(map.get_next(&p).map(|(k, _)| *k),
                            model.range(p..).next().map(|(k, _)| *k));
            for &q in &probes {
                let want: Vec<u64> = if p <= q {
                    model.range(p..q).map(|(k, _)| *k).collect()
                } else {
                    Vec::new()
                };
                prop_assert_eq!(starts(map.range(p..q)), want.clone());
                prop_assert_eq!(starts(map.range(p..q).rev()),
                                want.iter().rev().copied().collect::<Vec<_>>());
                if p <= q {
                    prop_assert_eq!(starts(map.range(p..=q)),
                                    model.range(p..=q).map(|(k, _)| *k).collect::<Vec<_>>());
                }
            }
            prop_assert_eq!(starts(map.range(..p)),
                            model.range(..p).map(|(k, _)| *k).collect::<Vec<_>>());
            prop_assert_eq!(starts(map.range(p..)),
                            model.range(p..).map(|(k, _)| *k).collect::<Vec<_>>());
        }
        for (copy, keys) in frozen {
            prop_assert_eq!(starts(copy.iter()), keys);
        }
    }
}

#[test]
fn a_change_after_a_clone_copies_one_chunk() {
    let mut map: RegionMap = (0..1000u64).map(|k| (k, region(k))).collect();
    let copy = map.clone();
    map.get_mut(&500).expect("there").changes = 7;
    let shared = map
        .chunks
        .iter()
        .zip(&copy.chunks)
        .filter(|(a, b)| Arc::ptr_eq(a, b))
        .count();
    assert_eq!(shared, map.chunks.len() - 1);
    assert_eq!(copy.get(&500).map(|r| r.changes), Some(0));
}

#[test]
fn each_in_a_range_is_changed_in_place_and_no_other() {
    let mut map: RegionMap = (0..1000u64).map(|k| (k * 10, region(k * 10))).collect();
    let copy = map.clone();
    let mut seen = Vec::new();
    map.each_mut_in(105, 4005, |r| {
        seen.push(r.start);
        r.changes = 1;
    });
    let want: Vec<u64> = (11..=400).map(|k| k * 10).collect();
    assert_eq!(seen, want);
    let changed: Vec<u64> = map
        .values()
        .filter(|r| r.changes == 1)
        .map(|r| r.start)
        .collect();
    assert_eq!(changed, want);
    assert!(
        copy.values().all(|r| r.changes == 0),
        "a clone keeps its own"
    );
    map.each_mut_in(20_000, 30_000, |_| panic!("nothing starts there"));
    map.each_mut_in(0, 0, |_| panic!("an empty range"));
}
