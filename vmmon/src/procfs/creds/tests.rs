use super::*;
use crate::clock::monotonic_ns;
use std::os::fd::AsFd as _;

#[test]
fn a_start_matches_within_a_tick_and_the_time_suspended() {
    let s = 5_000_000_000;
    assert!(same_start(500, s, 0));
    assert!(same_start(500, s + 5_000_000, 0), "ticks round down");
    assert!(!same_start(501, s - 20_000_000, 0));
    assert!(!same_start(800, s, 0), "a later process on the same pid");
    assert!(
        same_start(800, s, 3_000_000_000),
        "3 s suspended before it started"
    );
    assert!(started_by(500, s, 0), "started when first seen");
    assert!(started_by(100, s, 0), "started before");
    assert!(
        !started_by(800, s, 0),
        "started after the ledger saw the pid: another process"
    );
}

#[test]
fn this_process_is_known_by_its_ids() {
    let me = std::process::id();
    // SAFETY: plain getters.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let now = monotonic_ns();
    let ids = process_ids(me, None, now).unwrap();
    assert_eq!((ids.uids[1], ids.gids[1]), (uid, gid));
    assert!(ids.dumpable);
    assert_eq!(
        process_ids(me, Some(1), now),
        None,
        "started long after 1 ns"
    );
    assert_eq!(
        process_ids(me, None, 1),
        None,
        "started after it was first seen"
    );
}

#[test]
fn a_socket_peer_is_known_by_its_process() {
    let (a, _b) = std::os::unix::net::UnixStream::pair().unwrap();
    // SAFETY: plain getters.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let me = peer(a.as_fd(), uid, gid, Some(std::process::id() as i32));
    assert_eq!((me.uid, me.gid), (uid, gid));
    // SAFETY: a plain getter.
    let groups_read = unsafe { libc::getgroups(0, std::ptr::null_mut()) } as usize;
    assert_eq!(me.groups.len(), groups_read, "its groups from its status");
}
