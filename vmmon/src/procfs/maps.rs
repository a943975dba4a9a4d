//! `/proc/PID/maps` lines into [`Region`]s:
//! `7f0c12345000-7f0c12347000 rw-p 00001000 fd:01 1234   /usr/lib/libc.so.6`.

use crate::ledger::{Attrs, Origin, Perms, Region, RegionKind};
use std::sync::Arc;

/// A line that is not a maps line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed /proc maps line {line:?}: {what}")]
pub struct MapsError {
    pub line: String,
    pub what: &'static str,
}

fn err(line: &str, what: &'static str) -> MapsError {
    MapsError {
        line: line.chars().take(200).collect(),
        what,
    }
}

/// What kind of mapping a maps line describes, from its path, inode and sharing.
pub fn classify(path: Option<&str>, inode: u64, shared: bool) -> RegionKind {
    let Some(path) = path else {
        return if shared {
            RegionKind::Shm
        } else {
            RegionKind::Anon
        };
    };
    match path {
        "[heap]" => RegionKind::Heap,
        "[vdso]" => RegionKind::Vdso,
        "[vsyscall]" => RegionKind::Vsyscall,
        p if p == "[stack]" || p.starts_with("[stack:") => RegionKind::Stack,
        p if p.starts_with("[vvar") => RegionKind::Vvar,
        p if p.starts_with("[anon_shmem:") => RegionKind::Shm,
        p if p.starts_with("[anon:") => RegionKind::Anon,
        p if p.starts_with('[') => RegionKind::Special,
        p if p.starts_with("/dev/zero")
            || p.starts_with("/SYSV")
            || p.starts_with("/memfd:")
            || p.starts_with("/dev/shm/") =>
        {
            RegionKind::Shm
        }
        p if p.starts_with("/anon_hugepage") => {
            if shared {
                RegionKind::Shm
            } else {
                RegionKind::Anon
            }
        }
        _ if inode == 0 && !path.starts_with('/') => RegionKind::Special,
        p if p.ends_with(" (deleted)") => RegionKind::DeletedFile,
        _ => RegionKind::File,
    }
}

/// Parses one line.
pub fn parse_line(line: &str) -> Result<Region, MapsError> {
    let mut rest = line;
    let mut field = |what: &'static str| -> Result<&str, MapsError> {
        let t = rest.trim_start_matches(' ');
        let end = t.find(' ').unwrap_or(t.len());
        if end == 0 {
            return Err(err(line, what));
        }
        let (f, r) = t.split_at(end);
        rest = r;
        Ok(f)
    };
    let range = field("no address range")?;
    let perms = field("no permissions")?;
    let offset = field("no offset")?;
    let dev = field("no device")?;
    let inode = field("no inode")?;
    let path = rest.trim_start_matches(' ');
    let (start, end) = range
        .split_once('-')
        .ok_or_else(|| err(line, "bad range"))?;
    let hex = |s: &str, what| u64::from_str_radix(s, 16).map_err(|_| err(line, what));
    let start = hex(start, "bad start address")?;
    let end = hex(end, "bad end address")?;
    if end <= start {
        return Err(err(line, "empty or reversed range"));
    }
    let perms = Perms::parse(perms).ok_or_else(|| err(line, "bad permissions"))?;
    let offset = hex(offset, "bad offset")?;
    let inode: u64 = inode.parse().map_err(|_| err(line, "bad inode"))?;
    let (major, minor) = dev.split_once(':').ok_or_else(|| err(line, "bad device"))?;
    let dev = (hex(major, "bad device")? << 20 | hex(minor, "bad device")?) as u32;
    let path = (!path.is_empty()).then_some(path);
    let kind = classify(path, inode, perms.shared);
    let mut r = Region::new(start, end, perms, kind, Origin::Procfs);
    r.path = path.map(Arc::from);
    r.offset = offset;
    r.inode = (inode != 0).then_some((dev, inode));
    r.attrs = Attrs::guessed(perms, kind);
    r.guessed = true;
    Ok(r)
}

/// Parses a whole maps file: the regions, and the lines that did not parse (skipped, for the
/// caller to count).
pub fn parse_maps(text: &str) -> (Vec<Region>, Vec<MapsError>) {
    let mut regions = Vec::new();
    let mut errors = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        match parse_line(line) {
            Ok(r) => regions.push(r),
            Err(e) => errors.push(e),
        }
    }
    (regions, errors)
}

#[cfg(test)]
mod tests;
