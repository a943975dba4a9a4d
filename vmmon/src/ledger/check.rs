//! Holding a process's ledger to the kernel's own figures, which ride on every record and
//! every sweep: when may they be compared, and what does a difference mean.
//!
//! Figures are read at one instant, while other threads of the process may be inside
//! traced calls whose records come later. The programs count the process's calls around the
//! read: the figures can be held against the ledger only when no other call was in flight,
//! none entered while they were read, and no record already applied came from a call that
//! entered after them. Then every change in the figures has its record applied, and none
//! that is applied is missing from them. Otherwise the figures are kept (they are still the
//! kernel's numbers) but judge nothing.

use super::apply::{Assume, Call, apply_assuming};
use super::space::AddressSpace;
use crate::event::{Figures, Kind};
use std::collections::HashMap;

/// Why a check found the ledger wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mismatch {
    /// The kernel has more mapped than the ledger (a stack that grew, an untraced call).
    Grown,
    /// The kernel has less mapped than the ledger.
    Shrunk,
    /// As much mapped, in another number of mappings (a split or merge the ledger did not
    /// model).
    Layout,
    /// Records of the process were lost (the ring was full).
    Lost,
}

impl Mismatch {
    /// Every cause.
    pub const ALL: [Mismatch; 4] = [
        Mismatch::Grown,
        Mismatch::Shrunk,
        Mismatch::Layout,
        Mismatch::Lost,
    ];

    /// The name used in the API and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Mismatch::Grown => "grown",
            Mismatch::Shrunk => "shrunk",
            Mismatch::Layout => "layout",
            Mismatch::Lost => "lost",
        }
    }
}

/// What a check found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Size and mappings equal the kernel's.
    Exact,
    /// They differ: the process must be read again.
    Mismatch(Mismatch),
    /// The figures cannot be held against the ledger (another call was in flight).
    Unchecked,
}

/// What the ledger keeps of a process's calls to judge its figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CheckState {
    /// The most calls entered that any record applied had seen.
    max_enters: Option<u32>,
    /// Records lost, as the last figures said.
    lost: Option<u32>,
}

/// Whether count `a` is after count `b` (they wrap).
fn after(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

impl CheckState {
    /// Notes the figures a syscall record carried, once its call is applied: later
    /// figures read before that call entered cannot judge the ledger.
    pub fn applied(&mut self, f: &Figures) {
        let e = f.calls.enters_after;
        if self.max_enters.is_none_or(|m| after(e, m)) {
            self.max_enters = Some(e);
        }
    }

    /// Judges the ledger, which has `bytes` mapped in `mappings` mappings (both as the
    /// kernel counts them), against figures `f`.
    pub fn judge(&mut self, f: &Figures, bytes: u64, mappings: usize) -> Verdict {
        // The first figures seen with records already lost: whether the ledger began before
        // or after the losses is not known, so it is read (once) rather than trusted.
        let lost_before = self.lost.replace(f.calls.lost).unwrap_or(0);
        if lost_before != f.calls.lost {
            return Verdict::Mismatch(Mismatch::Lost);
        }
        let c = &f.calls;
        let quiet = c.others() == 0
            && c.enters_before == c.enters_after
            && self.max_enters.is_none_or(|m| !after(m, c.enters_after));
        if !quiet {
            return Verdict::Unchecked;
        }
        if bytes < f.virtual_bytes {
            Verdict::Mismatch(Mismatch::Grown)
        } else if bytes > f.virtual_bytes {
            Verdict::Mismatch(Mismatch::Shrunk)
        } else if mappings != f.mappings as usize {
            Verdict::Mismatch(Mismatch::Layout)
        } else {
            Verdict::Exact
        }
    }
}

/// Where the likely assumption left `space` (after applying `kind`, since
/// [`AddressSpace::begin`]) with the right size in another number of mappings than figures
/// `f` that can judge it, tries the others ([`Assume::others`]) on the address space as it
/// was before the call, and keeps the first that gives the kernel's count. True when one did.
/// Each try is undone by the journal, which costs what the call touched: a copy of the
/// address space per try would cost its size (thousands of mappings, `stress-ng --mlock`).
pub(super) fn settle_layout(
    space: &mut AddressSpace,
    (kind, call): (&Kind, Call),
    f: &Figures,
    state: &CheckState,
) -> bool {
    let judge = |s: &AddressSpace| {
        let mut probe = *state;
        probe.judge(f, s.kernel_bytes(), s.mappings())
    };
    if judge(space) != Verdict::Mismatch(Mismatch::Layout) {
        return false;
    }
    space.undo();
    for assume in Assume::others() {
        space.begin();
        apply_assuming(space, kind, call, assume);
        if judge(space) == Verdict::Exact {
            return true;
        }
        space.undo();
    }
    space.begin();
    apply_assuming(space, kind, call, Assume::LIKELY);
    false
}

/// What the checks found, machine-wide (`self_check` in `GET /api/v1/status`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CheckCounters {
    /// Checks that found the ledger exact.
    pub exact: u64,
    /// Figures that could not judge (calls in flight).
    pub unchecked: u64,
    /// Times a check found a ledger wrong, by cause (once per finding, not per check that
    /// saw it again before it was repaired).
    pub mismatches: HashMap<Mismatch, u64>,
    /// Calls whose effect on the layout the kernel's count decided (what the ledger cannot
    /// see: whether pages were written, whether neighbours' memory allows a merge).
    #[serde(default)]
    pub layouts_settled: u64,
}

impl CheckCounters {
    /// Counts a verdict.
    pub fn count(&mut self, v: Verdict) {
        match v {
            Verdict::Exact => self.exact += 1,
            Verdict::Unchecked => self.unchecked += 1,
            Verdict::Mismatch(m) => *self.mismatches.entry(m).or_default() += 1,
        }
    }
}

#[cfg(test)]
mod tests;
