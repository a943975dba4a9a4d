//! Property tests: the ledger against the [`page_model`](super::page_model). Over random
//! sequences of every operation, overlaps and failures included, the two agree on every
//! page's permissions and kind, and on the totals; the call sites' bytes add up to what is
//! mapped.

use super::page_model::{BASE, Model, kernel, op};
use crate::ledger::{AddressSpace, Call, PAGE, Perms, RegionKind, apply_call};
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
