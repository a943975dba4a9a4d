//! Applying one syscall's effect to an address space, with the kernel's rules: lengths round
//! up to pages; a failed call changes nothing; `MAP_FIXED` (and any mapping over a stale one)
//! replaces what overlapped; mremap shrinks, grows in place, or moves.

use super::adjust::{adjust, adjusted_range};
use super::attrs::Attrs;
use super::region::{ANON_FILE_DEV, Origin, Perms, Region, RegionKind, page_up};
use super::sites::{NO_SITE, SiteId, SiteSpans};
use super::space::AddressSpace;
use crate::event::{Kind, Syscall};
use std::sync::Arc;
use vmmon_common::linux::{
    MAP_ANONYMOUS, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_HUGE_MASK, MAP_HUGE_SHIFT, MAP_HUGETLB,
    MAP_SHARED, MAP_SHARED_VALIDATE, MAP_TYPE, MREMAP_DONTUNMAP, MREMAP_FIXED, PROT_ACCESS,
    PROT_GROWSDOWN, PROT_GROWSUP, PROT_READ, PROT_WRITE,
};

const DEFAULT_HUGE_PAGE: u64 = 2 << 20;

/// What applying an event did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The address space changed (or was confirmed, for a repeat of a change it had).
    Applied,
    /// The call failed: nothing changed.
    Failed,
    /// Not an address-space syscall.
    Ignored,
    /// The ledger could not tell what the call did (a brk before the heap was known).
    Unknown,
    /// The call changed mappings in a way only `/proc` shows (a name, a memory policy, a
    /// remapping): the process's maps must be read.
    Read,
}

/// Whether mmap `flags` make a shared mapping.
pub(super) fn shared(flags: u32) -> bool {
    let ty = flags & MAP_TYPE;
    ty == MAP_SHARED || ty == MAP_SHARED_VALIDATE
}

fn mmap_len(len: u64, flags: u32) -> u64 {
    if flags & MAP_HUGETLB == 0 {
        return page_up(len);
    }
    let log2 = (flags >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
    let huge = if log2 == 0 {
        DEFAULT_HUGE_PAGE
    } else {
        1u64 << log2
    };
    len.div_ceil(huge).saturating_mul(huge)
}

/// What the ledger assumes of what no event shows when it applies a call. Where it matters,
/// the kernel's count of mappings decides: the ledger tries the others in turn
/// ([`Assume::others`]) when the likely one does not give that count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assume {
    /// The anonymous mappings the call changes had pages written (the kernel gave them an
    /// `anon_vma`): made read-only again, they stay charged (`VM_ACCOUNT`), so they do not
    /// merge with neighbours that never were.
    pub written: bool,
    /// Neighbours with the same flags merge into one mapping. The kernel refuses when their
    /// written pages belong to different `anon_vma`s (moved from elsewhere, or inherited
    /// from a fork), which the ledger cannot see.
    pub merge: bool,
    /// The flags of mappings read from `/proc` (which shows none, so they are guessed) are
    /// those of the neighbour they may merge with.
    pub lenient: bool,
}

impl Assume {
    /// What holds most often.
    pub const LIKELY: Assume = Assume {
        written: false,
        merge: true,
        lenient: true,
    };

    /// Merges what `[start, end)` touches with its neighbours, when merging is assumed.
    fn merge_around(self, space: &mut AddressSpace, start: u64, end: u64) {
        if self.merge {
            space.merge_around(start, end, self.lenient);
        }
    }

    /// The other assumptions, in the order they are tried.
    pub fn others() -> impl Iterator<Item = Assume> {
        (1u8..8).map(|bits| Assume {
            written: bits & 1 != 0,
            lenient: bits & 2 == 0,
            merge: bits & 4 == 0,
        })
    }
}

/// Who made a call, when, and from where.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Call {
    pub tid: u32,
    pub ts_ns: u64,
    /// Its call site, when captured: what it maps is that site's.
    pub site: SiteId,
}

/// Applies syscall event `ev`, made by thread `tid` at `ts_ns` from no known call site, to
/// `space`, assuming what is likely of what no event shows.
pub fn apply(space: &mut AddressSpace, ev: &Kind, tid: u32, ts_ns: u64) -> Outcome {
    apply_call(
        space,
        ev,
        Call {
            tid,
            ts_ns,
            site: NO_SITE,
        },
    )
}

/// Applies syscall event `ev`, made by `call`, to `space`, assuming what is likely of what
/// no event shows.
pub fn apply_call(space: &mut AddressSpace, ev: &Kind, call: Call) -> Outcome {
    apply_assuming(space, ev, call, Assume::LIKELY)
}

/// Applies syscall event `ev`, made by `call`, to `space`, assuming `assume` of what no
/// event shows.
pub fn apply_assuming(space: &mut AddressSpace, ev: &Kind, call: Call, assume: Assume) -> Outcome {
    if let Kind::Adjust {
        call: sys,
        args,
        ret,
    } = *ev
    {
        // madvise applies to the mapped parts of its range even when it reports the holes.
        let partial = sys == Syscall::Madvise && ret == -i64::from(libc::ENOMEM);
        if ev.errno().is_some() && !partial {
            return Outcome::Failed;
        }
        let outcome = adjust(space, sys, &args);
        if let Some((start, end)) = adjusted_range(sys, &args) {
            assume.merge_around(space, start, end);
        }
        return outcome;
    }
    if ev.errno().is_some() {
        return Outcome::Failed;
    }
    match *ev {
        Kind::Mmap { .. } => mmap(space, ev, call, assume),
        Kind::Munmap { addr, len, .. } => {
            space.unmap_from(
                addr,
                addr.saturating_add(page_up(len)),
                call.tid,
                call.ts_ns,
            );
            Outcome::Applied
        }
        Kind::Mprotect {
            addr, len, prot, ..
        }
        | Kind::PkeyMprotect {
            addr, len, prot, ..
        } => mprotect(space, (addr, len, prot), assume),
        Kind::Mremap { .. } => mremap(space, ev, call, assume),
        Kind::Brk { ret, .. } => brk(space, ret as u64, call, assume),
        // The segment's size is not in the call: the caller learns it from the kernel's
        // figures or from /proc.
        Kind::Shmat { .. } => Outcome::Read,
        Kind::Shmdt { addr, .. } => {
            space.detach_shm(addr);
            Outcome::Applied
        }
        Kind::Adjust { .. }
        | Kind::Fork { .. }
        | Kind::Exec { .. }
        | Kind::Exit { .. }
        | Kind::OomKill { .. } => Outcome::Ignored,
    }
}

/// A new mapping (`ev` is an mmap that succeeded).
fn mmap(space: &mut AddressSpace, ev: &Kind, call: Call, assume: Assume) -> Outcome {
    let Kind::Mmap {
        len,
        prot,
        flags,
        fd,
        offset,
        ret,
        ..
    } = *ev
    else {
        return Outcome::Ignored;
    };
    let start = ret as u64;
    let Some(end) = start.checked_add(mmap_len(len, flags)) else {
        return Outcome::Unknown;
    };
    if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) == 0 {
        space.note_displaced(start, end, call.tid, call.ts_ns);
    }
    let anon = flags & MAP_ANONYMOUS != 0;
    let is_shared = shared(flags);
    let kind = match (anon, is_shared) {
        (true, true) => RegionKind::Shm,
        (true, false) => RegionKind::Anon,
        (false, _) => RegionKind::File,
    };
    let perms = Perms::from_prot(prot, is_shared);
    let mut r = Region::new(start, end, perms, kind, Origin::Mmap);
    r.offset = if anon { 0 } else { offset };
    r.fd = (!anon).then_some(fd);
    if anon && is_shared {
        space.anon_files += 1;
        r.inode = Some((ANON_FILE_DEV, space.anon_files));
    }
    r.attrs = Attrs::of_mmap(prot, flags).with(space.future);
    r.sites = SiteSpans::of(call.site);
    if assume.merge {
        space.map_merging(r, assume.lenient);
    } else {
        space.map(r);
    }
    Outcome::Applied
}

/// New permissions for `[addr, addr + len)`; `PROT_GROWSDOWN`/`PROT_GROWSUP` stretch the
/// range to the whole mapping at its start or end.
fn mprotect(space: &mut AddressSpace, (addr, len, prot): (u64, u64, u32), a: Assume) -> Outcome {
    let mut start = addr;
    let mut end = addr.saturating_add(page_up(len));
    if prot & PROT_GROWSDOWN != 0
        && let Some(r) = space.find(start)
    {
        start = r.start;
    }
    if prot & PROT_GROWSUP != 0
        && let Some(r) = space.find(end.saturating_sub(1))
    {
        end = r.end;
    }
    space.protect(start, end, prot & PROT_ACCESS, a.written);
    a.merge_around(space, start, end);
    Outcome::Applied
}

/// A mapping shrunk or grown in place, or moved (`ev` is an mremap that succeeded).
fn mremap(space: &mut AddressSpace, ev: &Kind, call: Call, assume: Assume) -> Outcome {
    let Kind::Mremap {
        old_addr,
        old_len,
        new_len,
        flags,
        ret,
        ..
    } = *ev
    else {
        return Outcome::Ignored;
    };
    let Call { tid, ts_ns, site } = call;
    let (old_len, new_len) = (page_up(old_len), page_up(new_len));
    let new = ret as u64;
    if new == old_addr && old_len != 0 {
        if new_len < old_len {
            space.unmap_from(old_addr + new_len, old_addr + old_len, tid, ts_ns);
        } else if new_len > old_len {
            space.grow(old_addr + old_len, old_addr + new_len, site);
            assume.merge_around(space, old_addr, old_addr + new_len);
        }
        return Outcome::Applied;
    }
    let keep_old = flags & MREMAP_DONTUNMAP != 0 || old_len == 0;
    if flags & MREMAP_FIXED == 0 {
        space.note_displaced(new, new.saturating_add(new_len), tid, ts_ns);
    }
    let (old, to) = ((old_addr, old_len), (new, new_len));
    space.relocate(old, to, keep_old, (tid, ts_ns, site));
    assume.merge_around(space, new, new.saturating_add(new_len));
    Outcome::Applied
}

/// The heap follows the break: `[brk_start, page_up(brk))`.
fn brk(space: &mut AddressSpace, new: u64, call: Call, assume: Assume) -> Outcome {
    let Call { tid, ts_ns, site } = call;
    let Some(old) = space.brk else {
        // The first break we see. With no heap mapped yet it is also the heap's start (the
        // kernel starts both at the same address after exec).
        space.brk = Some(new);
        if space.brk_start.is_none() && !space.regions().any(|r| r.kind == RegionKind::Heap) {
            space.brk_start = Some(new);
        }
        return Outcome::Unknown;
    };
    space.brk = Some(new);
    let Some(start) = space.brk_start else {
        return Outcome::Unknown;
    };
    let old_end = page_up(old).max(start);
    let new_end = page_up(new).max(start);
    if new_end > old_end {
        let grew = old_end > start
            && space
                .find(old_end - 1)
                .is_some_and(|r| r.kind == RegionKind::Heap && r.end == old_end)
            && space.grow(old_end, new_end, site);
        if !grew {
            let mut heap = Region::new(
                old_end,
                new_end,
                Perms::from_prot(PROT_READ | PROT_WRITE, false),
                RegionKind::Heap,
                Origin::Brk,
            );
            heap.path = Some(Arc::from("[heap]"));
            heap.attrs = Attrs::ACCOUNT.with(space.future);
            heap.sites = SiteSpans::of(site);
            space.map(heap);
        }
        if assume.merge {
            space.merge_around(old_end, new_end, assume.lenient);
        }
    } else if new_end < old_end {
        space.unmap_from(new_end, old_end, tid, ts_ns);
    }
    Outcome::Applied
}

#[cfg(test)]
mod tests;
