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
mod tests {
    use super::*;

    const SAMPLE: &str = "\
55f711a62000-55f711a64000 r--p 00000000 00:1f 2621531                    /usr/bin/true
55f711a64000-55f711a68000 r-xp 00002000 00:1f 2621531                    /usr/bin/true
55f73250d000-55f73252e000 rw-p 00000000 00:00 0                          [heap]
7f6b06883000-7f6b068a9000 r--p 00000000 00:1f 2622044                    /usr/lib/x86_64-linux-gnu/libc.so.6
7f6b06a58000-7f6b06a65000 rw-p 00000000 00:00 0 
7f6b06a66000-7f6b06a68000 rw-s 00000000 00:01 1025                       /dev/zero (deleted)
7f6b06a68000-7f6b06a69000 rw-s 00000000 00:01 7                          /memfd:pool (deleted)
7f6b06a69000-7f6b06a6a000 rw-p 00000000 00:00 0                          [anon:tokio stack]
7f6b06a6a000-7f6b06a6b000 r--p 00000000 00:1f 99                         /tmp/a file with spaces
7ffd1c3e1000-7ffd1c402000 rw-p 00000000 00:00 0                          [stack]
7ffd1c5a4000-7ffd1c5a8000 r--p 00000000 00:00 0                          [vvar]
7ffd1c5a8000-7ffd1c5aa000 r-xp 00000000 00:00 0                          [vdso]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
";

    #[test]
    fn parses_a_real_looking_maps_file() {
        let (regions, errors) = parse_maps(SAMPLE);
        assert!(errors.is_empty(), "{errors:?}");
        let kinds: Vec<_> = regions.iter().map(|r| r.kind).collect();
        use RegionKind::*;
        assert_eq!(
            kinds,
            [
                File, File, Heap, File, Anon, Shm, Shm, Anon, File, Stack, Vvar, Vdso, Vsyscall
            ]
        );
        assert_eq!(regions[1].offset, 0x2000);
        assert_eq!(regions[1].perms.to_string(), "r-xp");
        assert_eq!(regions[4].path, None);
        assert_eq!(regions[8].path.as_deref(), Some("/tmp/a file with spaces"));
        assert_eq!(regions[12].start, 0xffffffffff600000);
        assert_eq!(regions[2].len(), 0x21000);
    }

    #[test]
    fn malformed_lines_are_errors_not_panics() {
        for bad in [
            "",
            "zzzz-1000 r--p 0 00:00 0",
            "2000-1000 r--p 00000000 00:00 0",
            "1000-2000 rwxq 00000000 00:00 0",
            "1000-2000 r--p",
            "1000 r--p 00000000 00:00 0",
            "1000-2000 r--p 00000000 00:00 notanumber",
            "1000-ffffffffffffffffff r--p 00000000 00:00 0",
        ] {
            assert!(parse_line(bad).is_err(), "{bad:?} parsed");
        }
        let (regions, errors) = parse_maps("1000-2000 r--p 00000000 00:00 0\ngarbage\n");
        assert_eq!((regions.len(), errors.len()), (1, 1));
    }
}
