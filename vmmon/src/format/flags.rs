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
mod tests {
    use super::*;

    #[test]
    fn prot_names() {
        assert_eq!(prot(0), "PROT_NONE");
        assert_eq!(prot(3), "PROT_READ|PROT_WRITE");
        assert_eq!(prot(7), "PROT_READ|PROT_WRITE|PROT_EXEC");
        assert_eq!(prot(0x5 | 0x40), "PROT_READ|PROT_EXEC|0x40");
    }

    #[test]
    fn map_flag_names() {
        assert_eq!(map_flags(0x22), "MAP_PRIVATE|MAP_ANONYMOUS");
        assert_eq!(map_flags(0x32), "MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS");
        assert_eq!(map_flags(0x1), "MAP_SHARED");
        assert_eq!(map_flags(0x3), "MAP_SHARED_VALIDATE");
        assert_eq!(map_flags(0x2 | 0x2_0000), "MAP_PRIVATE|MAP_STACK");
        assert_eq!(
            map_flags(0x22 | 0x4_0000 | (21 << 26)),
            "MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_2MB"
        );
        assert_eq!(
            map_flags(0x4_0000 | (30 << 26) | 0x2),
            "MAP_PRIVATE|MAP_HUGETLB|MAP_HUGE_1GB"
        );
        assert_eq!(map_flags(0), "0");
        assert_eq!(map_flags(0x7), "0x7");
        assert_eq!(map_flags(0x2 | 0x200), "MAP_PRIVATE|0x200");
    }

    #[test]
    fn mremap_and_clone_names() {
        assert_eq!(mremap_flags(0), "0");
        assert_eq!(mremap_flags(1), "MREMAP_MAYMOVE");
        assert_eq!(
            mremap_flags(7),
            "MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP"
        );
        assert_eq!(mremap_flags(9), "MREMAP_MAYMOVE|0x8");
        assert_eq!(clone_flags(0x11), "0", "SIGCHLD alone is a plain fork");
        assert_eq!(clone_flags(0x4111), "CLONE_VM|CLONE_VFORK");
        assert_eq!(
            clone_flags(0x3d0f00),
            "CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD|CLONE_SYSVSEM|CLONE_SETTLS|CLONE_PARENT_SETTID|CLONE_CHILD_CLEARTID"
        );
    }
}
