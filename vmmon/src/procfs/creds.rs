//! Who a process is and who a client is (I/O: reads `/proc`; blocking but short, a few small
//! files): what [`crate::access`] decides on.

use crate::access::{Ids, Local, ProcMount};
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::os::unix::fs::MetadataExt as _;

/// `SO_PEERPIDFD` (Linux 6.5): a pidfd of the peer of a Unix socket.
const SO_PEERPIDFD: libc::c_int = 77;

/// Clock ticks per second in `/proc/PID/stat` (`USER_HZ`, 100 on every Linux ABI).
const TICKS_PER_SECOND: u64 = 100;

/// The ids of live process `pid`, checked to be the process the ledger knows: started at
/// `start_ns` (`CLOCK_MONOTONIC`) when that is known, else at the latest when the ledger
/// began tracking it (`since_ns`). `None` when it is gone, unreadable, or another process now
/// holds the pid.
pub fn process_ids(pid: u32, start_ns: Option<u64>, since_ns: u64) -> Option<Ids> {
    let dir = format!("/proc/{pid}");
    let owner = std::fs::metadata(&dir).ok()?;
    let status = std::fs::read_to_string(format!("{dir}/status")).ok()?;
    let ids = Ids::from_status(&status, (owner.uid(), owner.gid()))?;
    let stat = std::fs::read_to_string(format!("{dir}/stat")).ok()?;
    let ticks = super::parse_stat(&stat)?.start_time;
    let known = match start_ns {
        Some(start_ns) => same_start(ticks, start_ns, suspended_ns()),
        None => started_by(ticks, since_ns, suspended_ns()),
    };
    known.then_some(ids)
}

/// Whether a process that started `ticks` after boot (suspends included) may have started
/// by `since_ns` (`CLOCK_MONOTONIC`): one that started later is another process on the pid.
fn started_by(ticks: u64, since_ns: u64, suspended_ns: u64) -> bool {
    let tick_ns = 1_000_000_000 / TICKS_PER_SECOND;
    (ticks * tick_ns).saturating_sub(suspended_ns) <= since_ns + tick_ns
}

/// Whether a start of `ticks` after boot (suspends included) is the start at `start_ns`
/// (`CLOCK_MONOTONIC`, suspends excluded) given `suspended_ns` spent suspended since boot.
fn same_start(ticks: u64, start_ns: u64, suspended_ns: u64) -> bool {
    let tick_ns = 1_000_000_000 / TICKS_PER_SECOND;
    let boot_ns = ticks * tick_ns;
    boot_ns + tick_ns >= start_ns && boot_ns <= start_ns + suspended_ns + tick_ns
}

/// Time spent suspended since boot: `CLOCK_BOOTTIME` less `CLOCK_MONOTONIC`.
fn suspended_ns() -> u64 {
    let monotonic = crate::clock::monotonic_ns();
    crate::clock::now_ns(libc::CLOCK_BOOTTIME).saturating_sub(monotonic)
}

/// The credentials of the peer of Unix socket `socket`, which connected as `uid`, `gid`
/// from process `pid`: its groups and capabilities from its `/proc/PID/status`, trusted
/// only while that process (its pidfd says) is still the one that connected.
pub fn peer(socket: BorrowedFd<'_>, uid: u32, gid: u32, pid: Option<i32>) -> Local {
    let Some(pid) = pid.filter(|&p| p > 0) else {
        return Local::from_status(uid, gid, None, false);
    };
    let pidfd = peer_pidfd(socket);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok();
    let same_userns = same_user_namespace(pid);
    let still_there = pidfd.as_ref().is_some_and(alive);
    let status = status.filter(|_| still_there);
    Local::from_status(uid, gid, status.as_deref(), same_userns)
}

/// The pidfd of the socket's peer, where the kernel gives one.
fn peer_pidfd(socket: BorrowedFd<'_>) -> Option<OwnedFd> {
    let mut fd: libc::c_int = -1;
    let mut len = size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: a valid socket and out-pointers of the sizes given.
    let rc = unsafe {
        libc::getsockopt(
            socket.as_raw_fd(),
            libc::SOL_SOCKET,
            SO_PEERPIDFD,
            (&raw mut fd).cast(),
            &mut len,
        )
    };
    // SAFETY: on success the kernel gave us a new descriptor, ours to close.
    (rc == 0 && fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Whether the process of `pidfd` is still running (signal 0 reaches it).
fn alive(pidfd: &OwnedFd) -> bool {
    // SAFETY: signal 0 only checks; the pidfd is valid.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            pidfd.as_raw_fd(),
            0,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        )
    };
    rc == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Whether process `pid` is in the agent's own user namespace.
fn same_user_namespace(pid: i32) -> bool {
    let ns = |p: &str| std::fs::read_link(format!("/proc/{p}/ns/user")).ok();
    let theirs = ns(&pid.to_string());
    theirs.is_some() && theirs == ns("self")
}

/// How the `/proc` the agent reads is mounted.
pub fn proc_mount() -> ProcMount {
    std::fs::read_to_string("/proc/self/mountinfo")
        .map(|text| ProcMount::from_mountinfo(&text))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
