//! What an address space's regions add up to, kept up to date as regions come and go, so
//! that reading a process's figures costs nothing however many mappings it has.

use super::attrs::Attrs;
use super::region::{Perms, Region, RegionKind};

/// Bytes mapped with each kind of backing (and, from [`MappingsByKind::bytes_by_kind`],
/// mappings of each kind).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct BytesByKind {
    pub heap: u64,
    pub stack: u64,
    pub anon: u64,
    pub file: u64,
    pub deleted_file: u64,
    pub shm: u64,
    pub vdso: u64,
    pub vvar: u64,
    pub vsyscall: u64,
    pub special: u64,
}

impl BytesByKind {
    /// The bytes of `kind`.
    pub fn get(&self, kind: RegionKind) -> u64 {
        *self.field(kind)
    }

    fn field(&self, kind: RegionKind) -> &u64 {
        match kind {
            RegionKind::Heap => &self.heap,
            RegionKind::Stack => &self.stack,
            RegionKind::Anon => &self.anon,
            RegionKind::File => &self.file,
            RegionKind::DeletedFile => &self.deleted_file,
            RegionKind::Shm => &self.shm,
            RegionKind::Vdso => &self.vdso,
            RegionKind::Vvar => &self.vvar,
            RegionKind::Vsyscall => &self.vsyscall,
            RegionKind::Special => &self.special,
        }
    }

    fn field_mut(&mut self, kind: RegionKind) -> &mut u64 {
        match kind {
            RegionKind::Heap => &mut self.heap,
            RegionKind::Stack => &mut self.stack,
            RegionKind::Anon => &mut self.anon,
            RegionKind::File => &mut self.file,
            RegionKind::DeletedFile => &mut self.deleted_file,
            RegionKind::Shm => &mut self.shm,
            RegionKind::Vdso => &mut self.vdso,
            RegionKind::Vvar => &mut self.vvar,
            RegionKind::Vsyscall => &mut self.vsyscall,
            RegionKind::Special => &mut self.special,
        }
    }
}

/// Mappings of each kind, by [`RegionKind`] as an index: counted on every change of a
/// region, so kept small (a copy of the sums begins every change that may be undone).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MappingsByKind([u32; RegionKind::ALL.len()]);

impl MappingsByKind {
    /// The mappings of `kind`.
    pub fn get(&self, kind: RegionKind) -> u64 {
        u64::from(self.0[kind as usize])
    }

    /// As the API's numbers by kind.
    pub fn by_kind(&self) -> BytesByKind {
        let mut b = BytesByKind::default();
        for k in RegionKind::ALL {
            *b.field_mut(k) = self.get(k);
        }
        b
    }
}

/// Bytes by permission class (`bytes_by_perm` in the API).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PermBytes {
    pub read: u64,
    pub write: u64,
    pub exec: u64,
    pub shared: u64,
    pub write_exec: u64,
    pub none: u64,
}

impl PermBytes {
    /// The classes `p` counts in, as mutable counters.
    fn classes(&mut self, p: Perms) -> impl Iterator<Item = &mut u64> {
        let PermBytes {
            read,
            write,
            exec,
            shared,
            write_exec,
            none,
        } = self;
        [
            (p.read, read),
            (p.write, write),
            (p.exec, exec),
            (p.shared, shared),
            (p.is_wx(), write_exec),
            (!p.read && !p.write && !p.exec, none),
        ]
        .into_iter()
        .filter_map(|(counts, field)| counts.then_some(field))
    }
}

/// The sums over an address space's regions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sums {
    pub by_kind: BytesByKind,
    /// Mappings (regions) of each kind.
    pub mappings_by_kind: MappingsByKind,
    pub by_perm: PermBytes,
    /// Bytes a fork does not copy (`MADV_DONTFORK`).
    pub dontcopy: u64,
}

impl Sums {
    /// Counts `r` in.
    pub fn add(&mut self, r: &Region) {
        let n = r.len();
        *self.by_kind.field_mut(r.kind) += n;
        self.mappings_by_kind.0[r.kind as usize] += 1;
        for c in self.by_perm.classes(r.perms) {
            *c += n;
        }
        if r.attrs.contains(Attrs::DONTCOPY) {
            self.dontcopy += n;
        }
    }

    /// Counts `r` out (it was counted in).
    pub fn sub(&mut self, r: &Region) {
        let n = r.len();
        *self.by_kind.field_mut(r.kind) -= n;
        self.mappings_by_kind.0[r.kind as usize] -= 1;
        for c in self.by_perm.classes(r.perms) {
            *c -= n;
        }
        if r.attrs.contains(Attrs::DONTCOPY) {
            self.dontcopy -= n;
        }
    }

    /// Counts one more mapping of `kind`: a counted region cut in two (its bytes are counted
    /// already).
    pub fn split(&mut self, kind: RegionKind) {
        self.mappings_by_kind.0[kind as usize] += 1;
    }

    /// The figures of `regions`, counted from scratch.
    pub fn of<'a>(regions: impl IntoIterator<Item = &'a Region>) -> Self {
        let mut f = Self::default();
        for r in regions {
            f.add(r);
        }
        f
    }
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

#[cfg(test)]
mod tests;
