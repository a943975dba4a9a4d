//! The kernel's own figures for an address space, as records and sweeps carry them.

use vmmon_common::linux::PAGE_SIZE;
use vmmon_common::{FIGURES_KNOWN, FIGURES_OWN_CALL};

/// An address space's figures, read from its `mm` in the kernel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Figures {
    /// Bytes mapped (`VmSize`; `[vsyscall]` is not part of it).
    pub virtual_bytes: u64,
    /// The most ever mapped (`VmPeak`).
    pub peak_virtual_bytes: u64,
    /// Mappings (VMAs; the lines of `/proc/PID/maps` but `[vsyscall]`).
    pub mappings: u32,
    /// The process's traced calls when they were read.
    pub calls: Calls,
}

/// What the process's traced calls were doing when figures were read: whether anything may
/// be in the figures whose record comes later (see `agent::check`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Calls {
    /// Calls in flight, `own` among them.
    pub inflight: u32,
    /// Whether the record's own call is counted in `inflight`.
    pub own: bool,
    /// Calls entered, before the figures were read and after.
    pub enters_before: u32,
    pub enters_after: u32,
    /// Records of the process the ring had no room for, so far.
    pub lost: u32,
}

impl Calls {
    /// Other calls in flight.
    pub fn others(&self) -> u32 {
        self.inflight.saturating_sub(u32::from(self.own))
    }
}

impl Figures {
    /// From a record's raw figures; `None` when they were not read (the kernel's layout was
    /// not resolved, or the task had no address space).
    pub fn from_raw(f: &vmmon_common::Figures) -> Option<Self> {
        (f.flags & FIGURES_KNOWN != 0).then(|| Self {
            virtual_bytes: f.total_vm * PAGE_SIZE,
            peak_virtual_bytes: f.total_vm.max(f.hiwater_vm) * PAGE_SIZE,
            mappings: f.map_count,
            calls: Calls {
                inflight: f.inflight,
                own: f.flags & FIGURES_OWN_CALL != 0,
                enters_before: f.enters_before,
                enters_after: f.enters_after,
                lost: f.lost,
            },
        })
    }
}

/// Resident memory, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Resident {
    /// The most ever resident (`VmHWM`).
    pub peak_bytes: u64,
    /// Resident file pages (`RssFile`).
    pub file_bytes: u64,
    /// Resident anonymous pages (`RssAnon`).
    pub anon_bytes: u64,
    /// Resident shared memory (`RssShmem`).
    pub shmem_bytes: u64,
    /// Swapped out (`VmSwap`).
    pub swap_bytes: u64,
}

impl Resident {
    /// From the raw pages.
    pub fn from_raw(r: &vmmon_common::Resident) -> Self {
        let total = r.file + r.anon + r.shmem;
        Self {
            peak_bytes: r.hiwater_rss.max(total) * PAGE_SIZE,
            file_bytes: r.file * PAGE_SIZE,
            anon_bytes: r.anon * PAGE_SIZE,
            shmem_bytes: r.shmem * PAGE_SIZE,
            swap_bytes: r.swap * PAGE_SIZE,
        }
    }

    /// Resident in all (`VmRSS`).
    pub fn total_bytes(&self) -> u64 {
        self.file_bytes + self.anon_bytes + self.shmem_bytes
    }
}

/// One process as a sweep found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Swept {
    pub tgid: u32,
    /// `CLOCK_MONOTONIC` ns when it was read.
    pub ts_ns: u64,
    /// When the process started (`CLOCK_MONOTONIC` ns).
    pub start_ns: u64,
    pub figures: Figures,
    pub resident: Resident,
    /// When (`CLOCK_MONOTONIC` ns) the oldest traced call of the process still in the
    /// kernel began, when one was and its start could be told.
    pub oldest_call_ns: Option<u64>,
}

#[cfg(test)]
mod tests;
