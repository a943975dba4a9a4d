//! One address space: an ordered map of non-overlapping regions, changed with the kernel's
//! split semantics, and the running totals derived from it.

use super::region::{Kind, Origin, Perms, Region};
use std::collections::BTreeMap;

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

/// An address space's regions and totals.
#[derive(Clone, Debug, Default)]
pub struct AddressSpace {
    regions: BTreeMap<u64, Region>,
    totals: Totals,
    /// The heap's start and the current break, when known.
    pub(super) brk_start: Option<u64>,
    pub(super) brk: Option<u64>,
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
    pub fn regions(&self) -> impl ExactSizeIterator<Item = &Region> + Clone {
        self.regions.values()
    }

    pub(super) fn regions_mut(&mut self) -> impl Iterator<Item = &mut Region> {
        self.regions.values_mut()
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

    /// The region containing `addr`.
    pub fn find(&self, addr: u64) -> Option<&Region> {
        self.regions
            .range(..=addr)
            .next_back()
            .map(|(_, r)| r)
            .filter(|r| addr < r.end)
    }

    /// Removes and returns every region overlapping `[start, end)`, cut to that range; the
    /// parts outside it stay.
    pub(super) fn carve(&mut self, start: u64, end: u64) -> Vec<Region> {
        let mut out = Vec::new();
        if start >= end {
            return out;
        }
        // A region starting before `start` and reaching into the range is split first.
        if let Some((&s, r)) = self.regions.range_mut(..start).next_back()
            && r.end > start
        {
            let _ = s;
            let right = r.split_off(start);
            self.regions.insert(start, right);
        }
        let keys: Vec<u64> = self.regions.range(start..end).map(|(&k, _)| k).collect();
        for k in keys {
            let mut r = self.regions.remove(&k).expect("key just listed");
            if r.end > end {
                let right = r.split_off(end);
                self.regions.insert(end, right);
            }
            out.push(r);
        }
        self.totals.virtual_bytes -= out.iter().map(Region::len).sum::<u64>();
        out
    }

    /// Puts `region` in place, replacing whatever overlapped it (as `MAP_FIXED` does).
    pub(super) fn map(&mut self, region: Region) {
        if region.is_empty() {
            return;
        }
        let replaced = self.carve(region.start, region.end);
        self.totals.unmapped_bytes += replaced.iter().map(Region::len).sum::<u64>();
        self.totals.mapped_bytes += region.len();
        self.totals.virtual_bytes += region.len();
        self.totals.peak_virtual_bytes = self
            .totals
            .peak_virtual_bytes
            .max(self.totals.virtual_bytes);
        self.regions.insert(region.start, region);
    }

    /// Re-inserts regions taken out by `carve` without counting them as new mappings.
    fn restore(&mut self, regions: Vec<Region>) {
        for r in regions {
            self.totals.virtual_bytes += r.len();
            self.regions.insert(r.start, r);
        }
    }

    /// Removes `[start, end)`; returns the bytes that were mapped there.
    pub(super) fn unmap(&mut self, start: u64, end: u64) -> u64 {
        let bytes = self.carve(start, end).iter().map(Region::len).sum();
        self.totals.unmapped_bytes += bytes;
        bytes
    }

    /// Sets the protection of every mapped byte in `[start, end)`.
    pub(super) fn protect(&mut self, start: u64, end: u64, prot: u32) {
        let mut regions = self.carve(start, end);
        for r in &mut regions {
            r.perms = r.perms.with_prot(prot);
            r.changes += 1;
        }
        self.totals.protected_bytes += regions.iter().map(Region::len).sum::<u64>();
        self.restore(regions);
    }

    /// Moves the regions of `[old, old + old_len)` to `new` (a free range), keeping at most
    /// `new_len` bytes and growing the last region when `new_len` is larger. With `keep_old`
    /// (`MREMAP_DONTUNMAP`, or `old_len` 0) the source stays mapped too.
    pub(super) fn relocate(
        &mut self,
        old: u64,
        old_len: u64,
        new: u64,
        new_len: u64,
        keep_old: bool,
    ) {
        let src_end = old + old_len;
        let mut moved = if old_len == 0 {
            self.find(old).cloned().map(|mut r| {
                r.start = old;
                r.end = old;
                vec![r]
            })
        } else {
            let taken = self.carve(old, src_end);
            if keep_old {
                self.restore(taken.clone());
            } else {
                self.totals.unmapped_bytes += taken.iter().map(Region::len).sum::<u64>();
            }
            Some(taken)
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
            r.origin = Origin::Mremap;
            r.changes += 1;
            placed.push(r);
        }
        if let Some(last) = placed.last_mut()
            && last.end < limit
        {
            last.end = limit;
        }
        for r in placed {
            self.map(r);
        }
    }

    /// Grows the region ending at `end` to `new_end` in place (mremap or brk growth).
    pub(super) fn grow(&mut self, end: u64, new_end: u64) -> bool {
        let Some(last) = self.find(end.saturating_sub(1)).cloned() else {
            return false;
        };
        let mut grown = Region {
            start: end,
            end: new_end,
            offset: if matches!(last.kind, Kind::File | Kind::Shm) {
                last.offset + (end - last.start)
            } else {
                last.offset
            },
            ..last
        };
        grown.changes += 1;
        self.map(grown);
        true
    }

    /// Replaces the whole content with `other`'s regions; returns how many bytes differed.
    pub(super) fn replace_regions(&mut self, other: &AddressSpace) {
        self.regions = other.regions.clone();
        self.totals.virtual_bytes = other.totals.virtual_bytes;
        self.totals.peak_virtual_bytes = self
            .totals
            .peak_virtual_bytes
            .max(self.totals.virtual_bytes);
    }

    /// Bytes mapped with each kind, in [`Kind::ALL`] order.
    pub fn bytes_by_kind(&self) -> [u64; 9] {
        let mut out = [0; 9];
        for r in self.regions.values() {
            let i = Kind::ALL
                .iter()
                .position(|k| *k == r.kind)
                .expect("every kind is listed");
            out[i] += r.len();
        }
        out
    }

    /// Bytes that are writable and executable at once.
    pub fn wx_bytes(&self) -> u64 {
        self.regions
            .values()
            .filter(|r| r.perms.is_wx())
            .map(Region::len)
            .sum()
    }

    /// Bytes by permission class: readable, writable, executable, shared.
    pub fn bytes_by_perm(&self) -> PermBytes {
        let mut out = PermBytes::default();
        for r in self.regions.values() {
            let n = r.len();
            let p: Perms = r.perms;
            if p.read {
                out.read += n;
            }
            if p.write {
                out.write += n;
            }
            if p.exec {
                out.exec += n;
            }
            if p.shared {
                out.shared += n;
            }
            if p.is_wx() {
                out.write_exec += n;
            }
            if !p.read && !p.write && !p.exec {
                out.none += n;
            }
        }
        out
    }

    /// Maximal runs of adjacent regions with the same permissions, as `(start, end, perms)`:
    /// how the kernel's VMAs compare after merging, which syscalls cannot observe.
    pub fn coalesced(&self) -> Vec<(u64, u64, Perms)> {
        coalesce(self.regions.values().map(|r| (r.start, r.end, r.perms)))
    }
}

/// Bytes by permission class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PermBytes {
    pub read: u64,
    pub write: u64,
    pub exec: u64,
    pub shared: u64,
    pub write_exec: u64,
    pub none: u64,
}

/// Merges adjacent ranges with equal permissions.
pub fn coalesce(ranges: impl IntoIterator<Item = (u64, u64, Perms)>) -> Vec<(u64, u64, Perms)> {
    let mut out: Vec<(u64, u64, Perms)> = Vec::new();
    for (s, e, p) in ranges {
        match out.last_mut() {
            Some(last) if last.1 == s && last.2 == p => last.1 = e,
            _ => out.push((s, e, p)),
        }
    }
    out
}
