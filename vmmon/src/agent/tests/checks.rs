//! The self-check's decisions: figures that agree ask for nothing, a mismatch reads the
//! process ahead of everything else (once, then again only if it stays wrong), lost records
//! read it too, figures taken while other calls were in flight judge nothing, and a sweep
//! reads what it finds wrong, unknown or missing.

use super::*;
use crate::event::{Calls, Figures, Resident, Swept};
use crate::ledger::Mismatch;

/// A millisecond in `CLOCK_MONOTONIC` nanoseconds.
const MS: u64 = 1_000_000;
const AT: u64 = 0x7f00_0000_0000;

/// Figures read while only the record's own call was in flight, the `n`th call entered.
fn quiet(bytes: u64, mappings: u32, n: u32) -> Figures {
    Figures {
        virtual_bytes: bytes,
        peak_virtual_bytes: bytes,
        mappings,
        calls: Calls {
            inflight: 1,
            own: true,
            enters_before: n,
            enters_after: n,
            lost: 0,
        },
    }
}

/// An mmap of `pages` at `at` by pid 10 at `ts`, carrying `figures`.
fn mmap_with(ts: u64, at: u64, pages: u64, figures: Figures) -> Event {
    let mut e = mmap(10, ts, at, pages);
    e.figures = Some(figures);
    e
}

/// A core tracking pid 10 (read from [`MAPS`], two mappings) with the round robin off.
fn tracking_10() -> (Core, Asked) {
    let (mut core, asked) = core(vec![10], 0);
    fold(&mut core, read(10, MAPS, S, S + 1000));
    asked.take();
    (core, asked)
}

fn mismatches(core: &Core, m: Mismatch) -> u64 {
    let c = &core.ledger().counters().checks;
    c.mismatches.get(&m).copied().unwrap_or(0)
}

fn exact(core: &mut Core) -> Option<bool> {
    core.snapshot(1.0).process(10).unwrap().exact
}

#[test]
fn figures_that_agree_ask_for_nothing_and_the_view_shows_the_kernels_numbers() {
    let (mut core, asked) = tracking_10();
    let f = quiet(MAPS_BYTES + 8 * P, 3, 1);
    apply(&mut core, vec![mmap_with(2 * S, AT, 8, f)]);
    assert!(asked.take().is_empty());
    assert_eq!(core.ledger().counters().checks.exact, 1);
    assert_eq!(exact(&mut core), Some(true));
    let s = core.snapshot(1.0);
    let p = s.process(10).unwrap();
    assert_eq!((p.virtual_bytes, p.mapping_count), (MAPS_BYTES + 8 * P, 3));
}

#[test]
fn a_mismatch_reads_the_process_first_and_its_repair_is_timed() {
    let (mut core, asked) = tracking_10();
    // The stack grew by 16 pages, which no record shows.
    let grown = quiet(MAPS_BYTES + 24 * P, 3, 1);
    apply(&mut core, vec![mmap_with(2 * S, AT, 8, grown)]);
    assert_eq!(asked.take(), [(10, Priority::Front)]);
    assert_eq!(mismatches(&core, Mismatch::Grown), 1);
    assert_eq!(exact(&mut core), Some(false));
    // The users see the kernel's figures meanwhile, not the ledger's.
    assert_eq!(
        core.snapshot(1.0).process(10).unwrap().virtual_bytes,
        MAPS_BYTES + 24 * P
    );
    // The read comes back, the stack 16 pages deeper.
    let maps = format!("{MAPS}{:x}-{:x} rw-p 00000000 00:00 0\n", AT, AT + 8 * P)
        .replace("7ffd1c3e1000-", "7ffd1c3d1000-");
    let mut r = read(10, &maps, 2 * S + 10 * MS, 2 * S + 11 * MS);
    r.reason = ReadReason::Mismatch(Mismatch::Grown);
    fold(&mut core, r);
    let c = core.ledger().counters();
    assert_eq!((c.targeted_resyncs, c.targeted_exact), (1, 0));
    // The next check finds it exact: the time from the mismatch is counted.
    let f = quiet(MAPS_BYTES + 25 * P, 4, 2);
    apply(&mut core, vec![mmap_with(3 * S, AT + 100 * P, 1, f)]);
    assert!(asked.take().is_empty());
    assert_eq!(exact(&mut core), Some(true));
    let repairs = &core.ledger().counters().repairs;
    assert_eq!(repairs.count, 1);
    assert!((repairs.sum_seconds - 1.0).abs() < 1e-9, "{repairs:?}");
}

#[test]
fn a_mismatch_found_again_soon_waits_then_is_read_again_only_if_still_wrong() {
    let (mut core, asked) = tracking_10();
    let t = 2 * S;
    apply(
        &mut core,
        vec![mmap_with(t, AT, 1, quiet(MAPS_BYTES + 9 * P, 3, 1))],
    );
    assert_eq!(asked.take(), [(10, Priority::Front)]);
    // Found again 50 ms later, before the read came back: counted once, not read again yet.
    apply(
        &mut core,
        vec![mmap_with(
            t + 50 * MS,
            AT + 100 * P,
            1,
            quiet(MAPS_BYTES + 10 * P, 4, 2),
        )],
    );
    assert!(asked.take().is_empty());
    assert_eq!(mismatches(&core, Mismatch::Grown), 1);
    core.retry_deferred(t + 100 * MS);
    assert!(asked.take().is_empty(), "not before 200 ms");
    core.retry_deferred(t + 200 * MS);
    assert_eq!(
        asked.take(),
        [(10, Priority::Front)],
        "still wrong: read again"
    );

    // Once a later check finds it exact, a deferred read is dropped.
    let (mut core, asked) = tracking_10();
    apply(
        &mut core,
        vec![
            mmap_with(t, AT, 1, quiet(MAPS_BYTES + 9 * P, 3, 1)),
            mmap_with(
                t + 50 * MS,
                AT + 100 * P,
                1,
                quiet(MAPS_BYTES + 10 * P, 4, 2),
            ),
        ],
    );
    assert_eq!(asked.take(), [(10, Priority::Front)]);
    let maps = format!(
        "{MAPS}{:x}-{:x} rw-p 00000000 00:00 0\n{:x}-{:x} rw-p 00000000 00:00 0\n",
        AT,
        AT + 9 * P,
        AT + 100 * P,
        AT + 101 * P
    );
    fold(&mut core, read(10, &maps, t + 60 * MS, t + 61 * MS));
    apply(
        &mut core,
        vec![mmap_with(
            t + 100 * MS,
            AT + 200 * P,
            1,
            quiet(MAPS_BYTES + 11 * P, 5, 3),
        )],
    );
    assert_eq!(exact(&mut core), Some(true));
    core.retry_deferred(t + 300 * MS);
    assert!(asked.take().is_empty(), "exact again: nothing to read");
}

#[test]
fn records_lost_to_a_full_ring_read_the_process_first() {
    let (mut core, asked) = tracking_10();
    apply(
        &mut core,
        vec![mmap_with(2 * S, AT, 1, quiet(MAPS_BYTES + P, 3, 1))],
    );
    assert!(asked.take().is_empty());
    // Its next record says three of its records found the ring full: even though the
    // figures agree with what the ledger has, something may be missing.
    let mut f = quiet(MAPS_BYTES + 2 * P, 4, 4);
    f.calls.lost = 3;
    apply(&mut core, vec![mmap_with(3 * S, AT + 100 * P, 1, f)]);
    assert_eq!(asked.take(), [(10, Priority::Front)]);
    assert_eq!(mismatches(&core, Mismatch::Lost), 1);
}

#[test]
fn figures_read_while_other_calls_were_in_flight_judge_nothing() {
    let (mut core, asked) = tracking_10();
    // Another thread's mmap of 100 pages is in the figures, its record not yet here.
    let mut f = quiet(MAPS_BYTES + 101 * P, 4, 1);
    f.calls.inflight = 2;
    apply(&mut core, vec![mmap_with(2 * S, AT, 1, f)]);
    // A call entered while they were read.
    let mut g = quiet(MAPS_BYTES + 101 * P, 4, 2);
    g.calls.enters_after = 3;
    apply(&mut core, vec![mmap_with(3 * S, AT + 200 * P, 1, g)]);
    assert!(asked.take().is_empty());
    let c = &core.ledger().counters().checks;
    assert_eq!((c.unchecked, c.exact), (2, 0));
    assert!(c.mismatches.is_empty());
    // Neither exact nor wrong, but the kernel's figures are what users see.
    let s = core.snapshot(1.0);
    let p = s.process(10).unwrap();
    assert_eq!(p.exact, None);
    assert_eq!(p.virtual_bytes, MAPS_BYTES + 101 * P);
}

#[test]
fn a_sweep_reads_what_it_finds_wrong_unknown_or_missing() {
    let (mut core, asked) = core(vec![10, 11], 0);
    fold(&mut core, read(10, MAPS, S, S + 1000));
    fold(&mut core, read(11, MAPS, S, S + 1000));
    asked.take();
    let swept = |tgid, bytes, mappings| Swept {
        tgid,
        ts_ns: 5 * S,
        start_ns: S / 2,
        figures: quiet(bytes, mappings, 0),
        resident: Resident {
            anon_bytes: 3 * P,
            ..Resident::default()
        },
        oldest_call_ns: None,
    };
    // 10's stack grew while it made no call; 11 is not in the sweep (its exit was missed);
    // 12 was never seen.
    core.hold(FromProc::Swept {
        started_ns: 5 * S,
        result: Ok(vec![swept(10, MAPS_BYTES + 4 * P, 2), swept(12, P, 1)]),
    });
    core.drain(&mut Feed::new());
    let mut asked = asked.take();
    asked.sort_unstable();
    assert_eq!(
        asked,
        [
            (10, Priority::Front),
            (11, Priority::Urgent),
            (12, Priority::Urgent)
        ]
    );
    assert_eq!(mismatches(&core, Mismatch::Grown), 1);
    assert_eq!(core.status().sweeps, 1);
    let s = core.snapshot(1.0);
    let k = s.process(10).unwrap();
    assert_eq!(k.virtual_bytes, MAPS_BYTES + 4 * P);
}

#[test]
fn a_call_in_the_kernel_past_a_sweep_interval_has_a_process_that_is_behind_read() {
    let (mut core, asked) = core(vec![10], 0);
    fold(&mut core, read(10, MAPS, S, S + 1000));
    asked.take();
    let interval = opts(0).sweep_interval.as_nanos() as u64;
    assert!(interval > 0);
    // One call in the kernel (not a record's own): the figures judge nothing.
    let busy = |bytes, mappings| Figures {
        calls: Calls {
            inflight: 1,
            own: false,
            ..Calls::default()
        },
        ..quiet(bytes, mappings, 0)
    };
    let at = 10 * S;
    let sweep = |figures, began: Option<u64>| FromProc::Swept {
        started_ns: at,
        result: Ok(vec![Swept {
            tgid: 10,
            ts_ns: at,
            start_ns: S / 2,
            figures,
            resident: Resident::default(),
            oldest_call_ns: began,
        }]),
    };
    let ahead = busy(MAPS_BYTES + 64 * P, 3);
    for (figures, began, why) in [
        (
            ahead,
            Some(at - interval / 2),
            "in the kernel for half an interval",
        ),
        (ahead, None, "no call's start known"),
        (
            busy(MAPS_BYTES, 2),
            Some(at - 2 * interval),
            "the ledger is not behind",
        ),
    ] {
        core.hold(sweep(figures, began));
        core.drain(&mut Feed::new());
        assert_eq!(asked.take(), [], "{why}");
    }
    core.hold(sweep(ahead, Some(at - 2 * interval)));
    core.drain(&mut Feed::new());
    assert_eq!(
        asked.take(),
        [(10, Priority::Front)],
        "a long call, the ledger behind"
    );
    let s = core.snapshot(1.0);
    let p = s.process(10).unwrap();
    assert_eq!(
        p.virtual_bytes,
        MAPS_BYTES + 64 * P,
        "the kernel's figures at once"
    );
    assert_eq!(p.mapping_count, 3);
    let in_flight = p.in_flight.expect("calls in flight are shown");
    assert_eq!(
        (in_flight.calls, in_flight.since_ns),
        (1, Some(at - 2 * interval))
    );
}
