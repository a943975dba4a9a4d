//! `PROT_*`, `MAP_*`, `MREMAP_*` and `CLONE_*` flag sets as `A|B|C` text. Bits with no name are
//! shown as one hex remainder, so nothing the kernel saw is hidden.

use std::fmt::Write as _;
use vmmon_common::linux::{
    CLONE_NAMES as CLONE, CSIGNAL, MAP_HUGE_MASK, MAP_HUGE_SHIFT, MAP_NAMES as MAP, MAP_TYPE,
    MAP_TYPE_NAMES as MAP_TYPES, MREMAP_NAMES as MREMAP, PROT_NAMES as PROT,
};

/// Appends the names of the bits of `value` found in `table`, then any unnamed rest in hex.
fn bits<T>(out: &mut String, mut value: T, table: &[(T, &str)])
where
    T: Copy + PartialEq + Default + std::ops::BitAnd<Output = T> + std::ops::BitXorAssign,
    T: std::fmt::LowerHex,
{
    let zero = T::default();
    for &(bit, name) in table {
        if value & bit != zero {
            push(out, name);
            value ^= bit;
        }
    }
    if value != zero {
        if !out.is_empty() {
            out.push('|');
        }
        let _ = write!(out, "{value:#x}");
    }
}

fn push(out: &mut String, name: &str) {
    if !out.is_empty() {
        out.push('|');
    }
    out.push_str(name);
}

/// `PROT_READ|PROT_WRITE`; `PROT_NONE` for 0.
pub fn prot(value: u32) -> String {
    if value == 0 {
        return "PROT_NONE".into();
    }
    let mut out = String::new();
    bits(&mut out, value, PROT);
    out
}

/// `MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED`, with `MAP_HUGE_2MB`-style page sizes.
pub fn map_flags(value: u32) -> String {
    let mut out = String::new();
    let ty = value & MAP_TYPE;
    let mut rest = value & !MAP_TYPE;
    match MAP_TYPES.iter().find(|(t, _)| *t == ty) {
        Some((_, name)) => push(&mut out, name),
        None if ty != 0 => rest |= ty,
        None => {}
    }
    let huge = (rest >> MAP_HUGE_SHIFT) & MAP_HUGE_MASK;
    rest &= !(MAP_HUGE_MASK << MAP_HUGE_SHIFT);
    bits(&mut out, rest, MAP);
    if huge != 0 {
        push(&mut out, &huge_name(huge));
    }
    if out.is_empty() {
        out.push('0');
    }
    out
}

fn huge_name(log2: u32) -> String {
    match log2 {
        10..=19 => format!("MAP_HUGE_{}KB", 1u64 << (log2 - 10)),
        20..=29 => format!("MAP_HUGE_{}MB", 1u64 << (log2 - 20)),
        30..=39 => format!("MAP_HUGE_{}GB", 1u64 << (log2 - 30)),
        _ => format!("MAP_HUGE_2^{log2}"),
    }
}

/// `MREMAP_MAYMOVE|MREMAP_FIXED`; `0` when none.
pub fn mremap_flags(value: u32) -> String {
    let mut out = String::new();
    bits(&mut out, value, MREMAP);
    if out.is_empty() {
        out.push('0');
    }
    out
}

/// `CLONE_VM|CLONE_THREAD|...`, the exit signal (low byte) left out; `0` for a plain fork.
pub fn clone_flags(value: u64) -> String {
    let mut out = String::new();
    bits(&mut out, value & !CSIGNAL, CLONE);
    if out.is_empty() {
        out.push('0');
    }
    out
}

#[cfg(test)]
mod tests;
