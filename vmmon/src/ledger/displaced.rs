//! Ranges a mapping displaced because another thread's unmap of them arrives late.
//!
//! Records are stamped at syscall exit, and a thread can be preempted between its change and
//! its exit, so two threads' events can arrive in the other order from their effects. The
//! kernel never puts a non-fixed mapping over a live one: when one lands where the ledger
//! still has something, that range was unmapped by another thread whose event is late. The
//! late unmap, when it comes, must not remove the newcomer, and a late mremap from that range
//! moved what was there before, which is kept here.

use super::region::Region;

/// How long a displaced range waits for its late unmap (a preempted thread can be off the
/// CPU for many time slices on a loaded machine).
const DISPLACED_FOR_NS: u64 = 2_000_000_000;
/// At most this many displaced ranges are remembered per address space.
const DISPLACED_MAX: usize = 64;

/// One displaced range.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Displaced {
    pub start: u64,
    pub end: u64,
    /// The thread that mapped over it: its own later unmaps are in order and apply.
    pub tid: u32,
    pub ts_ns: u64,
    /// What the ledger had there: what a late mremap from that range really moved.
    pub regions: Vec<Region>,
}

/// The displaced ranges of one address space.
#[derive(Clone, Debug, Default)]
pub struct Displacements(Vec<Displaced>);

impl Displacements {
    /// Whether no range is displaced (almost always).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether an unmap or move of `[start, end)` by `tid` would take something (another
    /// thread's displaced range overlaps it).
    pub fn affects(&self, start: u64, end: u64, tid: u32) -> bool {
        self.0
            .iter()
            .any(|d| d.tid != tid && d.start < end && start < d.end)
    }

    /// Notes that thread `tid`, at `ts_ns`, mapped over `regions` (each cut to the new
    /// mapping's range).
    pub fn note(&mut self, regions: Vec<Region>, tid: u32, ts_ns: u64) {
        for r in regions {
            if self.0.len() == DISPLACED_MAX {
                self.0.remove(0);
            }
            self.0.push(Displaced {
                start: r.start,
                end: r.end,
                tid,
                ts_ns,
                regions: vec![r],
            });
        }
    }

    /// Takes the parts of other threads' displaced ranges that overlap `[start, end)`, for
    /// an unmap or move by `tid` at `ts_ns`; the parts outside stay for the late events that
    /// may still come for them.
    pub fn take(&mut self, start: u64, end: u64, tid: u32, ts_ns: u64) -> Vec<Displaced> {
        // Almost always there is nothing displaced, or nothing here: no work, no allocation.
        if !self.affects(start, end, tid) {
            return Vec::new();
        }
        self.0
            .retain(|d| ts_ns.saturating_sub(d.ts_ns) < DISPLACED_FOR_NS);
        let mut hit = Vec::new();
        let mut keep = Vec::new();
        for d in std::mem::take(&mut self.0) {
            if d.tid == tid || d.end <= start || end <= d.start {
                keep.push(d);
                continue;
            }
            let (s, e) = (d.start.max(start), d.end.min(end));
            for (a, b) in [(d.start, s), (e, d.end)] {
                if a < b {
                    keep.push(Displaced {
                        start: a,
                        end: b,
                        regions: clip(&d.regions, a, b),
                        ..d.clone()
                    });
                }
            }
            hit.push(Displaced {
                start: s,
                end: e,
                regions: clip(&d.regions, s, e),
                ..d
            });
        }
        self.0 = keep;
        hit
    }
}

/// The parts of `regions` inside `[start, end)`.
pub fn clip(regions: &[Region], start: u64, end: u64) -> Vec<Region> {
    regions
        .iter()
        .filter(|r| r.start < end && start < r.end)
        .map(|r| r.clipped(start, end))
        .collect()
}
