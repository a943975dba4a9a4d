//! An address space's regions: an ordered map of non-overlapping regions changed with the
//! kernel's split and merge rules, what they add up to ([`Sums`]) and the running
//! [`Totals`], kept as each change is made, and what the change in progress replaced (its
//! [`Journal`]) so that it can be undone.

use super::attrs::Attrs;
use super::journal::{Journal, Scalars};
use super::region::{Region, RegionKind};
use super::region_map::RegionMap;
use super::sites::{NO_SITE, SiteSpans};
use super::sums::Sums;
use smallvec::SmallVec;

/// Running totals of what has happened to an address space.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Totals {
    /// Bytes mapped now.
    pub virtual_bytes: u64,
    /// The most that was ever mapped at once.
    pub peak_virtual_bytes: u64,
    /// Bytes added by mmap, mremap growth and brk growth, since tracking began.
    pub mapped_bytes: u64,
    /// Bytes removed by munmap, mremap shrink and brk shrink (a replaced range counts too).
    pub unmapped_bytes: u64,
    /// Bytes whose permissions mprotect changed.
    pub protected_bytes: u64,
}

impl Totals {
    /// Bytes mapped now grew (or a mapping grew in place): the peak follows.
    fn raise_peak(&mut self) {
        self.peak_virtual_bytes = self.peak_virtual_bytes.max(self.virtual_bytes);
    }
}

/// The regions of an address space, their sums and totals, undoable (see the module's doc).
/// Reading goes through the [`RegionMap`] it derefs to; every change goes through its
/// methods, which keep the sums and the journal.
#[derive(Clone, Debug, Default)]
pub struct Regions {
    map: RegionMap,
    totals: Totals,
    sums: Sums,
    /// What the change in progress replaced, kept (with its room) between changes.
    journal: Option<Box<Journal>>,
    /// Whether a change in progress may be undone.
    journaling: bool,
}

impl std::ops::Deref for Regions {
    type Target = RegionMap;

    fn deref(&self) -> &RegionMap {
        &self.map
    }
}

impl Regions {
    /// The running totals.
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// What the regions add up to.
    pub fn sums(&self) -> &Sums {
        &self.sums
    }

    /// Counts `bytes` whose permissions changed.
    pub(super) fn count_protected(&mut self, bytes: u64) {
        self.totals.protected_bytes += bytes;
    }

    /// Counts `bytes` removed (by a move that left nothing behind).
    pub(super) fn count_unmapped(&mut self, bytes: u64) {
        self.totals.unmapped_bytes += bytes;
    }

    /// Counts `bytes` a mapping grew by in place.
    pub(super) fn count_grown(&mut self, bytes: u64) {
        self.totals.mapped_bytes += bytes;
        self.totals.raise_peak();
    }

    /// Starts counting mappings made from now on (those of a `/proc` read are not).
    pub(super) fn reset_mapped(&mut self) {
        self.totals.mapped_bytes = 0;
    }

    /// Starts keeping what changes replace, with `scalars` the rest of the address space as
    /// the change begins, until [`Regions::undo`] or [`Regions::keep`].
    pub(super) fn begin(&mut self, scalars: impl FnOnce(Totals, Sums) -> Scalars) {
        let scalars = scalars(self.totals, self.sums);
        match &mut self.journal {
            Some(j) => j.restart(scalars),
            None => self.journal = Some(Box::new(Journal::new(scalars))),
        }
        self.journaling = true;
    }

    /// Keeps the changes since [`Regions::begin`].
    pub(super) fn keep(&mut self) {
        self.journaling = false;
    }

    /// Undoes the changes since [`Regions::begin`]: the regions, sums and totals are as they
    /// were, and the rest of the address space as it was is returned.
    pub(super) fn undo(&mut self) -> Option<Scalars> {
        if !std::mem::take(&mut self.journaling) {
            return None;
        }
        let s = self.journal.take()?.undo(&mut self.map);
        self.totals = s.totals;
        self.sums = s.sums;
        Some(s)
    }

    /// The journal, while a change may be undone.
    pub(super) fn journal(&mut self) -> Option<&mut Journal> {
        if self.journaling {
            self.journal.as_deref_mut()
        } else {
            None
        }
    }

    /// The region starting at `start`, to change (noted first while a change may be undone).
    fn get_mut(&mut self, start: u64) -> Option<&mut Region> {
        let r = self.map.get_mut(&start)?;
        if self.journaling
            && let Some(j) = self.journal.as_deref_mut()
        {
            j.note(start, || Some(r.clone()));
        }
        Some(r)
    }

    /// Takes out the region starting at `start`.
    fn take(&mut self, start: u64) -> Option<Region> {
        let r = self.map.remove(&start)?;
        if let Some(j) = self.journal() {
            j.note(start, || Some(r.clone()));
        }
        Some(r)
    }

    /// Puts `r` where the region starting at `start` is (see [`RegionMap::replace_at`]),
    /// and returns that region.
    fn replace(&mut self, start: u64, r: Region) -> Region {
        let new_start = r.start;
        let was = self
            .map
            .replace_at(start, r)
            .expect("a region starts there");
        if let Some(j) = self.journal() {
            j.note(start, || Some(was.clone()));
            j.note(new_start, || None);
        }
        was
    }

    /// Puts `r` in at its start.
    fn put(&mut self, r: Region) {
        let start = r.start;
        let was = self.map.insert(start, r);
        if let Some(j) = self.journal() {
            j.note(start, || was);
        }
    }

    /// Removes every region overlapping `[start, end)`, cut to that range (the parts outside
    /// it stay), handing each to `f`. The hot path: one walk of the map finds every region
    /// concerned, and a range nothing overlaps (most new mappings) costs one lookup.
    pub(super) fn carve_each(&mut self, start: u64, end: u64, mut f: impl FnMut(Region)) {
        if start >= end {
            return;
        }
        // Every region overlapping the range, last first: they start before `end`, and end
        // after `start`.
        let mut overlapping: SmallVec<[u64; 4]> = SmallVec::new();
        for (&k, r) in self.map.range(..end).rev() {
            if r.end <= start {
                break;
            }
            overlapping.push(k);
        }
        for k in overlapping.into_iter().rev() {
            let mut r = self.cut_out(k, start, end);
            if r.end > end {
                let right = r.split_off(end);
                self.sums.split(right.kind);
                self.put(right);
            }
            self.totals.virtual_bytes -= r.len();
            self.sums.sub(&r);
            f(r);
        }
    }

    /// Takes out the region at `k` from `start` on, where it overlaps `[start, end)`: what
    /// it has before `start` stays, and what it has after `end` takes its place when it
    /// began inside the range.
    fn cut_out(&mut self, k: u64, start: u64, end: u64) -> Region {
        if k < start {
            // It straddles the start: the part before stays where it is.
            let r = self.get_mut(k).expect("key just found").split_off(start);
            self.sums.split(r.kind);
            r
        } else if self.map.get(&k).is_some_and(|r| r.end > end) {
            // It straddles the end: the part after takes its place (no other region
            // starts between), the part before goes.
            let after = self.get_mut(k).expect("key just found").split_off(end);
            self.sums.split(after.kind);
            self.replace(k, after)
        } else {
            self.take(k).expect("key just found")
        }
    }

    /// Removes and returns every region overlapping `[start, end)`, cut to that range.
    pub(super) fn carve(&mut self, start: u64, end: u64) -> Vec<Region> {
        let mut out = Vec::new();
        self.carve_each(start, end, |r| out.push(r));
        out
    }

    /// Removes `[start, end)` and returns the bytes that were mapped there.
    fn carve_bytes(&mut self, start: u64, end: u64) -> u64 {
        let mut bytes = 0;
        self.carve_each(start, end, |r| bytes += r.len());
        bytes
    }

    /// Removes what overlaps `region` and counts it in (totals and sums), before it is put
    /// in the map.
    fn make_room(&mut self, region: &Region) {
        let replaced = self.carve_bytes(region.start, region.end);
        self.totals.unmapped_bytes += replaced;
        self.totals.mapped_bytes += region.len();
        self.totals.virtual_bytes += region.len();
        self.totals.raise_peak();
        self.sums.add(region);
    }

    /// Puts `region` in place, replacing whatever overlapped it (as `MAP_FIXED` does).
    pub(super) fn map(&mut self, region: Region) {
        if region.is_empty() {
            return;
        }
        self.make_room(&region);
        self.put(region);
    }

    /// Puts `region` in place as [`Regions::map`] does, merged with the neighbours it
    /// merges with, as [`Regions::merge_around`] would after it, but without putting it in
    /// the map first: where it merges, a neighbour grows in its place.
    pub(super) fn map_merging(&mut self, region: Region, lenient: bool) {
        if region.is_empty() {
            return;
        }
        self.make_room(&region);
        let end = region.end;
        let before = self
            .map
            .get_prev(&region.start.saturating_sub(1))
            .filter(|(_, p)| p.merges_with(&region, lenient))
            .map(|(&k, _)| k);
        if let Some(at) = before {
            // It grows the region before it, which may then reach the one after.
            self.absorb(at, &region);
            let merges_next = match (self.map.get(&at), self.map.get(&end)) {
                (Some(a), Some(next)) => a.merges_with(next, lenient),
                _ => false,
            };
            if merges_next {
                self.merge_next(at, end);
            }
            return;
        }
        match self.map.get(&end) {
            Some(next) if region.merges_with(next, lenient) => {
                // It takes in the region after it, in that region's place.
                let mut merged = region;
                self.sums.sub(&merged);
                self.sums.sub(next);
                merged.absorb(next);
                self.sums.add(&merged);
                self.replace(end, merged);
            }
            _ => self.put(region),
        }
    }

    /// Re-inserts regions taken out by `carve` without counting them as new mappings.
    pub(super) fn restore(&mut self, regions: Vec<Region>) {
        for r in regions {
            self.totals.virtual_bytes += r.len();
            self.sums.add(&r);
            self.put(r);
        }
    }

    /// Removes `[start, end)`; returns the bytes that were mapped there.
    pub(super) fn unmap(&mut self, start: u64, end: u64) -> u64 {
        let bytes = self.carve_bytes(start, end);
        self.totals.unmapped_bytes += bytes;
        bytes
    }

    /// Sets `set` and clears `clear` in the flags of every mapped byte of `[start, end)`,
    /// splitting as the kernel does. Special mappings are left alone.
    /// The regions are cut at the range's ends only and changed in place: a call over
    /// thousands of mappings (`munlockall`, `mlock` of a large range) touches each once,
    /// without taking it out of the map and putting it back.
    pub(super) fn set_attrs(&mut self, start: u64, end: u64, set: Attrs, clear: Attrs) {
        if start >= end {
            return;
        }
        self.split_at(start);
        self.split_at(end);
        let mut journal = self.journal.as_deref_mut().filter(|_| self.journaling);
        let sums = &mut self.sums;
        self.map.each_mut_in(start, end, |r| {
            let special = matches!(
                r.kind,
                RegionKind::Vdso | RegionKind::Vvar | RegionKind::Vsyscall | RegionKind::Special
            );
            let attrs = r.attrs.without(clear).with(set);
            if special || r.attrs == attrs {
                return;
            }
            if let Some(j) = journal.as_deref_mut() {
                j.note(r.start, || Some(r.clone()));
            }
            sums.sub(r);
            r.attrs = attrs;
            sums.add(r);
        });
    }

    /// Cuts the region that straddles `at` (if one does) in two there.
    fn split_at(&mut self, at: u64) {
        let straddling = self
            .map
            .get_prev(&at.saturating_sub(1))
            .filter(|(k, r)| **k < at && r.end > at)
            .map(|(k, _)| *k);
        if let Some(k) = straddling {
            let right = self.get_mut(k).expect("key just found").split_off(at);
            self.sums.split(right.kind);
            self.put(right);
        }
    }

    /// Merges the regions in and around `[start, end)` that the kernel would keep as one
    /// mapping ([`Region::merges_with`]): after a change there, the changed regions with
    /// each other and with their neighbours. With `lenient`, guessed flags take those of
    /// the neighbour.
    pub(super) fn merge_around(&mut self, start: u64, end: u64, lenient: bool) {
        let first = self
            .map
            .get_prev(&start.saturating_sub(1))
            .or_else(|| self.map.get_next(&start));
        let Some(mut at) = first.map(|(&k, _)| k) else {
            return;
        };
        // Each region from there to `end` with the one after it: no region starts at
        // `u64::MAX`, so `at + 1` does not overflow.
        while let Some((&next, b)) = self.map.get_next(&(at + 1)) {
            if next > end {
                break;
            }
            let merges = self.map.get(&at).is_some_and(|a| a.merges_with(b, lenient));
            if merges {
                self.merge_next(at, next);
            } else {
                at = next;
            }
        }
    }

    /// Merges the region starting at `next` into the one starting at `at`, right before it.
    fn merge_next(&mut self, at: u64, next: u64) {
        let b = self.take(next).expect("a region starts there");
        self.absorb(at, &b);
    }

    /// Grows the region starting at `at` by `b`, right after it. A lenient merge may change
    /// the flags of either part: both are counted out and the merged region in.
    fn absorb(&mut self, at: u64, b: &Region) {
        if self.journaling
            && let Some(j) = self.journal.as_deref_mut()
        {
            j.note(at, || self.map.get(&at).cloned());
        }
        let a = self.map.get_mut(&at).expect("a region starts there");
        self.sums.sub(a);
        self.sums.sub(b);
        a.absorb(b);
        self.sums.add(a);
    }

    /// Replaces every region with `other`'s, and the sums with theirs; the peak follows.
    pub(super) fn replace_with(&mut self, other: &Regions) {
        self.map = other.map.clone();
        self.sums = other.sums;
        self.totals.virtual_bytes = other.totals.virtual_bytes;
        self.totals.raise_peak();
    }

    /// Gives the bytes of no known site (regions read from `/proc`, or copied from them by
    /// the calls replayed on top) the sites `old` had at the same addresses: a read corrects
    /// the layout, not who made what is still mapped.
    pub(super) fn inherit_sites(&mut self, old: &RegionMap) {
        let keys: Vec<u64> = self
            .map
            .iter()
            .filter(|(_, r)| {
                let mut unknown = false;
                r.sites.each(r.len(), |s, _| unknown |= s == NO_SITE);
                unknown
            })
            .map(|(&k, _)| k)
            .collect();
        for k in keys {
            let r = self.get_mut(k).expect("key just listed");
            let mut runs = Vec::new();
            let mut at = 0;
            r.sites.each(r.len(), |s, bytes| {
                runs.push((at, at + bytes, s));
                at += bytes;
            });
            let mut spans = SiteSpans::default();
            for (from, to, site) in runs {
                let part = if site == NO_SITE {
                    old.spans_over(r.start + from, r.start + to)
                } else {
                    SiteSpans::of(site)
                };
                spans.append(from, &part);
            }
            r.sites = spans;
        }
    }
}
