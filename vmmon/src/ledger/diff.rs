//! Where two address spaces disagree, by sweeping their coalesced ranges together.

use super::region::Perms;

/// How a range differs between the ledger and the kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Difference {
    /// Mapped in the kernel, not in the ledger.
    Missing,
    /// Mapped in the ledger, not in the kernel.
    Extra,
    /// Mapped in both with other permissions.
    Perms,
}

type Ranges = [(u64, u64, Perms)];

fn at(ranges: &Ranges, i: &mut usize, addr: u64) -> Option<Perms> {
    while *i < ranges.len() && ranges[*i].1 <= addr {
        *i += 1;
    }
    ranges.get(*i).filter(|r| r.0 <= addr).map(|r| r.2)
}

/// The ranges where `ledger` and `kernel` (each sorted, non-overlapping) disagree, merged.
pub fn differences(ledger: &Ranges, kernel: &Ranges) -> Vec<(u64, u64, Difference)> {
    let mut points: Vec<u64> = ledger
        .iter()
        .chain(kernel)
        .flat_map(|r| [r.0, r.1])
        .collect();
    points.sort_unstable();
    points.dedup();
    let (mut i, mut j) = (0, 0);
    let mut out: Vec<(u64, u64, Difference)> = Vec::new();
    for w in points.windows(2) {
        let (s, e) = (w[0], w[1]);
        let d = match (at(ledger, &mut i, s), at(kernel, &mut j, s)) {
            (None, Some(_)) => Difference::Missing,
            (Some(_), None) => Difference::Extra,
            (Some(a), Some(b)) if a != b => Difference::Perms,
            _ => continue,
        };
        match out.last_mut() {
            Some(last) if last.1 == s && last.2 == d => last.1 = e,
            _ => out.push((s, e, d)),
        }
    }
    out
}

#[cfg(test)]
mod tests;
