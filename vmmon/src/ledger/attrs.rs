//! A mapping's flags beyond its permissions (`VM_*` in the kernel), as far as the calls seen
//! tell: locked, advised, sealed.

use super::region::{Perms, RegionKind};

/// The kernel's flags of a mapping that decide whether neighbours merge into one mapping
/// (VMA) and what a fork copies, as far as the calls seen tell (`VM_*` in the kernel).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Attrs(u32);

impl Attrs {
    /// Private and writable, charged against overcommit (`VM_ACCOUNT`).
    pub const ACCOUNT: Attrs = Attrs(1);
    /// `MAP_NORESERVE`.
    pub const NORESERVE: Attrs = Attrs(1 << 1);
    /// `MADV_NOHUGEPAGE`, or a `MAP_STACK` mapping.
    pub const NOHUGEPAGE: Attrs = Attrs(1 << 2);
    /// `MADV_HUGEPAGE`.
    pub const HUGEPAGE: Attrs = Attrs(1 << 3);
    /// `mlock`, `MAP_LOCKED`, `mlockall`.
    pub const LOCKED: Attrs = Attrs(1 << 4);
    /// Locked as pages fault in (`MLOCK_ONFAULT`).
    pub const LOCKONFAULT: Attrs = Attrs(1 << 5);
    /// `MADV_DONTFORK`: a fork does not copy it.
    pub const DONTCOPY: Attrs = Attrs(1 << 6);
    /// `MADV_DONTDUMP`.
    pub const DONTDUMP: Attrs = Attrs(1 << 7);
    /// `MADV_WIPEONFORK`.
    pub const WIPEONFORK: Attrs = Attrs(1 << 8);
    /// `MADV_MERGEABLE`.
    pub const MERGEABLE: Attrs = Attrs(1 << 9);
    /// `MADV_RANDOM`.
    pub const RANDOM: Attrs = Attrs(1 << 10);
    /// `MADV_SEQUENTIAL`.
    pub const SEQUENTIAL: Attrs = Attrs(1 << 11);
    /// `mseal`.
    pub const SEALED: Attrs = Attrs(1 << 12);
    /// `MAP_GROWSDOWN`.
    pub const GROWSDOWN: Attrs = Attrs(1 << 13);
    /// `MAP_HUGETLB`.
    pub const HUGETLB: Attrs = Attrs(1 << 14);

    /// No flags.
    pub const NONE: Attrs = Attrs(0);

    pub fn contains(self, other: Attrs) -> bool {
        self.0 & other.0 == other.0
    }

    pub fn with(self, other: Attrs) -> Attrs {
        Attrs(self.0 | other.0)
    }

    pub fn without(self, other: Attrs) -> Attrs {
        Attrs(self.0 & !other.0)
    }

    /// What the kernel gives a new mapping of `prot` and mmap `flags`.
    pub fn of_mmap(prot: u32, flags: u32) -> Attrs {
        use vmmon_common::linux::{
            MAP_GROWSDOWN, MAP_HUGETLB, MAP_LOCKED, MAP_NORESERVE, MAP_STACK, PROT_WRITE,
        };
        let mut a = Attrs::NONE;
        let private = !super::apply::shared(flags);
        if flags & MAP_NORESERVE != 0 {
            a = a.with(Attrs::NORESERVE);
        }
        if flags & MAP_HUGETLB != 0 {
            a = a.with(Attrs::HUGETLB);
        } else if private && prot & PROT_WRITE != 0 && flags & MAP_NORESERVE == 0 {
            a = a.with(Attrs::ACCOUNT);
        }
        if flags & MAP_STACK != 0 {
            a = a.with(Attrs::NOHUGEPAGE);
        }
        if flags & MAP_GROWSDOWN != 0 {
            a = a.with(Attrs::GROWSDOWN);
        }
        if flags & MAP_LOCKED != 0 {
            a = a.with(Attrs::LOCKED);
        }
        a
    }

    /// What a region read from `/proc` most likely has (the file shows no flags): the
    /// accounting of a private writable mapping.
    pub fn guessed(perms: Perms, kind: RegionKind) -> Attrs {
        match kind {
            RegionKind::Stack => Attrs::ACCOUNT.with(Attrs::GROWSDOWN),
            RegionKind::Heap | RegionKind::Anon | RegionKind::File | RegionKind::DeletedFile
                if perms.write && !perms.shared =>
            {
                Attrs::ACCOUNT
            }
            _ => Attrs::NONE,
        }
    }
}
