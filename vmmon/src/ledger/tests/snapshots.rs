//! `/proc` reads taken into the ledger: after exec, for an unknown process, a resync; the
//! events replayed on top; reads refused; the kernel's figures taken in order.

use super::*;

#[test]
fn exec_waits_for_a_snapshot_and_replays_later_events() {
    let mut l = ledger_with_10();
    l.apply(&ev(
        10,
        100,
        Kind::Exec {
            filename: "/bin/y".into(),
            old_tid: 10,
        },
    ));
    assert_eq!(bytes(&l, 10), 0);
    // ld.so maps a library before the snapshot is read (already in it), and one after.
    l.apply(&mmap(10, 110, 0x200000, 2));
    l.apply(&mmap(10, 130, 0x300000, 3));
    let snap = MapsRead {
        regions: vec![
            region(0x10000, 2, "r-xp", RegionKind::File, Some("/bin/y")),
            region(0x200000, 2, "rw-p", RegionKind::Anon, None),
            region(0x7ff0000, 8, "rw-p", RegionKind::Stack, Some("[stack]")),
        ],
        start_brk: 0x50000,
        taken_ns: 120,
        done_ns: 0,
    };
    assert_eq!(
        l.reconcile(10, snap, (false, ReadReason::Periodic)),
        Reconciled::Taken
    );
    assert_eq!(bytes(&l, 10), (2 + 2 + 3 + 8) * P);
    let c = l.counters();
    assert!(
        c.corrections.is_empty(),
        "filling a new image is not drift: {c:?}"
    );
    assert_eq!(
        l.space(10).unwrap().find(0x10000).unwrap().path.as_deref(),
        Some("/bin/y")
    );
}

#[test]
fn unknown_process_asks_for_a_snapshot() {
    let mut l = Ledger::new();
    let need = l.apply(&mmap(20, 5, 0x100000, 1)).need;
    assert_eq!(
        need,
        Some(Need {
            tgid: 20,
            reason: ReadReason::Unknown
        })
    );
    assert_eq!(l.counters().unknown_process, 1);
    assert_eq!(l.apply(&mmap(20, 6, 0x200000, 1)).need, None);
}

#[test]
fn resync_counts_each_cause() {
    let mut l = ledger_with_10();
    l.expect_snapshot(10);
    l.apply(&mmap(10, 5, 0x100000, 2));
    let snap = MapsRead {
        regions: vec![
            // The file mapping's permissions changed without us seeing it...
            region(0x10000, 4, "r--p", RegionKind::File, Some("/bin/x")),
            // ...the stack grew down by two pages...
            region(0x7fee000, 10, "rw-p", RegionKind::Stack, Some("[stack]")),
            // ...and shmat added a segment.
            region(
                0x400000,
                4,
                "rw-s",
                RegionKind::Shm,
                Some("/SYSV00000001 (deleted)"),
            ),
        ],
        start_brk: 0,
        taken_ns: 3,
        done_ns: 0,
    };
    l.reconcile(10, snap, (false, ReadReason::Periodic));
    let c = l.counters();
    assert_eq!(c.corrections.get(&Cause::Perms), Some(&1));
    assert_eq!(c.corrections.get(&Cause::StackGrowth), Some(&1));
    assert_eq!(c.corrections.get(&Cause::Unseen), Some(&1));
    assert_eq!(c.corrected_bytes.get(&Cause::StackGrowth), Some(&(2 * P)));
    assert_eq!(
        c.corrections.get(&Cause::Stale),
        None,
        "the mmap after the snapshot was replayed"
    );
    assert_eq!(bytes(&l, 10), (4 + 10 + 4 + 2) * P);
    // A second resync with the same picture is exact.
    let again = MapsRead {
        regions: l.space(10).unwrap().regions().cloned().collect(),
        start_brk: 0,
        taken_ns: 9,
        done_ns: 0,
    };
    l.expect_snapshot(10);
    l.reconcile(10, again, (false, ReadReason::Periodic));
    assert_eq!(l.counters().resyncs_exact, 1);
}

#[test]
fn brk_after_a_snapshot_grows_and_shrinks_the_heap() {
    let mut l = Ledger::new();
    l.insert_snapshot(
        30,
        Comm::default(),
        MapsRead {
            regions: vec![region(0x50000, 4, "rw-p", RegionKind::Heap, Some("[heap]"))],
            start_brk: 0x50000,
            taken_ns: 1,
            done_ns: 0,
        },
    );
    let brk = |ts, to: u64| {
        ev(
            30,
            ts,
            Kind::Brk {
                addr: to,
                ret: to as i64,
            },
        )
    };
    l.apply(&brk(2, 0x50000 + 10 * P + 5));
    assert_eq!(bytes(&l, 30), 11 * P);
    l.apply(&brk(3, 0x50000 + 2 * P));
    assert_eq!(bytes(&l, 30), 2 * P);
    let heap = l.space(30).unwrap().find(0x50000).unwrap();
    assert_eq!((heap.kind, heap.end), (RegionKind::Heap, 0x50000 + 2 * P));
    // Each growth is one change of the one heap mapping, however many there are.
    for i in 0..100 {
        l.apply(&brk(4 + i, 0x50000 + (3 + i) * P));
    }
    let heap = l.space(30).unwrap().find(0x50000).unwrap();
    assert_eq!((heap.end, heap.changes), (0x50000 + 102 * P, 101));
    assert_eq!(l.space(30).unwrap().mappings(), 1);
}

#[test]
fn a_snapshot_from_before_an_exec_is_refused() {
    let mut l = ledger_with_10();
    l.apply(&ev(
        10,
        100,
        Kind::Exec {
            filename: "/bin/y".into(),
            old_tid: 10,
        },
    ));
    let old = MapsRead {
        regions: vec![region(0x10000, 4, "r-xp", RegionKind::File, Some("/bin/x"))],
        start_brk: 0,
        taken_ns: 90,
        done_ns: 0,
    };
    assert_eq!(
        l.reconcile(10, old, (false, ReadReason::Periodic)),
        Reconciled::Stale
    );
    assert!(!l.is_filled(10));
    assert_eq!(l.counters().stale_snapshots, 1);
}

#[test]
fn a_snapshot_read_while_the_process_changed_is_refused_unless_accepted() {
    let mut l = ledger_with_10();
    l.expect_snapshot(10);
    l.apply(&mmap(10, 105, 0x100000, 2));
    let snap = || MapsRead {
        regions: vec![region(0x10000, 4, "r-xp", RegionKind::File, Some("/bin/x"))],
        start_brk: 0,
        taken_ns: 100,
        done_ns: 110,
    };
    assert_eq!(
        l.reconcile(10, snap(), (false, ReadReason::Periodic)),
        Reconciled::Torn
    );
    assert_eq!(l.counters().torn_snapshots, 1);
    assert_eq!(bytes(&l, 10), 14 * P, "a refused snapshot changes nothing");
    assert_eq!(
        l.reconcile(10, snap(), (true, ReadReason::Periodic)),
        Reconciled::Taken
    );
    assert_eq!(bytes(&l, 10), 6 * P, "the snapshot and the replayed mmap");
}

/// A mapping read from `/proc` (flags guessed) merged with a neighbour marked
/// `MADV_DONTFORK` takes its flags: the figures count the merged region as it now is, so
/// unmapping it all later leaves them at zero instead of underflowing.
#[test]
fn a_lenient_merge_counts_the_flags_it_takes() {
    use crate::ledger::Sums;
    let mut l = Ledger::new();
    let mut guessed = region(0x20000, 4, "rw-p", RegionKind::Anon, None);
    guessed.guessed = true;
    l.insert_snapshot(
        10,
        Comm::default(),
        MapsRead {
            regions: vec![guessed],
            start_brk: 0,
            taken_ns: 1,
            done_ns: 0,
        },
    );
    // Read-only, so that it does not merge with the guessed mapping yet.
    l.apply(&ev(
        10,
        2,
        Kind::Mmap {
            addr: 0,
            len: 2 * P,
            prot: vmmon_common::linux::PROT_READ,
            flags: vmmon_common::linux::MAP_PRIVATE | vmmon_common::linux::MAP_ANONYMOUS,
            fd: -1,
            offset: 0,
            ret: 0x24000,
        },
    ));
    l.apply(&ev(
        10,
        3,
        Kind::Adjust {
            call: crate::event::Syscall::Madvise,
            args: [0x24000, 2 * P, 10, 0, 0, 0],
            ret: 0,
        },
    ));
    l.apply(&ev(
        10,
        4,
        Kind::Mprotect {
            addr: 0x24000,
            len: 2 * P,
            prot: vmmon_common::linux::PROT_READ | vmmon_common::linux::PROT_WRITE,
            ret: 0,
        },
    ));
    let s = l.space(10).unwrap();
    assert_eq!(s.mappings(), 1, "{:?}", s.regions().collect::<Vec<_>>());
    assert_eq!(*s.sums(), Sums::of(s.regions()));
    l.apply(&ev(
        10,
        5,
        Kind::Munmap {
            addr: 0x20000,
            len: 6 * P,
            ret: 0,
        },
    ));
    let s = l.space(10).unwrap();
    assert_eq!(*s.sums(), Sums::of(s.regions()));
    assert_eq!(s.sums().dontcopy, 0);
}

/// A sweep that read a vfork child while it still shared its parent's address space, taken
/// in after the child's exec: older than the exec's figures, it replaces and judges nothing.
#[test]
fn figures_older_than_the_latest_are_not_taken() {
    use crate::event::{Figures, Resident, Swept};
    let mut l = ledger_with_10();
    let mut exec = ev(
        10,
        100,
        Kind::Exec {
            filename: "/bin/y".into(),
            old_tid: 10,
        },
    );
    let new_image = Figures {
        virtual_bytes: 3 * P,
        peak_virtual_bytes: 3 * P,
        mappings: 2,
        ..Figures::default()
    };
    exec.figures = Some(new_image);
    l.apply(&exec);
    let applied = l.swept(&Swept {
        tgid: 10,
        ts_ns: 90,
        start_ns: 5,
        figures: Figures {
            virtual_bytes: 1000 * P,
            peak_virtual_bytes: 1000 * P,
            mappings: 40,
            ..Figures::default()
        },
        resident: Resident {
            anon_bytes: 500 * P,
            ..Resident::default()
        },
        oldest_call_ns: None,
    });
    assert_eq!(applied.verdict, None);
    let k = l.process(10).unwrap().kernel.unwrap();
    assert_eq!(k.figures, new_image);
    assert_eq!(
        k.resident, None,
        "the old image's resident memory is not the new one's"
    );
}

/// A call whose layout depends on what no event shows (whether a mapping's pages were
/// written): the likely assumption merges, the kernel's count says it did not, and the
/// assumption that gives the kernel's count is kept (the call undone and tried again).
#[test]
fn the_kernels_count_settles_a_layout_no_event_shows() {
    use crate::event::{Calls, Figures};
    let mut l = ledger_with_10();
    let base = bytes(&l, 10);
    let mut n = 0;
    let mut with = |kind: Kind, mapped: u64, mappings: u32| {
        n += 1;
        let mut e = ev(10, 10 + n as u64, kind);
        e.figures = Some(Figures {
            virtual_bytes: base + mapped,
            peak_virtual_bytes: base + mapped,
            mappings,
            calls: Calls {
                inflight: 1,
                own: true,
                enters_before: n,
                enters_after: n,
                lost: 0,
            },
        });
        e
    };
    let a = 0x4000_0000;
    // Written-to anonymous memory (charged), then a read-only page after it (not charged):
    // two mappings.
    l.apply(&with(Kind::anon_mmap(a, 2 * P), 2 * P, 3));
    let ro = Kind::Mmap {
        addr: a + 2 * P,
        len: P,
        prot: 1,
        flags: 0x32,
        fd: -1,
        offset: 0,
        ret: (a + 2 * P) as i64,
    };
    l.apply(&with(ro, 3 * P, 4));
    // Made read-only: unwritten, it would be refunded and merge with the page after it;
    // written, it stays charged and apart, as the kernel's count of 4 says.
    let protect = Kind::Mprotect {
        addr: a,
        len: 2 * P,
        prot: 1,
        ret: 0,
    };
    let applied = l.apply(&with(protect, 3 * P, 4));
    assert_eq!(applied.verdict, Some(super::super::Verdict::Exact));
    assert_eq!(l.counters().checks.layouts_settled, 1);
    let s = l.space(10).unwrap();
    assert_eq!(s.mappings(), 4);
    assert_eq!(s.find(a).map(|r| r.end), Some(a + 2 * P));
    assert_eq!(s.totals().virtual_bytes, base + 3 * P);
}
