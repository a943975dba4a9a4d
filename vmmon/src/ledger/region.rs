//! One mapping of an address space, as the kernel shows it in `/proc/PID/maps`.

use super::attrs::Attrs;
use super::sites::SiteSpans;
use std::fmt;
use std::sync::Arc;

/// The page size the ledger rounds lengths to.
pub const PAGE: u64 = vmmon_common::linux::PAGE_SIZE;

/// Rounds `len` up to whole pages.
pub fn page_up(len: u64) -> u64 {
    len.div_ceil(PAGE).saturating_mul(PAGE)
}

/// Access permissions of a mapping, and whether it is shared (`r-xp`, `rw-s`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub struct Perms {
    pub read: bool,
    pub write: bool,
    pub exec: bool,
    pub shared: bool,
}

impl Perms {
    /// From `PROT_*` bits and whether the mapping is shared.
    pub fn from_prot(prot: u32, shared: bool) -> Self {
        Self {
            read: prot & 1 != 0,
            write: prot & 2 != 0,
            exec: prot & 4 != 0,
            shared,
        }
    }

    /// The same sharing with new `PROT_*` bits (what mprotect changes).
    pub fn with_prot(self, prot: u32) -> Self {
        Self::from_prot(prot, self.shared)
    }

    /// From the four characters of `/proc/PID/maps` (`rw-p`).
    pub fn parse(s: &str) -> Option<Self> {
        let b = s.as_bytes();
        if b.len() != 4 {
            return None;
        }
        let flag = |c: u8, yes: u8| match c {
            c if c == yes => Some(true),
            b'-' => Some(false),
            _ => None,
        };
        Some(Self {
            read: flag(b[0], b'r')?,
            write: flag(b[1], b'w')?,
            exec: flag(b[2], b'x')?,
            shared: match b[3] {
                b's' => true,
                b'p' => false,
                _ => return None,
            },
        })
    }

    /// Writable and executable at once.
    pub fn is_wx(&self) -> bool {
        self.write && self.exec
    }
}

impl fmt::Display for Perms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = |on: bool, ch: char| if on { ch } else { '-' };
        write!(
            f,
            "{}{}{}{}",
            c(self.read, 'r'),
            c(self.write, 'w'),
            c(self.exec, 'x'),
            if self.shared { 's' } else { 'p' }
        )
    }
}

/// What backs a mapping (`kind` in the API).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionKind {
    /// The brk heap (`[heap]`).
    Heap,
    /// The main thread's stack (`[stack]`).
    Stack,
    /// Private anonymous memory.
    Anon,
    /// A file.
    File,
    /// A file deleted since it was mapped (`/proc` shows its path with ` (deleted)`): its
    /// pages stay until the last mapping of it goes.
    DeletedFile,
    /// Shared memory: shared anonymous mappings, SysV shm, memfd, /dev/shm.
    Shm,
    /// `[vdso]`.
    Vdso,
    /// `[vvar]` and its siblings.
    Vvar,
    /// `[vsyscall]`.
    Vsyscall,
    /// Another kernel-named region (`[uprobes]`, ...).
    Special,
}

impl RegionKind {
    /// Every kind, in the order figures list them.
    pub const ALL: [RegionKind; 10] = [
        RegionKind::Heap,
        RegionKind::Stack,
        RegionKind::Anon,
        RegionKind::File,
        RegionKind::DeletedFile,
        RegionKind::Shm,
        RegionKind::Vdso,
        RegionKind::Vvar,
        RegionKind::Vsyscall,
        RegionKind::Special,
    ];

    /// Whether its offset moves with its start (a file's or shared memory's page offset).
    pub fn has_offset(self) -> bool {
        matches!(
            self,
            RegionKind::File | RegionKind::DeletedFile | RegionKind::Shm
        )
    }

    /// Whether a file backs it (one still linked or one deleted since).
    pub fn is_file(self) -> bool {
        matches!(self, RegionKind::File | RegionKind::DeletedFile)
    }

    /// The name used in output.
    pub fn name(self) -> &'static str {
        match self {
            RegionKind::Heap => "heap",
            RegionKind::Stack => "stack",
            RegionKind::Anon => "anon",
            RegionKind::File => "file",
            RegionKind::DeletedFile => "deleted_file",
            RegionKind::Shm => "shm",
            RegionKind::Vdso => "vdso",
            RegionKind::Vvar => "vvar",
            RegionKind::Vsyscall => "vsyscall",
            RegionKind::Special => "special",
        }
    }
}

/// The device of the made-up identities of shared anonymous mappings (see [`Region::inode`]).
pub const ANON_FILE_DEV: u32 = u32::MAX;

/// How a region came to be in the ledger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Read from `/proc` (at start, after an exec, or by a resync).
    Procfs,
    Mmap,
    Brk,
    Mremap,
}

/// One mapping: `[start, end)` with its attributes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Region {
    pub start: u64,
    /// Exclusive.
    pub end: u64,
    pub perms: Perms,
    pub kind: RegionKind,
    /// The file or the kernel's name (`[heap]`, `/dev/zero (deleted)`); `None` when anonymous
    /// or when only events have seen it (a file mapped by fd, before a resync names it).
    pub path: Option<Arc<str>>,
    /// File offset of `start`.
    pub offset: u64,
    /// The fd it was mapped from, when it came from an `mmap` event of a file.
    #[serde(skip)]
    pub fd: Option<i32>,
    /// The file as `/proc` names it, `(device, inode)`, when read from there; for shared
    /// anonymous memory mapped by a call, `(ANON_FILE_DEV, n)` with `n` unique in its
    /// address space (each such mapping is its own file in the kernel).
    #[serde(skip)]
    pub inode: Option<(u32, u64)>,
    /// The flags that decide merging.
    #[serde(skip)]
    pub attrs: Attrs,
    /// Whether `attrs` are guessed (read from `/proc`, which shows no flags).
    #[serde(skip)]
    pub guessed: bool,
    pub origin: Origin,
    /// Calls that changed this range after it was made (mprotect, mremap).
    pub changes: u32,
    /// The call sites that made its bytes.
    #[serde(skip)]
    pub sites: SiteSpans,
}

impl Region {
    /// A region of `[start, end)` with nothing else known yet (no file, no flags).
    pub fn new(start: u64, end: u64, perms: Perms, kind: RegionKind, origin: Origin) -> Self {
        Self {
            start,
            end,
            perms,
            kind,
            path: None,
            offset: 0,
            fd: None,
            inode: None,
            attrs: Attrs::NONE,
            guessed: false,
            origin,
            changes: 0,
            sites: SiteSpans::default(),
        }
    }

    /// Whether `next`, which starts where this ends, is a continuation the kernel keeps in
    /// the same mapping (VMA): same permissions and flags, and the same anonymous memory or
    /// the same file at the following offset. Special mappings and the stack never merge.
    /// With `lenient`, flags that either side only guessed do not keep them apart.
    pub fn merges_with(&self, next: &Region, lenient: bool) -> bool {
        let flags_agree = self.attrs == next.attrs || (lenient && (self.guessed || next.guessed));
        if self.end != next.start || self.perms != next.perms || !flags_agree {
            return false;
        }
        match (self.kind, next.kind) {
            (RegionKind::Anon, RegionKind::Anon) | (RegionKind::Heap, RegionKind::Heap) => {
                self.path == next.path
            }
            (a, b) if (a.is_file() && b.is_file()) || (a == RegionKind::Shm && a == b) => {
                let same_file = match (self.inode, next.inode) {
                    (Some(a), Some(b)) => a == b,
                    (None, None) => self.fd.is_some() && self.fd == next.fd,
                    _ => false,
                };
                same_file && self.offset + self.len() == next.offset
            }
            _ => false,
        }
    }

    /// Bytes covered.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Whether the kernel takes it for anonymous memory (`vma_is_anonymous`: private, with
    /// no file behind it).
    pub fn is_anonymous(&self) -> bool {
        !self.perms.shared
            && matches!(
                self.kind,
                RegionKind::Anon | RegionKind::Heap | RegionKind::Stack
            )
    }

    /// Never true for a region in a ledger; here for clippy's `len` convention.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }

    /// Splits at `at` (strictly inside), keeping `[start, at)` and returning `[at, end)`.
    pub fn split_off(&mut self, at: u64) -> Region {
        debug_assert!(self.start < at && at < self.end);
        let mut right = self.clone();
        right.start = at;
        right.sites = self.sites.split_off(at - self.start);
        if self.kind.has_offset() {
            right.offset = self.offset + (at - self.start);
        }
        self.end = at;
        right
    }

    /// Takes in `next`, the region right after it that it merges with
    /// ([`Region::merges_with`]): one region from its start to `next`'s end.
    pub fn absorb(&mut self, next: &Region) {
        debug_assert_eq!(self.end, next.start);
        let len = self.len();
        self.sites.append(len, &next.sites);
        self.end = next.end;
        self.changes = self.changes.saturating_add(next.changes);
        if self.guessed && !next.guessed {
            self.attrs = next.attrs;
        }
        self.guessed &= next.guessed;
    }

    /// The part of it inside `[start, end)` (which must overlap it).
    pub fn clipped(&self, start: u64, end: u64) -> Region {
        let mut r = self.clone();
        if r.start < start {
            r = r.split_off(start);
        }
        if r.end > end {
            r.split_off(end);
        }
        r
    }
}

#[cfg(test)]
mod tests;
