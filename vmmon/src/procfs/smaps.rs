//! `/proc/PID/smaps`: each mapping's resident memory, as `pmap -X` shows it. Reading it takes
//! the process's mmap lock and walks its page tables, so vmmon reads it only when a user asks
//! for one process (`vmmon maps PID --rss`), never on the periodic path. The parser is pure.

/// One mapping's memory, in bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Rss {
    pub start: u64,
    pub end: u64,
    pub rss_bytes: u64,
    pub pss_bytes: u64,
    pub anonymous_bytes: u64,
    pub swap_bytes: u64,
}

/// The mappings of an smaps text, in order. Lines it does not know are skipped.
pub fn parse_smaps(text: &str) -> Vec<Rss> {
    let mut out: Vec<Rss> = Vec::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        let Some(first) = words.next() else { continue };
        if let Some((s, e)) = first.split_once('-')
            && let (Ok(start), Ok(end)) = (u64::from_str_radix(s, 16), u64::from_str_radix(e, 16))
        {
            out.push(Rss {
                start,
                end,
                ..Rss::default()
            });
            continue;
        }
        let (Some(last), Some(value)) = (out.last_mut(), words.next()) else {
            continue;
        };
        let Ok(kb) = value.parse::<u64>() else {
            continue;
        };
        let field = match first {
            "Rss:" => &mut last.rss_bytes,
            "Pss:" => &mut last.pss_bytes,
            "Anonymous:" => &mut last.anonymous_bytes,
            "Swap:" => &mut last.swap_bytes,
            _ => continue,
        };
        *field = kb * 1024;
    }
    out
}

/// Reads and parses `pid`'s smaps.
pub fn read_smaps(pid: u32) -> std::io::Result<Vec<Rss>> {
    std::fs::read_to_string(format!("/proc/{pid}/smaps")).map(|t| parse_smaps(&t))
}

/// The memory of the mappings that start inside `[start, end)`, summed.
pub fn rss_within(entries: &[Rss], start: u64, end: u64) -> Rss {
    let mut sum = Rss {
        start,
        end,
        ..Rss::default()
    };
    for e in entries.iter().filter(|e| e.start >= start && e.start < end) {
        sum.rss_bytes += e.rss_bytes;
        sum.pss_bytes += e.pss_bytes;
        sum.anonymous_bytes += e.anonymous_bytes;
        sum.swap_bytes += e.swap_bytes;
    }
    sum
}

#[cfg(test)]
mod tests;
