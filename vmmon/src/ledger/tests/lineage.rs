//! A process's life in the ledger: fork, threads, vfork, exit, pid reuse, and what a child
//! inherits.

use super::*;

#[test]
fn fork_copies_and_then_the_two_diverge() {
    let mut l = ledger_with_10();
    assert_eq!(l.apply(&fork(10, 5, 11, 0x11)).need, None);
    assert_eq!(bytes(&l, 11), 12 * P);
    // The child keeps how each region was made (here: read from /proc).
    assert!(
        l.space(11)
            .unwrap()
            .regions()
            .all(|r| r.origin == Origin::Procfs)
    );
    l.apply(&mmap(11, 6, 0x100000, 2));
    assert_eq!(bytes(&l, 11), 14 * P);
    assert_eq!(bytes(&l, 10), 12 * P);
    assert_eq!(l.space_count(), 2);
}

#[test]
fn threads_share_the_process_ledger() {
    let mut l = ledger_with_10();
    l.apply(&fork(10, 5, 12, CLONE_VM | CLONE_THREAD));
    assert!(l.process(12).is_none(), "a thread is not a process");
    let mut e = mmap(10, 6, 0x100000, 1);
    e.tid = 12;
    l.apply(&e);
    assert_eq!(bytes(&l, 10), 13 * P);
    // A thread leaving does not end the process.
    let mut exit = ev(
        10,
        7,
        Kind::Exit {
            status: None,
            group_dead: false,
            footprint: None,
        },
    );
    exit.tid = 12;
    l.apply(&exit);
    assert!(l.process(10).is_some());
}

#[test]
fn vfork_child_shares_until_exec() {
    let mut l = ledger_with_10();
    l.apply(&fork(10, 5, 13, CLONE_VM | CLONE_VFORK | 0x11));
    l.apply(&mmap(13, 6, 0x100000, 1));
    assert_eq!(bytes(&l, 10), 13 * P, "the child's mmap is the parent's");
    assert_eq!(l.space_count(), 1);
    let need = l
        .apply(&ev(
            13,
            7,
            Kind::Exec {
                filename: "/bin/y".into(),
                old_tid: 13,
            },
        ))
        .need;
    assert_eq!(
        need,
        Some(Need {
            tgid: 13,
            reason: ReadReason::Exec
        })
    );
    assert_eq!(bytes(&l, 10), 13 * P, "the parent keeps its space");
    assert_eq!(l.space_count(), 2);
}

#[test]
fn exit_removes_and_a_reused_pid_is_a_new_process() {
    let mut l = ledger_with_10();
    l.apply(&fork(10, 5, 11, 0x11));
    l.apply(&ev(
        11,
        6,
        Kind::Exit {
            status: None,
            group_dead: true,
            footprint: None,
        },
    ));
    assert!(l.process(11).is_none());
    assert_eq!(l.space_count(), 1);
    // A fork reusing a pid the ledger still holds (its exit was missed).
    l.apply(&fork(10, 7, 12, 0x11));
    l.apply(&mmap(12, 8, 0x100000, 1));
    l.apply(&fork(10, 9, 12, 0x11));
    assert_eq!(l.counters().pid_reuse, 1);
    assert_eq!(
        bytes(&l, 12),
        12 * P,
        "the new process starts from its parent, not the old one"
    );
}

#[test]
fn a_child_forked_before_its_parent_was_filled_asks_for_its_own_snapshot() {
    let mut l = Ledger::new();
    l.apply(&ev(
        40,
        1,
        Kind::Exec {
            filename: "/bin/x".into(),
            old_tid: 40,
        },
    ));
    let need = l.apply(&fork(40, 2, 41, 0x11)).need;
    assert_eq!(
        need,
        Some(Need {
            tgid: 41,
            reason: ReadReason::Unknown
        })
    );
}

#[test]
fn a_parent_event_from_before_the_fork_that_arrives_after_it_reaches_the_child() {
    let mut l = ledger_with_10();
    l.apply(&fork(10, 50, 11, 0x11));
    // A thread of 10 mapped at ts 40, before the fork copied the address space; its record
    // comes through after the fork's.
    l.apply(&mmap(10, 40, 0x100000, 2));
    assert_eq!(bytes(&l, 11), 14 * P, "the child has it too");
    l.apply(&mmap(10, 60, 0x200000, 1));
    assert_eq!(bytes(&l, 11), 14 * P, "a later event is the parent's alone");
    assert_eq!(bytes(&l, 10), 15 * P);
}

#[test]
fn the_unit_and_user_are_inherited_at_fork_and_kept_through_exec() {
    let mut l = ledger_with_10();
    l.set_identity(10, Some("ssh.service"), Some(1000));
    l.apply(&fork(10, 5, 11, 0x11));
    assert_eq!(l.process(11).unwrap().unit.as_deref(), Some("ssh.service"));
    assert_eq!(l.process(11).unwrap().uid, Some(1000));
    l.apply(&ev(
        11,
        6,
        Kind::Exec {
            filename: "/bin/sh".into(),
            old_tid: 11,
        },
    ));
    assert_eq!(l.process(11).unwrap().unit.as_deref(), Some("ssh.service"));
    assert_eq!(l.process(11).unwrap().uid, Some(1000));
}

#[test]
fn an_exit_keeps_how_it_ended_its_top_sites_and_what_was_refused() {
    use crate::event::{CallSite, ExitStatus, Resident};
    let mut l = ledger_with_10();
    // Ten sites of 1..=10 pages each: the exit keeps the 8 biggest, then the rest.
    for i in 1..=10u64 {
        let mut e = mmap(10, 1 + i, 0x1000_0000 * i, i);
        e.site = Some(CallSite::with_frames(100 + i, &[0x10010]));
        l.apply(&e);
    }
    let mut refused = ev(10, 20, Kind::anon_mmap(0, 64 << 20));
    if let Kind::Mmap { ret, .. } = &mut refused.kind {
        *ret = -12;
    }
    refused.site = Some(CallSite::with_frames(999, &[0x10020]));
    l.apply(&refused);
    assert!(l.process(10).unwrap().refused.is_some());
    l.apply(&ev(
        10,
        21,
        Kind::OomKill {
            resident: Resident::default(),
        },
    ));
    // SIGKILL, with the kernel not saying why: the OOM kill's record named it first.
    let killed = ExitStatus {
        wait_status: 9,
        oom_victim: false,
    };
    let x = l
        .apply(&ev(
            10,
            22,
            Kind::Exit {
                status: Some(killed),
                group_dead: true,
                footprint: None,
            },
        ))
        .exited
        .expect("the process left");
    assert!(
        x.cause.as_ref().is_some_and(|c| c.is_oom_kill()),
        "the OOM killer's choice, seen before the SIGKILL: {:?}",
        x.cause
    );
    let sites: Vec<(u64, u64)> = x.sites.iter().map(|t| (t.site, t.bytes)).collect();
    assert_eq!(sites.len(), 9, "{sites:?}");
    assert_eq!(sites[0], (110, 10 * P));
    assert_eq!(sites[7], (103, 3 * P));
    assert_eq!(
        sites[8],
        (super::super::NO_SITE, 12 * P),
        "what /proc showed"
    );
    assert!(x.regions.is_some(), "sites are named from its mappings");
    let r = x.refused.expect("the refused mmap");
    let first = r.first.unwrap();
    assert_eq!((first.bytes, first.site), (64 << 20, 999));
    assert!(l.process(10).is_none());
}
