//! What a change to an address space replaced, so that it can be undone: the regions it
//! touched as they were, and the totals and sums. The ledger applies a call assuming what is
//! likely of what no event shows; when the kernel's count of mappings then disagrees, it
//! tries the other assumptions on the address space as it was before the call. Undoing the
//! call costs what the call touched, where keeping a copy of the address space before every
//! call would cost a copy of its map's changed parts on every call.

use super::attrs::Attrs;
use super::displaced::Displacements;
use super::region::Region;
use super::region_map::RegionMap;
use super::space::Totals;
use super::sums::Sums;
use smallvec::SmallVec;

/// What an address space held besides its regions, as a change began.
#[derive(Clone, Debug)]
pub(super) struct Scalars {
    /// Its displaced ranges, once the change is about to change them (most changes do not:
    /// copied at every change, they would cost more than the change).
    pub(super) displaced: Option<Displacements>,
    pub(super) totals: Totals,
    pub(super) sums: Sums,
    pub(super) brk_start: Option<u64>,
    pub(super) brk: Option<u64>,
    pub(super) future: Attrs,
    pub(super) anon_files: u64,
}

/// A change in progress: each region start it touched, with what was there before (none:
/// nothing started there), and the rest of the address space as it began.
#[derive(Clone, Debug)]
pub(super) struct Journal {
    touched: SmallVec<[(u64, Option<Region>); 4]>,
    /// The starts in `touched`, once there are more than [`SCAN_UP_TO`] (a call over
    /// thousands of mappings, `munlockall`, would otherwise cost their square).
    index: rustc_hash::FxHashSet<u64>,
    pub(super) scalars: Scalars,
}

/// Up to how many touched starts a lookup scans them rather than keep an index.
const SCAN_UP_TO: usize = 16;

impl Journal {
    /// A journal of a change beginning with `scalars`.
    pub(super) fn new(scalars: Scalars) -> Self {
        Self {
            touched: SmallVec::new(),
            index: Default::default(),
            scalars,
        }
    }

    /// Begins again, with `scalars` (keeps the room it has).
    pub(super) fn restart(&mut self, scalars: Scalars) {
        self.touched.clear();
        self.index.clear();
        self.scalars = scalars;
    }

    /// Whether what starts at `start` is noted already.
    pub(super) fn has(&self, start: u64) -> bool {
        if self.touched.len() > SCAN_UP_TO {
            return self.index.contains(&start);
        }
        self.touched.iter().any(|(k, _)| *k == start)
    }

    /// Notes what was at `start` before the change (`was()` is called only the first time:
    /// the first is how it was).
    pub(super) fn note(&mut self, start: u64, was: impl FnOnce() -> Option<Region>) {
        if !self.has(start) {
            self.touched.push((start, was()));
            match self.touched.len() {
                n if n == SCAN_UP_TO + 1 => self.index.extend(self.touched.iter().map(|(k, _)| *k)),
                n if n > SCAN_UP_TO + 1 => {
                    self.index.insert(start);
                }
                _ => {}
            }
        }
    }

    /// Puts `regions` back as they were when the change began.
    pub(super) fn undo(self, regions: &mut RegionMap) -> Scalars {
        for (start, was) in self.touched {
            match was {
                Some(r) => {
                    regions.insert(start, r);
                }
                None => {
                    regions.remove(&start);
                }
            }
        }
        self.scalars
    }
}

#[cfg(test)]
mod tests;
