//! A process and its regions as the API shows them.

use crate::ledger::{
    AddressSpace, BytesByKind, CallCounts, PermBytes, Process, Region, Totals, Verdict,
};
use serde::{Deserialize, Serialize};

/// Bytes (`bytes_by_kind`) or mappings (`mappings_by_kind`) by kind of mapping.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindBytes {
    pub heap: u64,
    pub stack: u64,
    pub anon: u64,
    pub file: u64,
    /// Files deleted since they were mapped (`/proc` shows ` (deleted)`).
    #[serde(default)]
    pub deleted_file: u64,
    pub shm: u64,
    /// vdso, vvar, vsyscall and other kernel-named regions.
    pub special: u64,
}

impl KindBytes {
    /// Each kind by the name the metrics' `kind` label and `vmmon maps` give it.
    pub fn named(&self) -> [(&'static str, u64); 7] {
        [
            ("heap", self.heap),
            ("stack", self.stack),
            ("anon", self.anon),
            ("file", self.file),
            ("deleted_file", self.deleted_file),
            ("shm", self.shm),
            ("special", self.special),
        ]
    }
}

impl From<&BytesByKind> for KindBytes {
    fn from(b: &BytesByKind) -> Self {
        Self {
            heap: b.heap,
            stack: b.stack,
            anon: b.anon,
            file: b.file,
            deleted_file: b.deleted_file,
            shm: b.shm,
            // [vsyscall] is no part of the address space (the kernel counts it nowhere).
            special: b.vdso + b.vvar + b.special,
        }
    }
}

/// Traced calls of a process still in the kernel: until they return its regions may lag
/// behind `/proc` (its figures do not).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlightView {
    /// How many (the kernel's count at its latest record or sweep).
    pub calls: u32,
    /// When (`CLOCK_MONOTONIC` ns) the oldest of them began, as the last sweep found it;
    /// null before a sweep has seen one.
    pub since_ns: Option<u64>,
}

/// One process: `GET /api/v1/processes` returns a list of these.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessView {
    pub pid: u32,
    pub comm: String,
    /// The effective user id; null until its first `/proc` read.
    pub uid: Option<u32>,
    /// The container (`containerd://<64 hex>`, the id kube-state-metrics uses) or systemd
    /// unit it runs in; null when unknown.
    pub unit: Option<String>,
    /// Mapped now (`VmSize`), the most ever mapped (`VmPeak`), and mappings (the lines of
    /// `/proc/PID/maps` but `[vsyscall]`): the kernel's own figures when it gives them (from
    /// the process's last event or the last sweep), else the ledger's.
    pub virtual_bytes: u64,
    pub peak_virtual_bytes: u64,
    pub mapping_count: usize,
    /// What the last check of the ledger against the kernel's figures found: true when its
    /// size and mappings equaled them; null before any check.
    #[serde(default)]
    pub exact: Option<bool>,
    /// Resident now (`RssAnon + RssFile + RssShmem`), and by type with swap and the peak
    /// (`VmHWM`), from the kernel's counters (the last sweep, no mmap lock taken); null
    /// before the first sweep or without the kernel's figures.
    #[serde(default)]
    pub resident_bytes: Option<u64>,
    #[serde(default)]
    pub resident: Option<crate::event::Resident>,
    /// The brk heap.
    pub heap_bytes: u64,
    pub bytes_by_kind: KindBytes,
    /// Mappings by kind, as the ledger holds them (they add up to `mapping_count` when the
    /// ledger is exact; `[vsyscall]` is none).
    #[serde(default)]
    pub mappings_by_kind: KindBytes,
    pub bytes_by_perm: PermBytes,
    /// Writable and executable at once.
    pub wx_bytes: u64,
    /// Added by mmap, mremap and brk since the ledger began tracking the process.
    pub mapped_bytes: u64,
    pub unmapped_bytes: u64,
    pub protected_bytes: u64,
    pub calls: CallCounts,
    /// Virtual-size change per second (the last two one-second samples).
    pub growth_bytes_per_second: i64,
    /// Virtual-size change over the growth window (`growth_window_seconds` in the status).
    pub growth_bytes: i64,
    /// Its traced calls still in the kernel; null when none.
    #[serde(default)]
    pub in_flight: Option<InFlightView>,
    /// The calls the kernel refused it for want of memory or of room for a mapping (the
    /// first and the latest); null when none was.
    #[serde(default)]
    pub refused: Option<super::RefusedView>,
}

/// One mapping: `GET /api/v1/processes/{pid}/maps` returns a list of these.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegionView {
    pub start: u64,
    /// Exclusive.
    pub end: u64,
    /// As in /proc: `r-xp`, `rw-s`.
    pub perms: String,
    /// heap, stack, anon, file, shm, vdso, vvar, vsyscall, special.
    pub kind: String,
    /// The file or kernel name; null when anonymous or not yet known.
    pub path: Option<String>,
    pub offset: u64,
    /// procfs, mmap, brk, mremap: how the region came to be (a forked child keeps its
    /// parent's).
    pub origin: String,
    /// mprotect/mremap calls that changed it since.
    pub changes: u32,
    /// The call sites that made its bytes, first to last, by id as in
    /// `/api/v1/processes/{pid}/sites`; empty when no captured call made any of it.
    #[serde(default)]
    pub sites: Vec<String>,
}

/// A process's view from its ledger entry and address space.
pub fn process_view(p: &Process, space: &AddressSpace) -> ProcessView {
    let bytes_by_kind = KindBytes::from(&space.bytes_by_kind());
    let bytes_by_perm = space.bytes_by_perm();
    let Totals {
        peak_virtual_bytes,
        mapped_bytes,
        unmapped_bytes,
        protected_bytes,
        ..
    } = space.totals();
    let ledger_bytes = space.kernel_bytes();
    let resident = p.kernel.and_then(|k| k.resident);
    let (virtual_bytes, peak_virtual_bytes, mapping_count) = match &p.kernel {
        Some(k) => (
            k.figures.virtual_bytes,
            k.figures.peak_virtual_bytes,
            k.figures.mappings as usize,
        ),
        None => (
            ledger_bytes,
            peak_virtual_bytes.max(ledger_bytes),
            space.mappings(),
        ),
    };
    ProcessView {
        pid: p.tgid,
        comm: p.comm.to_string_lossy().into_owned(),
        uid: p.uid,
        unit: p.unit.as_deref().map(str::to_string),
        virtual_bytes,
        peak_virtual_bytes,
        mapping_count,
        exact: p.verdict.and_then(|v| match v {
            Verdict::Exact => Some(true),
            Verdict::Mismatch(_) => Some(false),
            Verdict::Unchecked => None,
        }),
        resident_bytes: resident.map(|r| r.anon_bytes + r.file_bytes + r.shmem_bytes),
        resident,
        heap_bytes: bytes_by_kind.heap,
        bytes_by_kind,
        mappings_by_kind: KindBytes::from(&space.sums().mappings_by_kind.by_kind()),
        wx_bytes: bytes_by_perm.write_exec,
        bytes_by_perm,
        mapped_bytes,
        unmapped_bytes,
        protected_bytes,
        calls: p.calls,
        // Growth needs samples over time: the ledger's owner fills these in.
        growth_bytes_per_second: 0,
        growth_bytes: 0,
        in_flight: in_flight(p),
        refused: p.refused.as_deref().and_then(super::RefusedView::of),
    }
}

/// A process's calls in flight, by the kernel's latest figures.
fn in_flight(p: &Process) -> Option<InFlightView> {
    let calls = p.kernel?.figures.calls.others();
    (calls > 0).then_some(InFlightView {
        calls,
        since_ns: p.oldest_call_ns,
    })
}

/// A region's view.
pub fn region_view(r: &Region) -> RegionView {
    RegionView {
        start: r.start,
        end: r.end,
        perms: r.perms.to_string(),
        kind: r.kind.name().to_string(),
        path: r.path.as_deref().map(str::to_string),
        offset: r.offset,
        origin: format!("{:?}", r.origin).to_lowercase(),
        changes: r.changes,
        sites: {
            let mut ids: Vec<String> = Vec::new();
            r.sites.each(r.len(), |s, _| {
                let id = crate::ledger::site_name(s);
                if s != crate::ledger::NO_SITE && !ids.contains(&id) {
                    ids.push(id);
                }
            });
            ids
        },
    }
}

/// Regions as `/proc/PID/maps` shows them: neighbours the kernel would keep as one mapping
/// (touching, same permissions, kind and file, contiguous file offsets) merged into one.
pub fn merge_adjacent(regions: Vec<RegionView>) -> Vec<RegionView> {
    let mut out: Vec<RegionView> = Vec::with_capacity(regions.len());
    for r in regions {
        if let Some(last) = out.last_mut()
            && last.end == r.start
            && last.perms == r.perms
            && last.kind == r.kind
            && last.path == r.path
            && (last.path.is_none() || last.offset + (last.end - last.start) == r.offset)
        {
            last.end = r.end;
            last.changes += r.changes;
            for s in r.sites {
                if !last.sites.contains(&s) {
                    last.sites.push(s);
                }
            }
            continue;
        }
        out.push(r);
    }
    out
}

#[cfg(test)]
mod tests;
