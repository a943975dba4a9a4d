//! Calls that change mappings' flags rather than their extent: `madvise`, `mlock`,
//! `mlock2`, `munlock`, `mlockall`, `munlockall`, `mseal`; and the others whose effect only
//! `/proc` shows in full.

use super::apply::Outcome;
use super::attrs::Attrs;
use super::region::page_up;
use super::space::AddressSpace;
use crate::event::Syscall;

/// The flags madvise `advice` sets, and those it clears.
fn advice_attrs(advice: u64) -> Option<(Attrs, Attrs)> {
    use vmmon_common::linux::*;
    let rand_seq = Attrs::RANDOM.with(Attrs::SEQUENTIAL);
    Some(match advice as u32 {
        MADV_NORMAL => (Attrs::NONE, rand_seq),
        MADV_RANDOM => (Attrs::RANDOM, Attrs::SEQUENTIAL),
        MADV_SEQUENTIAL => (Attrs::SEQUENTIAL, Attrs::RANDOM),
        MADV_DONTFORK => (Attrs::DONTCOPY, Attrs::NONE),
        MADV_DOFORK => (Attrs::NONE, Attrs::DONTCOPY),
        MADV_MERGEABLE => (Attrs::MERGEABLE, Attrs::NONE),
        MADV_UNMERGEABLE => (Attrs::NONE, Attrs::MERGEABLE),
        MADV_HUGEPAGE => (Attrs::HUGEPAGE, Attrs::NOHUGEPAGE),
        MADV_NOHUGEPAGE => (Attrs::NOHUGEPAGE, Attrs::HUGEPAGE),
        MADV_DONTDUMP => (Attrs::DONTDUMP, Attrs::NONE),
        MADV_DODUMP => (Attrs::NONE, Attrs::DONTDUMP),
        MADV_WIPEONFORK => (Attrs::WIPEONFORK, Attrs::NONE),
        MADV_KEEPONFORK => (Attrs::NONE, Attrs::WIPEONFORK),
        _ => return None,
    })
}

/// The range whose mappings a flag-changing call may have split, and their neighbours may
/// now merge with.
pub(super) fn adjusted_range(call: Syscall, a: &[u64; 6]) -> Option<(u64, u64)> {
    match call {
        Syscall::Madvise | Syscall::Mlock | Syscall::Mlock2 | Syscall::Munlock | Syscall::Mseal => {
            Some((a[0], a[0].saturating_add(page_up(a[1]))))
        }
        Syscall::Mlockall | Syscall::Munlockall => Some((0, u64::MAX)),
        _ => None,
    }
}

/// A call that changes mappings' flags, or makes mappings only `/proc` shows in full.
pub(super) fn adjust(space: &mut AddressSpace, call: Syscall, a: &[u64; 6]) -> Outcome {
    use vmmon_common::linux::{MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT, MLOCK_ONFAULT};
    let range = |addr: u64, len: u64| (addr, addr.saturating_add(page_up(len)));
    let locked = |onfault: bool| {
        if onfault {
            Attrs::LOCKED.with(Attrs::LOCKONFAULT)
        } else {
            Attrs::LOCKED
        }
    };
    let both = Attrs::LOCKED.with(Attrs::LOCKONFAULT);
    match call {
        Syscall::Madvise => {
            let Some((set, clear)) = advice_attrs(a[2]) else {
                return Outcome::Ignored;
            };
            let (s, e) = range(a[0], a[1]);
            space.set_attrs(s, e, set, clear);
        }
        Syscall::Mlock => {
            let (s, e) = range(a[0], a[1]);
            space.set_attrs(s, e, Attrs::LOCKED, Attrs::LOCKONFAULT);
        }
        Syscall::Mlock2 => {
            let (s, e) = range(a[0], a[1]);
            let set = locked(a[2] as u32 & MLOCK_ONFAULT != 0);
            space.set_attrs(s, e, set, both.without(set));
        }
        Syscall::Munlock => {
            let (s, e) = range(a[0], a[1]);
            space.set_attrs(s, e, Attrs::NONE, both);
        }
        Syscall::Mlockall => {
            let flags = a[0] as u32;
            let set = locked(flags & MCL_ONFAULT != 0);
            if flags & MCL_CURRENT != 0 {
                space.set_attrs(0, u64::MAX, set, both.without(set));
            }
            space.future = if flags & MCL_FUTURE != 0 {
                set
            } else {
                Attrs::NONE
            };
        }
        Syscall::Munlockall => {
            space.set_attrs(0, u64::MAX, Attrs::NONE, both);
            space.future = Attrs::NONE;
        }
        Syscall::Mseal => {
            let (s, e) = range(a[0], a[1]);
            space.set_attrs(s, e, Attrs::SEALED, Attrs::NONE);
        }
        // A memory policy, a name, a remapping, a new shadow stack: what they changed is
        // read from /proc.
        _ => return Outcome::Read,
    }
    Outcome::Applied
}
