//! Property tests: the ledger against the [`page_model`](super::page_model). Over random
//! sequences of every operation, overlaps and failures included, the two agree on every
//! page's permissions and kind, and on the totals; the call sites' bytes add up to what is
//! mapped.

use super::page_model::{BASE, Model, kernel, op};
use crate::ledger::{AddressSpace, Call, PAGE, Perms, RegionKind, Sums, apply_call};
use proptest::prelude::*;
use std::collections::BTreeMap;

/// Pages as runs, `12-19 rw-p Anon`, for readable failures.
fn render(pages: &BTreeMap<u64, (Perms, RegionKind)>) -> String {
    let mut out = String::new();
    let mut run: Option<(u64, u64, (Perms, RegionKind))> = None;
    for (&p, &v) in pages {
        match &mut run {
            Some((_, e, rv)) if *e + 1 == p && *rv == v => *e = p,
            _ => {
                if let Some((s, e, (perm, k))) = run.take() {
                    out.push_str(&format!("{s}-{e} {perm} {k:?}; "));
                }
                run = Some((p, p, v));
            }
        }
    }
    if let Some((s, e, (perm, k))) = run {
        out.push_str(&format!("{s}-{e} {perm} {k:?}"));
    }
    out
}

/// The ledger's view, page by page.
fn pages_of(space: &AddressSpace) -> BTreeMap<u64, (Perms, RegionKind)> {
    let mut out = BTreeMap::new();
    for r in space.regions() {
        assert_eq!(r.start % PAGE, 0, "region start not page aligned: {r:?}");
        assert_eq!(r.end % PAGE, 0, "region end not page aligned: {r:?}");
        assert!(r.start < r.end, "empty region {r:?}");
        for a in (r.start..r.end).step_by(PAGE as usize) {
            out.insert((a - BASE) / PAGE, (r.perms, r.kind));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn ledger_agrees_with_the_page_model(ops in proptest::collection::vec(op(), 1..60)) {
        let mut model = Model::default();
        let mut space = AddressSpace::new();
        for (i, op) in ops.iter().enumerate() {
            let Some(ev) = kernel(&mut model, op) else { continue };
            let before = pages_of(&space);
            // Every call from a site of its own: the sites' bytes must add up to what is
            // mapped, whatever splits, merges and moves did to the regions.
            let call = Call { tid: 1, ts_ns: i as u64, site: i as u64 + 1 };
            apply_call(&mut space, &ev, call);
            let got = pages_of(&space);
            if ev.errno().is_some() {
                prop_assert!(got == before, "failed call #{} {:?} changed the ledger:\n  before {}\n  after  {}", i, ev, render(&before), render(&got));
            }
            prop_assert!(got == model.pages, "after op #{} {:?} -> {:?}\n  ledger {}\n  model  {}\n  before {}", i, op, ev, render(&got), render(&model.pages), render(&before));
            let total: u64 = space.regions().map(|r| r.len()).sum();
            prop_assert_eq!(total, model.pages.len() as u64 * PAGE);
            prop_assert_eq!(space.totals().virtual_bytes, total);
            prop_assert_eq!(*space.sums(), Sums::of(space.regions()), "sums (bytes and mappings by kind) drifted");
            let by_sites: u64 = space.sites().iter().map(|t| t.bytes).sum();
            prop_assert_eq!(by_sites, total, "the call sites' bytes are not what is mapped");
            for r in space.regions() {
                let mut runs = 0;
                r.sites.each(r.len(), |_, b| runs += b);
                prop_assert_eq!(runs, r.len(), "runs of {:?} do not cover it", r);
            }
            prop_assert!(space.totals().peak_virtual_bytes >= total);
            // No two regions overlap, and they are in order.
            for w in space.regions().collect::<Vec<_>>().windows(2) {
                prop_assert!(w[0].end <= w[1].start, "overlap {:?} {:?}", w[0], w[1]);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A call applied after `begin` and undone leaves the address space exactly as it was:
    /// regions, totals, sums, break and the late unmaps it remembers (what the check's
    /// other assumptions are tried on).
    #[test]
    fn an_undone_call_leaves_no_trace(ops in proptest::collection::vec(op(), 1..60)) {
        let mut model = Model::default();
        let mut space = AddressSpace::new();
        for (i, op) in ops.iter().enumerate() {
            let Some(ev) = kernel(&mut model, op) else { continue };
            let call = Call { tid: 1 + i as u32 % 2, ts_ns: i as u64, site: i as u64 + 1 };
            let before = space.clone();
            space.begin();
            apply_call(&mut space, &ev, call);
            space.undo();
            prop_assert!(space.regions().eq(before.regions()), "op #{} {:?} left regions", i, ev);
            prop_assert_eq!(space.totals(), before.totals());
            prop_assert_eq!(space.sums(), before.sums());
            prop_assert_eq!((space.brk_start, space.brk), (before.brk_start, before.brk));
            prop_assert_eq!(format!("{:?}", space.displaced), format!("{:?}", before.displaced));
            apply_call(&mut space, &ev, call);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// A mapping put in merged with its neighbours in one step leaves exactly what putting
    /// it in and then merging around it leaves (regions, flags, sites, sums), read from
    /// `/proc` or made by calls, leniently or not.
    #[test]
    fn mapping_and_merging_at_once_is_mapping_then_merging(
        ops in proptest::collection::vec(op(), 0..40),
        page in 0..super::page_model::SPAN,
        n in 1u64..8,
        prot in 0u32..8,
        guessed in any::<bool>(),
        lenient in any::<bool>(),
    ) {
        use crate::ledger::{Origin, Region};
        let mut model = Model::default();
        let mut space = AddressSpace::new();
        for (i, op) in ops.iter().enumerate() {
            if let Some(ev) = kernel(&mut model, op) {
                apply_call(&mut space, &ev, Call { tid: 1, ts_ns: i as u64, site: i as u64 % 3 });
            }
        }
        if guessed {
            // As read from /proc: flags guessed.
            let regions: Vec<Region> = space.regions().cloned().map(|mut r| {
                r.guessed = true;
                r.origin = Origin::Procfs;
                r
            }).collect();
            space = AddressSpace::from_regions(regions);
        }
        let start = BASE + page * PAGE;
        let mut r = Region::new(start, start + n * PAGE, Perms::from_prot(prot, false), RegionKind::Anon, Origin::Mmap);
        r.sites = crate::ledger::SiteSpans::of(7);
        r.attrs = crate::ledger::Attrs::of_mmap(prot, 0x22);
        let mut one = space.clone();
        one.map_merging(r.clone(), lenient);
        let mut two = space;
        two.map(r.clone());
        two.merge_around(r.start, r.end, lenient);
        prop_assert!(one.regions().eq(two.regions()), "\n  at once {:?}\n  then    {:?}", one.regions().collect::<Vec<_>>(), two.regions().collect::<Vec<_>>());
        prop_assert_eq!(one.sums(), two.sums());
        prop_assert_eq!(one.totals(), two.totals());
    }
}
