//! Applying one syscall's effect to an address space, with the kernel's rules: lengths round
//! up to pages; a failed call changes nothing; `MAP_FIXED` (and any mapping over a stale one)
//! replaces what overlapped; mremap shrinks, grows in place, or moves.

use super::region::{Kind, Origin, Perms, Region, page_up};
use super::space::AddressSpace;
use crate::event::Kind as Ev;
use std::sync::Arc;

const MAP_SHARED_TYPES: u32 = 0x3; // MAP_SHARED and MAP_SHARED_VALIDATE both share
const MAP_TYPE: u32 = 0xf;
const MAP_ANONYMOUS: u32 = 0x20;
const MAP_HUGETLB: u32 = 0x4_0000;
const MAP_HUGE_SHIFT: u32 = 26;
const PROT_GROWSDOWN: u32 = 0x0100_0000;
const PROT_GROWSUP: u32 = 0x0200_0000;
const MREMAP_DONTUNMAP: u32 = 4;
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
}

fn shared(flags: u32) -> bool {
    let ty = flags & MAP_TYPE;
    ty == 1 || ty == MAP_SHARED_TYPES
}

fn mmap_len(len: u64, flags: u32) -> u64 {
    if flags & MAP_HUGETLB == 0 {
        return page_up(len);
    }
    let log2 = (flags >> MAP_HUGE_SHIFT) & 0x3f;
    let huge = if log2 == 0 {
        DEFAULT_HUGE_PAGE
    } else {
        1u64 << log2
    };
    len.div_ceil(huge).saturating_mul(huge)
}

/// Applies syscall event `ev` to `space`.
pub fn apply(space: &mut AddressSpace, ev: &Ev) -> Outcome {
    if ev.errno().is_some() {
        return Outcome::Failed;
    }
    match *ev {
        Ev::Mmap {
            len,
            prot,
            flags,
            fd,
            offset,
            ret,
            ..
        } => {
            let start = ret as u64;
            let Some(end) = start.checked_add(mmap_len(len, flags)) else {
                return Outcome::Unknown;
            };
            let anon = flags & MAP_ANONYMOUS != 0;
            let is_shared = shared(flags);
            let kind = match (anon, is_shared) {
                (true, true) => Kind::Shm,
                (true, false) => Kind::Anon,
                (false, _) => Kind::File,
            };
            space.map(Region {
                start,
                end,
                perms: Perms::from_prot(prot, is_shared),
                kind,
                path: None,
                offset: if anon { 0 } else { offset },
                fd: (!anon).then_some(fd),
                origin: Origin::Mmap,
                changes: 0,
            });
            Outcome::Applied
        }
        Ev::Munmap { addr, len, .. } => {
            space.unmap(addr, addr.saturating_add(page_up(len)));
            Outcome::Applied
        }
        Ev::Mprotect {
            addr, len, prot, ..
        }
        | Ev::PkeyMprotect {
            addr, len, prot, ..
        } => {
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
            space.protect(start, end, prot & 0x7);
            Outcome::Applied
        }
        Ev::Mremap {
            old_addr,
            old_len,
            new_len,
            flags,
            ret,
            ..
        } => {
            let (old_len, new_len) = (page_up(old_len), page_up(new_len));
            let new = ret as u64;
            if new == old_addr && old_len != 0 {
                if new_len < old_len {
                    space.unmap(old_addr + new_len, old_addr + old_len);
                } else if new_len > old_len {
                    space.grow(old_addr + old_len, old_addr + new_len);
                }
            } else {
                let keep_old = flags & MREMAP_DONTUNMAP != 0 || old_len == 0;
                space.relocate(old_addr, old_len, new, new_len, keep_old);
            }
            Outcome::Applied
        }
        Ev::Brk { ret, .. } => brk(space, ret as u64),
        Ev::Fork { .. } | Ev::Exec { .. } | Ev::Exit { .. } => Outcome::Ignored,
    }
}

/// The heap follows the break: `[brk_start, page_up(brk))`.
fn brk(space: &mut AddressSpace, new: u64) -> Outcome {
    let Some(old) = space.brk else {
        // The first break we see. With no heap mapped yet it is also the heap's start (the
        // kernel starts both at the same address after exec).
        space.brk = Some(new);
        if space.brk_start.is_none() && !space.regions().any(|r| r.kind == Kind::Heap) {
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
                .is_some_and(|r| r.kind == Kind::Heap && r.end == old_end)
            && space.grow(old_end, new_end);
        if !grew {
            space.map(Region {
                start: old_end,
                end: new_end,
                perms: Perms::from_prot(3, false),
                kind: Kind::Heap,
                path: Some(Arc::from("[heap]")),
                offset: 0,
                fd: None,
                origin: Origin::Brk,
                changes: 0,
            });
        }
    } else if new_end < old_end {
        space.unmap(new_end, old_end);
    }
    Outcome::Applied
}
