//! One address space: its regions ([`Regions`]: the kernel's split and merge rules, sums and
//! totals, undoable) and what the kernel keeps beside them (the heap's break, the flags of
//! future mappings), changed by what each call does, including regions that move or grow
//! (`mremap`, `brk`; the bytes a call adds are its call site's) and ranges a late unmap
//! must not take ([`Displacements`]).

use super::attrs::Attrs;
use super::displaced::{Displacements, clip};
use super::journal::Scalars;
use super::region::{Origin, Perms, Region, RegionKind};
use super::sites::{SiteId, SiteTotal};
use super::sums::{BytesByKind, PermBytes, Sums, coalesce};

pub use super::region_map::RegionMap;
pub use super::regions::{Regions, Totals};

/// The region of `regions` containing `addr`.
pub fn region_at(regions: &RegionMap, addr: u64) -> Option<&Region> {
    regions.containing(addr)
}

/// An address space's regions, totals and sums. The region map is persistent (see
/// [`RegionMap`]), so idle forked children and published snapshots cost next to nothing.
#[derive(Clone, Debug, Default)]
pub struct AddressSpace {
    regions: Regions,
    /// What mappings displaced that a late unmap must not take (see [`Displacements`]).
    pub(super) displaced: Displacements,
    /// The heap's start and the current break, when known.
    pub(super) brk_start: Option<u64>,
    pub(super) brk: Option<u64>,
    /// Flags every new mapping gets (`mlockall(MCL_FUTURE)`).
    pub(super) future: Attrs,
    /// Shared anonymous mappings made so far: their made-up file identities.
    pub(super) anon_files: u64,
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
            space.regions.map(r);
        }
        space.regions.reset_mapped();
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
        self.regions.totals()
    }

    /// Bytes by kind and by permission class.
    pub fn sums(&self) -> &Sums {
        self.regions.sums()
    }

    /// The region containing `addr`.
    pub fn find(&self, addr: u64) -> Option<&Region> {
        self.regions.containing(addr)
    }

    /// Starts keeping what changes replace, until [`AddressSpace::undo`] or
    /// [`AddressSpace::keep`].
    pub(super) fn begin(&mut self) {
        let (brk_start, brk, future, anon_files) =
            (self.brk_start, self.brk, self.future, self.anon_files);
        self.regions.begin(|totals, sums| Scalars {
            displaced: None,
            totals,
            sums,
            brk_start,
            brk,
            future,
            anon_files,
        });
    }

    /// Keeps the changes since [`AddressSpace::begin`].
    pub(super) fn keep(&mut self) {
        self.regions.keep();
    }

    /// Undoes the changes since [`AddressSpace::begin`]: the address space is as it was.
    pub(super) fn undo(&mut self) {
        let Some(s) = self.regions.undo() else {
            return;
        };
        if let Some(d) = s.displaced {
            self.displaced = d;
        }
        self.brk_start = s.brk_start;
        self.brk = s.brk;
        self.future = s.future;
        self.anon_files = s.anon_files;
    }

    /// The displaced ranges, to change: while a change may be undone, they are kept as they
    /// were first.
    fn displaced_mut(&mut self) -> &mut Displacements {
        if let Some(j) = self.regions.journal()
            && j.scalars.displaced.is_none()
        {
            j.scalars.displaced = Some(self.displaced.clone());
        }
        &mut self.displaced
    }

    /// Puts `region` in place, replacing whatever overlapped it (as `MAP_FIXED` does).
    pub(super) fn map(&mut self, region: Region) {
        self.regions.map(region);
    }

    /// Puts `region` in place merged with the neighbours it merges with (see
    /// [`Regions::map_merging`]).
    pub(super) fn map_merging(&mut self, region: Region, lenient: bool) {
        self.regions.map_merging(region, lenient);
    }

    /// Merges the regions in and around `[start, end)` the kernel would keep as one mapping.
    pub(super) fn merge_around(&mut self, start: u64, end: u64, lenient: bool) {
        self.regions.merge_around(start, end, lenient);
    }

    /// Sets `set` and clears `clear` in the flags of every mapped byte of `[start, end)`.
    pub(super) fn set_attrs(&mut self, start: u64, end: u64, set: Attrs, clear: Attrs) {
        self.regions.set_attrs(start, end, set, clear);
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
            self.regions.unmap(start, end);
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
                self.regions.unmap(at, s);
            }
            at = at.max(e);
        }
        if at < end {
            self.regions.unmap(at, end);
        }
    }

    /// Sets the protection of every mapped byte in `[start, end)`. Making a private mapping
    /// writable charges it (`VM_ACCOUNT`), unless it was mapped `MAP_NORESERVE`; making an
    /// anonymous one read-only again refunds it when no page of it was ever written, which
    /// the ledger cannot see: `written` says what to assume.
    pub(super) fn protect(&mut self, start: u64, end: u64, prot: u32, written: bool) {
        let mut regions = self.regions.carve(start, end);
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
        self.regions
            .count_protected(regions.iter().map(Region::len).sum::<u64>());
        self.regions.restore(regions);
    }

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
            let taken = self.regions.carve(old, src_end);
            if keep_old {
                self.regions.restore(taken.clone());
                Some(taken)
            } else {
                // Put back what belongs to the other thread; move the saved regions instead.
                let mut scratch = AddressSpace::from_regions(taken);
                let mut saved = Vec::new();
                for d in displaced {
                    let (s, e) = (d.start.max(old), d.end.min(src_end));
                    self.regions.restore(scratch.regions.carve(s, e));
                    saved.extend(clip(&d.regions, s, e));
                }
                let mut taken: Vec<Region> = scratch.regions.values().cloned().collect();
                taken.extend(saved);
                taken.sort_by_key(|r| r.start);
                self.regions
                    .count_unmapped(taken.iter().map(Region::len).sum::<u64>());
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
            self.regions.map(r);
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
        self.regions.unmap(end, new_end);
        let mut grown = self
            .regions
            .carve(last.start, end)
            .pop()
            .expect("just found");
        let len = grown.len();
        grown.sites.grow(len, site);
        grown.end = new_end;
        grown.changes = grown.changes.saturating_add(1);
        self.regions.restore(vec![grown]);
        self.regions.count_grown(new_end - end);
        true
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
        self.regions.unmap(addr, end);
    }

    /// Removes what a fork does not copy (`MADV_DONTFORK`), in a child's fresh copy.
    pub(super) fn drop_dontcopy(&mut self) {
        if self.regions.sums().dontcopy == 0 {
            return;
        }
        let gone: Vec<(u64, u64)> = self
            .regions
            .values()
            .filter(|r| r.attrs.contains(Attrs::DONTCOPY))
            .map(|r| (r.start, r.end))
            .collect();
        for (s, e) in gone {
            self.regions.carve_each(s, e, drop);
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
        self.totals().virtual_bytes - self.sums().by_kind.vsyscall
    }

    /// Replaces the whole content with `other`'s regions.
    pub(super) fn replace_regions(&mut self, other: &AddressSpace) {
        self.regions.replace_with(&other.regions);
    }

    /// Gives the bytes of no known site the sites `old` had at the same addresses (see
    /// [`Regions::inherit_sites`]).
    pub(super) fn inherit_sites(&mut self, old: &AddressSpace) {
        self.regions.inherit_sites(&old.regions);
    }

    /// What each call site holds, most bytes first (bytes with no known site under
    /// [`super::NO_SITE`]).
    pub fn sites(&self) -> Vec<SiteTotal> {
        super::sites::totals(self.regions.values())
    }

    /// Bytes mapped with each kind of backing.
    pub fn bytes_by_kind(&self) -> BytesByKind {
        self.sums().by_kind
    }

    /// Bytes by permission class: readable, writable, executable, shared.
    pub fn bytes_by_perm(&self) -> PermBytes {
        self.sums().by_perm
    }

    /// Maximal runs of adjacent regions with the same permissions, as `(start, end, perms)`:
    /// how the kernel's VMAs compare after merging, which syscalls cannot observe.
    pub fn coalesced(&self) -> Vec<(u64, u64, Perms)> {
        coalesce(self.regions.values().map(|r| (r.start, r.end, r.perms)))
    }
}
