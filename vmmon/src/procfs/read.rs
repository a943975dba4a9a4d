//! Reading a process's maps and stat from `/proc` (blocking: call from a dedicated thread,
//! never from a tokio worker).

use super::{parse_maps, parse_stat};
use crate::clock::monotonic_ns;
use crate::ledger::MapsRead;
use std::io::ErrorKind;

/// Why a process's maps could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("process {0} does not exist (it may have exited)")]
    Gone(u32),
    #[error("reading /proc/{0}/maps was refused ({1}); vmmon needs root or CAP_SYS_PTRACE")]
    Denied(u32, std::io::Error),
    #[error("reading /proc/{0}/maps failed: {1}")]
    Io(u32, std::io::Error),
}

/// A snapshot of `pid`'s address space, and how many maps lines did not parse.
#[derive(Debug, Default)]
pub struct ProcessRead {
    pub snapshot: MapsRead,
    pub comm: String,
    /// The container or systemd unit, from `/proc/PID/cgroup`.
    pub unit: Option<String>,
    /// The effective user id, from `/proc/PID/status`.
    pub uid: Option<u32>,
    pub malformed: usize,
    /// Kernel threads have no address space: nothing to track.
    pub kernel_thread: bool,
}

fn read_to_string(pid: u32, file: &str) -> Result<String, ReadError> {
    std::fs::read_to_string(format!("/proc/{pid}/{file}")).map_err(|e| match e.kind() {
        ErrorKind::NotFound => ReadError::Gone(pid),
        ErrorKind::PermissionDenied => ReadError::Denied(pid, e),
        // A process that exits while its maps are read gives ESRCH.
        _ if e.raw_os_error() == Some(libc::ESRCH) => ReadError::Gone(pid),
        _ => ReadError::Io(pid, e),
    })
}

/// Reads `/proc/PID/stat` and `/proc/PID/maps`.
pub fn read_process(pid: u32) -> Result<ProcessRead, ReadError> {
    let stat = read_to_string(pid, "stat")?;
    let stat = parse_stat(&stat);
    let taken_ns = monotonic_ns();
    let maps = read_to_string(pid, "maps")?;
    let done_ns = monotonic_ns();
    let (regions, errors) = parse_maps(&maps);
    for e in errors.iter().take(1) {
        log::debug!("pid {pid}: {e}");
    }
    let kernel_thread = regions.is_empty()
        && std::fs::read_link(format!("/proc/{pid}/exe")).is_err()
        && stat.as_ref().is_some_and(|s| s.start_brk == 0);
    Ok(ProcessRead {
        snapshot: MapsRead {
            regions,
            start_brk: stat.as_ref().map_or(0, |s| s.start_brk),
            taken_ns,
            done_ns,
        },
        comm: stat.map(|s| s.comm).unwrap_or_default(),
        unit: std::fs::read_to_string(format!("/proc/{pid}/cgroup"))
            .ok()
            .and_then(|t| super::unit_of(&t)),
        uid: std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|t| effective_uid(&t)),
        malformed: errors.len(),
        kernel_thread,
    })
}

/// The effective uid from `/proc/PID/status` text (`Uid:` real, effective, saved, fs).
pub fn effective_uid(status: &str) -> Option<u32> {
    let line = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// This process's CPU seconds (getrusage) and resident bytes (`/proc/self/statm`, which
/// reads counters without taking the mmap lock).
pub fn own_cpu_and_rss() -> (f64, u64) {
    // SAFETY: an all-zero rusage is a valid value of the plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid out-pointer for the call.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cpu = secs(usage.ru_utime) + secs(usage.ru_stime);
    let rss_pages: u64 = std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0);
    (cpu, rss_pages * crate::ledger::PAGE)
}

/// Every pid in `/proc`.
pub fn list_pids() -> std::io::Result<Vec<u32>> {
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    Ok(pids)
}

#[cfg(test)]
mod tests;
