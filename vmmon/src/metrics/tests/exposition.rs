//! The whole exposition of one rich snapshot, byte for byte: every family, its help, its
//! series and the histograms' buckets (`exposition.txt`).

use super::*;
use crate::fixtures::exit_of;
use crate::ledger::{Cause, Mismatch, Verdict};
use std::time::Duration;

/// One comm and one unit group named and the rest in `other` (live processes and exited
/// ones), exits in both (one past the last size bound, one without figures), and every
/// counter of the machine and the agent set.
fn rich_snapshot() -> Snapshot {
    let opts = TallyOptions {
        top_k: 1,
        max_groups: 1,
        ..DEFAULTS
    };
    let live = vec![
        proc(1, "db", 3 << 30, 0),
        proc(2, "web", 64 << 20, 4096),
        proc(3, "cron", 1 << 20, 0),
    ];
    let mut tally = Tally::new(opts);
    tally.update(1.0, live.iter(), &[]);
    let mut without_figures = exit_of(&proc(7, "cron", 1, 0), 1, 0);
    without_figures.peak_virtual_bytes = None;
    without_figures.peak_resident_bytes = None;
    let exits = [
        exit_of(&proc(4, "db", 1, 0), 3, 3 << 20),
        exit_of(&proc(5, "db", 1, 0), 9, 2 << 30),
        exit_of(&proc(6, "web", 1, 0), 1, 100 << 30),
        without_figures,
        exit_of(&proc(8, "cron", 1, 0), 2, 70 << 20),
    ];
    tally.update(2.0, live.iter(), &exits);
    let mut s = snapshot_with(live, opts);
    s.tally = Arc::new(tally.published());
    s.totals.programs_attached = 43;
    s.totals.bytes_mapped = 1 << 30;
    s.totals.bytes_unmapped = 1 << 29;
    s.totals.syscalls.count(Syscall::Mmap, false);
    s.totals.syscalls.count(Syscall::Madvise, true);
    let st = &mut s.status;
    (st.events_received, st.decode_errors) = (1000, 2);
    (
        st.kernel.ring_full,
        st.kernel.sites_captured,
        st.kernel.sites_unstored,
    ) = (5, 40, 1);
    (st.self_check, st.growth_window_seconds) = (true, 60);
    for ms in [1, 7, 30, 120, 999, 1000, 45_000] {
        st.drain_gaps.record(Duration::from_millis(ms));
    }
    let l = &mut st.ledger;
    (
        l.resyncs,
        l.resyncs_exact,
        l.targeted_resyncs,
        l.targeted_exact,
    ) = (9, 7, 4, 1);
    l.corrections.insert(Cause::Unseen, 2);
    for v in [Verdict::Exact, Verdict::Mismatch(Mismatch::Lost)] {
        l.checks.count(v);
    }
    l.checks.layouts_settled = 6;
    l.repairs.record(Duration::from_millis(2500));
    l.repairs.record(Duration::from_micros(4500));
    s
}

#[test]
fn a_rich_snapshot_renders_as_before() {
    let own = OwnUsage {
        cpu_seconds: 1.25,
        resident_bytes: 25 << 20,
        max_map_count: Some(65530),
        max_map_count_errors: 1,
    };
    let text = render(&rich_snapshot(), &own);
    if text != include_str!("exposition.txt") {
        std::fs::write("/tmp/vmmon-exposition.txt", &text).unwrap();
    }
    assert!(
        text == include_str!("exposition.txt"),
        "differs from exposition.txt (written: /tmp/vmmon-exposition.txt)"
    );
}
