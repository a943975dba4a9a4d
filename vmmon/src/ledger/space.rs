//! One address space: an ordered map of non-overlapping regions, changed with the kernel's
//! split semantics, and the running totals derived from it.

use super::attrs::Attrs;
use super::displaced::Displacements;
use super::journal::{Journal, Scalars};
use super::region::{Perms, Region, RegionKind};
use super::sites::SiteTotal;
use super::sums::{BytesByKind, PermBytes, Sums, coalesce};

pub use super::region_map::RegionMap;

/// The region of `regions` containing `addr`.
pub fn region_at(regions: &RegionMap, addr: u64) -> Option<&Region> {
    regions
        .get_prev(&addr)
        .map(|(_, r)| r)
        .filter(|r| addr < r.end)
}

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

/// An address space's regions, totals and sums. The region map is persistent (see
/// [`RegionMap`]), so idle forked children and published snapshots cost next to nothing.
#[derive(Clone, Debug, Default)]
pub struct AddressSpace {
    pub(super) regions: RegionMap,
    pub(super) displaced: Displacements,
    pub(super) totals: Totals,
    sums: Sums,
    /// The heap's start and the current break, when known.
    pub(super) brk_start: Option<u64>,
    pub(super) brk: Option<u64>,
    /// Flags every new mapping gets (`mlockall(MCL_FUTURE)`).
    pub(super) future: Attrs,
    /// Shared anonymous mappings made so far: their made-up file identities.
    pub(super) anon_files: u64,
    /// What the change in progress replaced (see [`Journal`]), kept (with its room) between
    /// changes.
    journal: Option<Box<Journal>>,
    /// Whether a change in progress may be undone.
    journaling: bool,
}

impl AddressSpace {
    /// An empty address space.
    pub fn new() -> Self {
        Self::default()
    }

    /// An address space holding `regions` (from `/proc`), with totals starting there.
    pub fn from_regions(regions: impl IntoIterator<Item = Region>) -> Self {
        let mut space = Self::new();
        for r in regions {
            space.map(r);
        }
        space.totals.mapped_bytes = 0;
        space
    }

    /// The regions in address order.
    pub fn regions(&self) -> impl Iterator<Item = &Region> {
        self.regions.values()
    }

    /// The region map itself (a clone is a cheap, frozen copy).
    pub fn region_map(&self) -> &RegionMap {
        &self.regions
    }

    /// Number of regions.
    pub fn len(&self) -> usize {
        self.regions.len()
    }

    /// No regions at all.
    pub fn is_empty(&self) -> bool {
        self.regions.is_empty()
    }

    /// The running totals.
    pub fn totals(&self) -> Totals {
        self.totals
    }

    /// Bytes by kind and by permission class.
    pub fn sums(&self) -> &Sums {
        &self.sums
    }

    /// The region containing `addr`.
    pub fn find(&self, addr: u64) -> Option<&Region> {
        region_at(&self.regions, addr)
    }

    /// Starts keeping what changes replace, until [`AddressSpace::undo`] or
    /// [`AddressSpace::keep`].
    pub(super) fn begin(&mut self) {
        let scalars = Scalars {
            displaced: None,
            totals: self.totals,
            sums: self.sums,
            brk_start: self.brk_start,
            brk: self.brk,
            future: self.future,
            anon_files: self.anon_files,
        };
        match &mut self.journal {
            Some(j) => j.restart(scalars),
            None => self.journal = Some(Box::new(Journal::new(scalars))),
        }
        self.journaling = true;
    }

    /// Keeps the changes since [`AddressSpace::begin`].
    pub(super) fn keep(&mut self) {
        self.journaling = false;
    }

    /// Undoes the changes since [`AddressSpace::begin`]: the address space is as it was.
    pub(super) fn undo(&mut self) {
        if !std::mem::take(&mut self.journaling) {
            return;
        }
        let Some(journal) = self.journal.take() else {
            return;
        };
        let s = journal.undo(&mut self.regions);
        if let Some(d) = s.displaced {
            self.displaced = d;
        }
        self.totals = s.totals;
        self.sums = s.sums;
        self.brk_start = s.brk_start;
        self.brk = s.brk;
        self.future = s.future;
        self.anon_files = s.anon_files;
    }

    /// The journal, while a change may be undone.
    fn journal(&mut self) -> Option<&mut Journal> {
        if self.journaling {
            self.journal.as_deref_mut()
        } else {
            None
        }
    }

    /// The displaced ranges, to change: while a change may be undone, they are kept as they
    /// were first.
    pub(super) fn displaced_mut(&mut self) -> &mut Displacements {
        if self.journaling
            && let Some(j) = self.journal.as_deref_mut()
            && j.scalars.displaced.is_none()
        {
            j.scalars.displaced = Some(self.displaced.clone());
        }
        &mut self.displaced
    }

    /// Notes what starts at `start`, before it changes in place, while a change may be
    /// undone.
    fn note_before(&mut self, start: u64) {
        if self.journaling
            && let Some(j) = self.journal.as_deref_mut()
        {
            j.note(start, || self.regions.get(&start).cloned());
        }
    }

    /// The region starting at `start`, to change.
    pub(super) fn region_mut(&mut self, start: u64) -> Option<&mut Region> {
        let r = self.regions.get_mut(&start)?;
        if self.journaling
            && let Some(j) = self.journal.as_deref_mut()
        {
            j.note(start, || Some(r.clone()));
        }
        Some(r)
    }

    /// Takes out the region starting at `start`.
    fn take_region(&mut self, start: u64) -> Option<Region> {
        let r = self.regions.remove(&start)?;
        if let Some(j) = self.journal() {
            j.note(start, || Some(r.clone()));
        }
        Some(r)
    }

    /// Puts `r` where the region starting at `start` is (see [`RegionMap::replace_at`]),
    /// and returns that region.
    fn replace_region(&mut self, start: u64, r: Region) -> Region {
        let new_start = r.start;
        let was = self
            .regions
            .replace_at(start, r)
            .expect("a region starts there");
        if let Some(j) = self.journal() {
            j.note(start, || Some(was.clone()));
            j.note(new_start, || None);
        }
        was
    }

    /// Puts `r` in at its start.
    fn put_region(&mut self, r: Region) {
        let start = r.start;
        let was = self.regions.insert(start, r);
        if let Some(j) = self.journal() {
            j.note(start, || was);
        }
    }

    /// Removes every region overlapping `[start, end)`, cut to that range (the parts outside
    /// it stay), handing each to `f`. The hot path: one walk of the map finds every region
    /// concerned, and a range nothing overlaps (most new mappings) costs one lookup.
    fn carve_each(&mut self, start: u64, end: u64, mut f: impl FnMut(Region)) {
        if start >= end {
            return;
        }
        // Every region overlapping the range, last first: they start before `end`, and end
        // after `start`.
        let mut overlapping: smallvec::SmallVec<[u64; 4]> = smallvec::SmallVec::new();
        for (&k, r) in self.regions.range(..end).rev() {
            if r.end <= start {
                break;
            }
            overlapping.push(k);
        }
        for k in overlapping.into_iter().rev() {
            let mut r = if k < start {
                // It straddles the start: the part before stays where it is.
                let straddling = self.region_mut(k).expect("key just found");
                let r = straddling.split_off(start);
                self.sums.split(r.kind);
                r
            } else if self.regions.get(&k).is_some_and(|r| r.end > end) {
                // It straddles the end: the part after takes its place (no other region
                // starts between), the part before goes.
                let after = self.region_mut(k).expect("key just found").split_off(end);
                self.sums.split(after.kind);
                self.replace_region(k, after)
            } else {
                self.take_region(k).expect("key just found")
            };
            if r.end > end {
                let right = r.split_off(end);
                self.sums.split(right.kind);
                self.put_region(right);
            }
            self.totals.virtual_bytes -= r.len();
            self.sums.sub(&r);
            f(r);
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
        self.totals.peak_virtual_bytes = self
            .totals
            .peak_virtual_bytes
            .max(self.totals.virtual_bytes);
        self.sums.add(region);
    }

    /// Puts `region` in place, replacing whatever overlapped it (as `MAP_FIXED` does).
    pub(super) fn map(&mut self, region: Region) {
        if region.is_empty() {
            return;
        }
        self.make_room(&region);
        self.put_region(region);
    }

    /// Puts `region` in place as [`AddressSpace::map`] does, merged with the neighbours it
    /// merges with, as [`AddressSpace::merge_around`] would after it, but without putting
    /// it in the map first: where it merges, a neighbour grows in its place.
    pub(super) fn map_merging(&mut self, region: Region, lenient: bool) {
        if region.is_empty() {
            return;
        }
        self.make_room(&region);
        let (start, end) = (region.start, region.end);
        let before = self
            .regions
            .get_prev(&start.saturating_sub(1))
            .filter(|(_, p)| p.merges_with(&region, lenient))
            .map(|(&k, _)| k);
        match before {
            Some(at) => {
                // It grows the region before it, which may then reach the one after.
                self.note_before(at);
                let a = self.regions.get_mut(&at).expect("just found");
                self.sums.sub(a);
                self.sums.sub(&region);
                a.absorb(&region);
                self.sums.add(a);
                let merges_next = match (self.regions.get(&at), self.regions.get(&end)) {
                    (Some(a), Some(next)) => a.merges_with(next, lenient),
                    _ => false,
                };
                if merges_next {
                    self.merge_next(at, end);
                }
            }
            None => match self.regions.get(&end) {
                Some(next) if region.merges_with(next, lenient) => {
                    // It takes in the region after it, in that region's place.
                    let mut merged = region;
                    self.sums.sub(&merged);
                    self.sums.sub(next);
                    merged.absorb(next);
                    self.sums.add(&merged);
                    self.replace_region(end, merged);
                }
                _ => self.put_region(region),
            },
        }
    }

    /// Re-inserts regions taken out by `carve` without counting them as new mappings.
    pub(super) fn restore(&mut self, regions: Vec<Region>) {
        for r in regions {
            self.totals.virtual_bytes += r.len();
            self.sums.add(&r);
            self.put_region(r);
        }
    }

    /// Removes `[start, end)`; returns the bytes that were mapped there.
    pub(super) fn unmap(&mut self, start: u64, end: u64) -> u64 {
        let bytes = self.carve_bytes(start, end);
        self.totals.unmapped_bytes += bytes;
        bytes
    }

    /// Notes, before a non-fixed mapping of `[start, end)` by `tid` goes in, which parts of
    /// it the ledger still has mapped: they were unmapped by a late event (see
    /// [`super::displaced`]).
    pub(super) fn note_displaced(&mut self, start: u64, end: u64, tid: u32, ts_ns: u64) {
        // Most new mappings land where nothing is.
        if self
            .regions
            .get_prev(&end.saturating_sub(1))
            .is_none_or(|(_, r)| r.end <= start)
        {
            return;
        }
        let overlapping: Vec<Region> = self
            .regions
            .range(..end)
            .rev()
            .take_while(|(_, r)| r.end > start)
            .map(|(_, r)| r.clipped(start, end))
            .collect();
        if !overlapping.is_empty() {
            self.displaced_mut().note(overlapping, tid, ts_ns);
        }
    }

    /// Unmaps `[start, end)` for thread `tid` at `ts_ns`, except the parts a later mapping by
    /// another thread displaced (their unmap already happened, before that mapping).
    pub(super) fn unmap_from(&mut self, start: u64, end: u64, tid: u32, ts_ns: u64) {
        if !self.displaced.affects(start, end, tid) {
            self.unmap(start, end);
            return;
        }
        let mut holes: Vec<(u64, u64)> = self
            .displaced_mut()
            .take(start, end, tid, ts_ns)
            .iter()
            .map(|d| (d.start.max(start), d.end.min(end)))
            .collect();
        holes.sort_unstable();
        let mut at = start;
        for (s, e) in holes {
            if s > at {
                self.unmap(at, s);
            }
            at = at.max(e);
        }
        if at < end {
            self.unmap(at, end);
        }
    }

    /// Sets the protection of every mapped byte in `[start, end)`. Making a private mapping
    /// writable charges it (`VM_ACCOUNT`), unless it was mapped `MAP_NORESERVE`; making an
    /// anonymous one read-only again refunds it when no page of it was ever written, which
    /// the ledger cannot see: `written` says what to assume.
    pub(super) fn protect(&mut self, start: u64, end: u64, prot: u32, written: bool) {
        let mut regions = self.carve(start, end);
        let exempt = Attrs::NORESERVE.with(Attrs::HUGETLB);
        for r in &mut regions {
            r.perms = r.perms.with_prot(prot);
            r.changes = r.changes.saturating_add(1);
            if r.perms.write && !r.perms.shared && r.attrs.without(exempt) == r.attrs {
                r.attrs = r.attrs.with(Attrs::ACCOUNT);
            } else if !r.perms.write && r.is_anonymous() && !written {
                r.attrs = r.attrs.without(Attrs::ACCOUNT);
            }
        }
        self.totals.protected_bytes += regions.iter().map(Region::len).sum::<u64>();
        self.restore(regions);
    }

    /// Sets `set` and clears `clear` in the flags of every mapped byte of `[start, end)`,
    /// splitting and merging as the kernel does. Special mappings are left alone.
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
        self.regions.each_mut_in(start, end, |r| {
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
            .regions
            .get_prev(&at.saturating_sub(1))
            .filter(|(k, r)| **k < at && r.end > at)
            .map(|(k, _)| *k);
        if let Some(k) = straddling {
            let right = self.region_mut(k).expect("key just found").split_off(at);
            self.sums.split(right.kind);
            self.put_region(right);
        }
    }

    /// Merges the regions in and around `[start, end)` that the kernel would keep as one
    /// mapping ([`Region::merges_with`]): after a change there, the changed regions with
    /// each other and with their neighbours. With `lenient`, guessed flags take those of
    /// the neighbour.
    pub(super) fn merge_around(&mut self, start: u64, end: u64, lenient: bool) {
        let first = self
            .regions
            .get_prev(&start.saturating_sub(1))
            .or_else(|| self.regions.get_next(&start));
        let Some(mut at) = first.map(|(&k, _)| k) else {
            return;
        };
        // Each region from there to `end` with the one after it: no region starts at
        // `u64::MAX`, so `at + 1` does not overflow.
        while let Some((&next, b)) = self.regions.get_next(&(at + 1)) {
            if next > end {
                break;
            }
            let merges = self
                .regions
                .get(&at)
                .is_some_and(|a| a.merges_with(b, lenient));
            if merges {
                self.merge_next(at, next);
            } else {
                at = next;
            }
        }
    }

    /// Merges the region starting at `next` into the one starting at `at`, right before it.
    fn merge_next(&mut self, at: u64, next: u64) {
        let b = self.take_region(next).expect("a region starts there");
        self.note_before(at);
        let a = self.regions.get_mut(&at).expect("a region starts there");
        // A lenient merge may change the flags of either part: count both out and the merged
        // region in.
        self.sums.sub(a);
        self.sums.sub(&b);
        a.absorb(&b);
        self.sums.add(a);
    }

    /// `shmdt(addr)`: the shared memory mappings attached at `addr` (the run of shared
    /// memory regions of one segment starting there) go.
    pub(super) fn detach_shm(&mut self, addr: u64) {
        let Some(first) = self
            .regions
            .get(&addr)
            .filter(|r| r.kind == RegionKind::Shm)
        else {
            return;
        };
        let (inode, path) = (first.inode, first.path.clone());
        let mut end = addr;
        for r in self.regions.range(addr..).map(|(_, r)| r) {
            let same = r.kind == RegionKind::Shm
                && r.start == end
                && (inode.is_none() || r.inode == inode)
                && r.path == path;
            if !same {
                break;
            }
            end = r.end;
        }
        self.unmap(addr, end);
    }

    /// Removes what a fork does not copy (`MADV_DONTFORK`), in a child's fresh copy.
    pub(super) fn drop_dontcopy(&mut self) {
        if self.sums.dontcopy == 0 {
            return;
        }
        let gone: Vec<(u64, u64)> = self
            .regions
            .values()
            .filter(|r| r.attrs.contains(Attrs::DONTCOPY))
            .map(|r| (r.start, r.end))
            .collect();
        for (s, e) in gone {
            self.carve_each(s, e, drop);
        }
    }

    /// Mappings as the kernel counts them (`map_count`): `[vsyscall]` is not one.
    pub fn mappings(&self) -> usize {
        self.regions.len()
            - self
                .regions
                .values()
                .rev()
                .take_while(|r| r.kind == RegionKind::Vsyscall)
                .count()
    }

    /// Bytes mapped as the kernel counts them (`VmSize`): `[vsyscall]` is not part of it.
    pub fn kernel_bytes(&self) -> u64 {
        self.totals.virtual_bytes - self.sums.by_kind.vsyscall
    }

    /// Replaces the whole content with `other`'s regions.
    pub(super) fn replace_regions(&mut self, other: &AddressSpace) {
        self.regions = other.regions.clone();
        self.sums = other.sums;
        self.totals.virtual_bytes = other.totals.virtual_bytes;
        self.totals.peak_virtual_bytes = self
            .totals
            .peak_virtual_bytes
            .max(self.totals.virtual_bytes);
    }

    /// What each call site holds, most bytes first (bytes with no known site under
    /// [`super::NO_SITE`]).
    pub fn sites(&self) -> Vec<SiteTotal> {
        super::sites::totals(self.regions.values())
    }

    /// Bytes mapped with each kind of backing.
    pub fn bytes_by_kind(&self) -> BytesByKind {
        self.sums.by_kind
    }

    /// Bytes by permission class: readable, writable, executable, shared.
    pub fn bytes_by_perm(&self) -> PermBytes {
        self.sums.by_perm
    }

    /// Bytes that are writable and executable at once.
    pub fn wx_bytes(&self) -> u64 {
        self.sums.by_perm.write_exec
    }

    /// Maximal runs of adjacent regions with the same permissions, as `(start, end, perms)`:
    /// how the kernel's VMAs compare after merging, which syscalls cannot observe.
    pub fn coalesced(&self) -> Vec<(u64, u64, Perms)> {
        coalesce(self.regions.values().map(|r| (r.start, r.end, r.perms)))
    }
}
