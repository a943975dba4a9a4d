//! One mapping of an address space, as the kernel shows it in `/proc/PID/maps`.

use std::fmt;
use std::sync::Arc;

/// The page size the ledger rounds lengths to.
pub const PAGE: u64 = 4096;

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
    pub const ALL: [RegionKind; 9] = [
        RegionKind::Heap,
        RegionKind::Stack,
        RegionKind::Anon,
        RegionKind::File,
        RegionKind::Shm,
        RegionKind::Vdso,
        RegionKind::Vvar,
        RegionKind::Vsyscall,
        RegionKind::Special,
    ];

    /// Whether its offset moves with its start (a file's or shared memory's page offset).
    pub fn has_offset(self) -> bool {
        matches!(self, RegionKind::File | RegionKind::Shm)
    }

    /// The name used in output.
    pub fn name(self) -> &'static str {
        match self {
            RegionKind::Heap => "heap",
            RegionKind::Stack => "stack",
            RegionKind::Anon => "anon",
            RegionKind::File => "file",
            RegionKind::Shm => "shm",
            RegionKind::Vdso => "vdso",
            RegionKind::Vvar => "vvar",
            RegionKind::Vsyscall => "vsyscall",
            RegionKind::Special => "special",
        }
    }
}

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
    pub origin: Origin,
    /// Calls that changed this range after it was made (mprotect, mremap).
    pub changes: u32,
}

impl Region {
    /// Bytes covered.
    pub fn len(&self) -> u64 {
        self.end - self.start
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
        if self.kind.has_offset() {
            right.offset = self.offset + (at - self.start);
        }
        self.end = at;
        right
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
mod tests {
    use super::*;

    #[test]
    fn perms_round_trip() {
        for s in ["r-xp", "rw-s", "---p", "rwxp", "r--s"] {
            assert_eq!(Perms::parse(s).unwrap().to_string(), s);
        }
        assert!(Perms::parse("rw-").is_none());
        assert!(Perms::parse("rwxq").is_none());
        assert!(Perms::parse("xw-p").is_none());
        assert!(Perms::from_prot(6, false).is_wx());
        assert_eq!(Perms::from_prot(3, true).to_string(), "rw-s");
    }

    #[test]
    fn page_rounding() {
        assert_eq!(page_up(0), 0);
        assert_eq!(page_up(1), 4096);
        assert_eq!(page_up(4096), 4096);
        assert_eq!(page_up(34067), 36864);
        assert_eq!(
            page_up(u64::MAX),
            u64::MAX,
            "saturates rather than wrapping"
        );
    }
}
