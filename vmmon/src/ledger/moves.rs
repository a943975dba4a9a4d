//! Regions that move or grow: an `mremap` that moves (or copies) its source, and growth in
//! place (`mremap`, `brk`). The bytes a call adds are its call site's.

use super::displaced::clip;
use super::region::{Origin, Region};
use super::sites::SiteId;
use super::space::AddressSpace;

impl AddressSpace {
    /// Moves the regions of `[old, old + old_len)` to `new` (a free range), keeping at most
    /// `new_len` bytes and growing the last region when `new_len` is larger. With `keep_old`
    /// (`MREMAP_DONTUNMAP`, or `old_len` 0) the source stays mapped too.
    pub(super) fn relocate(
        &mut self,
        (old, old_len): (u64, u64),
        (new, new_len): (u64, u64),
        keep_old: bool,
        (tid, ts_ns, site): (u32, u64, SiteId),
    ) {
        let src_end = old + old_len;
        // Parts of the source that another thread has already mapped over (this event is
        // late): what moved was what the ledger had there before, saved when it was displaced.
        let displaced = if keep_old || old_len == 0 || !self.displaced.affects(old, src_end, tid) {
            Vec::new()
        } else {
            self.displaced_mut().take(old, src_end, tid, ts_ns)
        };
        let mut moved = if old_len == 0 {
            self.find(old).cloned().map(|mut r| {
                r.start = old;
                r.end = old;
                // A new copy of shared memory: all of it the mremap call's.
                r.sites = Default::default();
                vec![r]
            })
        } else {
            let taken = self.carve(old, src_end);
            if keep_old {
                self.restore(taken.clone());
                Some(taken)
            } else {
                // Put back what belongs to the other thread; move the saved regions instead.
                let mut scratch = AddressSpace::from_regions(taken);
                let mut saved = Vec::new();
                for d in displaced {
                    let (s, e) = (d.start.max(old), d.end.min(src_end));
                    self.restore(scratch.carve(s, e));
                    saved.extend(clip(&d.regions, s, e));
                }
                let mut taken: Vec<Region> = scratch.regions.values().cloned().collect();
                taken.extend(saved);
                taken.sort_by_key(|r| r.start);
                self.totals.unmapped_bytes += taken.iter().map(Region::len).sum::<u64>();
                Some(taken)
            }
        }
        .unwrap_or_default();
        if moved.is_empty() {
            return;
        }
        let delta = new.wrapping_sub(old);
        let limit = new + new_len;
        let mut placed = Vec::with_capacity(moved.len());
        for mut r in moved.drain(..) {
            r.start = r.start.wrapping_add(delta);
            r.end = r.end.wrapping_add(delta).min(limit);
            if r.start >= limit {
                continue;
            }
            let len = r.len();
            r.sites.truncate(len);
            r.origin = Origin::Mremap;
            r.changes = r.changes.saturating_add(1);
            placed.push(r);
        }
        if let Some(last) = placed.last_mut()
            && last.end < limit
        {
            let len = last.len();
            last.sites.grow(len, site);
            last.end = limit;
        }
        for r in placed {
            self.map(r);
        }
    }

    /// Grows the mapping ending at `end` to `new_end` in place (mremap or brk growth): the
    /// kernel extends that mapping, whatever was mapped.
    pub(super) fn grow(&mut self, end: u64, new_end: u64, site: SiteId) -> bool {
        let Some(last) = self.find(end.saturating_sub(1)).cloned() else {
            return false;
        };
        if last.end != end || new_end <= end {
            return false;
        }
        self.unmap(end, new_end);
        let mut grown = self.carve(last.start, end).pop().expect("just found");
        let len = grown.len();
        grown.sites.grow(len, site);
        grown.end = new_end;
        grown.changes = grown.changes.saturating_add(1);
        self.restore(vec![grown]);
        self.totals.mapped_bytes += new_end - end;
        self.totals.peak_virtual_bytes = self
            .totals
            .peak_virtual_bytes
            .max(self.totals.virtual_bytes);
        true
    }
}
