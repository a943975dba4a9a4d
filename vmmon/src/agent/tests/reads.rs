//! Bootstrap, folding `/proc` reads, refusing torn and stale ones, and the round robin.

use super::*;
use crate::agent::read_plan::MAX_TORN_TRIES;
use crate::ledger::Mismatch;
use crate::procfs::ReadError;

#[test]
fn bootstrap_asks_for_every_process_and_completes_when_every_read_is_back() {
    let (mut core, asked) = core(vec![10, 11, 12], 0);
    let mut wanted: Vec<u32> = asked.take().iter().map(|&(p, _)| p).collect();
    wanted.sort_unstable();
    assert_eq!(wanted, [10, 11, 12]);
    assert_eq!(core.status().bootstrap_pending, 3);
    assert_eq!(core.status().bootstrap_ms, None);
    fold(&mut core, read(10, MAPS, S, S + 1000));
    let gone = Resynced {
        tgid: 11,
        reason: ReadReason::Unknown,
        result: Err(ReadError::Gone(11)),
    };
    fold(&mut core, gone);
    assert_eq!(core.status().bootstrap_pending, 1);
    fold(&mut core, read(12, MAPS, S, S + 1000));
    assert_eq!(core.status().bootstrap_pending, 0);
    assert!(core.status().bootstrap_ms.is_some());
    let s = core.snapshot(1.0);
    assert_eq!(virt(&s, 10), Some(MAPS_BYTES));
    assert_eq!(virt(&s, 12), Some(MAPS_BYTES));
    assert!(
        s.process(11).is_none(),
        "a process that was gone is not made up"
    );
    let p = s.process(10).unwrap();
    assert_eq!(
        (p.uid, p.unit.as_deref()),
        (Some(1000), Some("test.service"))
    );
}

#[test]
fn a_read_is_folded_only_after_a_drain_that_began_after_it() {
    let (mut core, _) = core(vec![10], 0);
    core.hold(FromProc::Read(read(10, MAPS, S, S + 1000)));
    assert!(core.ledger().process(10).is_none(), "held, not folded");
    let mut feed = Feed::new();
    // An event stamped after the read was taken: replayed on top of the read.
    feed.push(mmap(10, 5 * S, 0x7f00_0000_0000, 4));
    core.drain(&mut feed);
    let s = core.snapshot(1.0);
    assert_eq!(virt(&s, 10), Some(MAPS_BYTES + 4 * P));
}

/// An owner of pid 10 whose drift check is due, and the process mapping at 1,000 ns.
fn busy_at_a_drift_check() -> (Core, Asked) {
    let (mut core, asked) = core(vec![10], 1);
    fold(&mut core, read(10, MAPS, S, S + 1000));
    asked.take();
    // A drift check is due: the owner logs the process's events from now on.
    core.tick(0);
    assert_eq!(asked.take(), [(10, Priority::Periodic)]);
    let mut feed = Feed::new();
    feed.push(mmap(10, 1_000, 0x7f00_0000_0000, 1));
    core.drain(&mut feed);
    (core, asked)
}

#[test]
fn a_torn_read_is_refused_and_asked_again_until_the_tries_run_out() {
    let (mut core, asked) = busy_at_a_drift_check();
    // A read a check asked for, during which the process changed its mappings: refused,
    // asked again.
    let torn = |core: &mut Core| {
        let mut r = read(10, MAPS, 900, 1_100);
        r.reason = ReadReason::Mismatch(Mismatch::Grown);
        fold(core, r);
    };
    for i in 0..MAX_TORN_TRIES {
        torn(&mut core);
        assert_eq!(asked.take(), [(10, Priority::Front)], "try {i} asked again");
        assert_eq!(core.ledger().counters().torn_snapshots, u64::from(i) + 1);
    }
    torn(&mut core);
    assert!(
        asked.take().is_empty(),
        "after {MAX_TORN_TRIES} tries one is taken as it is"
    );
    assert_eq!(
        core.ledger().counters().torn_snapshots,
        u64::from(MAX_TORN_TRIES)
    );
}

#[test]
fn a_drift_check_of_a_busy_process_waits_for_the_next_round() {
    let (mut core, asked) = busy_at_a_drift_check();
    let mut r = read(10, MAPS, 900, 1_100);
    r.reason = ReadReason::Periodic;
    fold(&mut core, r);
    // Refused as torn and not asked again: the records' figures check it all the while.
    assert!(asked.take().is_empty(), "not asked again");
    assert_eq!(core.ledger().counters().torn_snapshots, 1);
    // The next round reads it again.
    core.tick(1);
    assert_eq!(asked.take(), [(10, Priority::Periodic)]);
}

#[test]
fn a_read_taken_before_an_exec_is_refused() {
    let (mut core, asked) = core(vec![10], 0);
    fold(&mut core, read(10, MAPS, S, S + 1000));
    asked.take();
    let exec = event(
        10,
        500 * S,
        Kind::Exec {
            filename: "/bin/y".into(),
            old_tid: 10,
        },
    );
    apply(&mut core, vec![exec]);
    assert_eq!(
        asked.take(),
        [(10, Priority::Urgent)],
        "the exec asks for the new image"
    );
    assert!(
        core.snapshot(1.0).process(10).is_none(),
        "not shown until read"
    );
    // A read of the old image, taken before the exec, arrives late.
    fold(&mut core, read(10, MAPS, 400 * S, 400 * S + 1000));
    assert_eq!(core.ledger().counters().stale_snapshots, 1);
    assert!(
        core.snapshot(1.0).process(10).is_none(),
        "the old image is not shown"
    );
    let new_image = "00400000-00401000 r-xp 00000000 00:1f 6 /bin/y\n";
    fold(&mut core, read(10, new_image, 600 * S, 600 * S + 1000));
    let s = core.snapshot(1.0);
    assert_eq!(virt(&s, 10), Some(0x1000));
    assert_eq!(s.maps(10).unwrap()[0].path.as_deref(), Some("/bin/y"));
}

#[test]
fn the_round_robin_checks_a_few_processes_a_second_and_its_rate_can_change() {
    let (mut core, asked) = core(vec![1, 2, 3, 4, 5], 2);
    for pid in 1..=5 {
        fold(&mut core, read(pid, MAPS, S, S + 1000));
    }
    asked.take();
    core.tick(0);
    assert_eq!(
        asked.take(),
        [(1, Priority::Periodic), (2, Priority::Periodic)]
    );
    core.tick(1);
    assert_eq!(
        asked.take(),
        [(3, Priority::Periodic), (4, Priority::Periodic)]
    );
    core.tick(2);
    assert_eq!(
        asked.take(),
        [(5, Priority::Periodic), (1, Priority::Periodic)]
    );
    assert_eq!(core.snapshot(1.0).status.resyncs_per_second, 2);
    core.set_resync_rate(0);
    assert_eq!(*asked.rates.lock().unwrap(), [0]);
    assert_eq!(
        core.snapshot(2.0).status.resyncs_per_second,
        0,
        "the status says the rate in force"
    );
    core.tick(3);
    assert!(asked.take().is_empty(), "0 turns the round robin off");
}

#[test]
fn a_kernel_thread_is_not_tracked() {
    let (mut core, _) = core(vec![2], 0);
    let mut r = read(2, "", S, S + 1000);
    if let Ok(read) = &mut r.result {
        read.kernel_thread = true;
    }
    fold(&mut core, r);
    assert!(core.ledger().process(2).is_none());
    assert_eq!(core.status().bootstrap_pending, 0);
}
