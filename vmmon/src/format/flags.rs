//! `PROT_*`, `MAP_*`, `MREMAP_*` and `CLONE_*` flag sets as `A|B|C` text. Bits with no name are
//! shown as one hex remainder, so nothing the kernel saw is hidden.

use std::fmt::Write as _;

const PROT: &[(u32, &str)] = &[
    (0x1, "PROT_READ"),
    (0x2, "PROT_WRITE"),
    (0x4, "PROT_EXEC"),
    (0x8, "PROT_SEM"),
    (0x0100_0000, "PROT_GROWSDOWN"),
    (0x0200_0000, "PROT_GROWSUP"),
];

// The mapping type is a 4-bit field, not independent bits.
const MAP_TYPE_MASK: u32 = 0x0f;
const MAP_TYPES: &[(u32, &str)] = &[
    (0x1, "MAP_SHARED"),
    (0x2, "MAP_PRIVATE"),
    (0x3, "MAP_SHARED_VALIDATE"),
];
const MAP: &[(u32, &str)] = &[
    (0x10, "MAP_FIXED"),
    (0x20, "MAP_ANONYMOUS"),
    (0x40, "MAP_32BIT"),
    (0x100, "MAP_GROWSDOWN"),
    (0x800, "MAP_DENYWRITE"),
    (0x1000, "MAP_EXECUTABLE"),
    (0x2000, "MAP_LOCKED"),
    (0x4000, "MAP_NORESERVE"),
    (0x8000, "MAP_POPULATE"),
    (0x1_0000, "MAP_NONBLOCK"),
    (0x2_0000, "MAP_STACK"),
    (0x4_0000, "MAP_HUGETLB"),
    (0x8_0000, "MAP_SYNC"),
    (0x10_0000, "MAP_FIXED_NOREPLACE"),
    (0x400_0000, "MAP_UNINITIALIZED"),
];
const MAP_HUGE_SHIFT: u32 = 26;
const MAP_HUGE_MASK: u32 = 0x3f;

const MREMAP: &[(u32, &str)] = &[
    (0x1, "MREMAP_MAYMOVE"),
    (0x2, "MREMAP_FIXED"),
    (0x4, "MREMAP_DONTUNMAP"),
];

const CLONE: &[(u64, &str)] = &[
    (0x100, "CLONE_VM"),
    (0x200, "CLONE_FS"),
    (0x400, "CLONE_FILES"),
    (0x800, "CLONE_SIGHAND"),
    (0x1000, "CLONE_PIDFD"),
    (0x2000, "CLONE_PTRACE"),
    (0x4000, "CLONE_VFORK"),
    (0x8000, "CLONE_PARENT"),
    (0x1_0000, "CLONE_THREAD"),
    (0x2_0000, "CLONE_NEWNS"),
    (0x4_0000, "CLONE_SYSVSEM"),
    (0x8_0000, "CLONE_SETTLS"),
    (0x10_0000, "CLONE_PARENT_SETTID"),
    (0x20_0000, "CLONE_CHILD_CLEARTID"),
    (0x80_0000, "CLONE_UNTRACED"),
    (0x100_0000, "CLONE_CHILD_SETTID"),
    (0x200_0000, "CLONE_NEWCGROUP"),
    (0x400_0000, "CLONE_NEWUTS"),
    (0x800_0000, "CLONE_NEWIPC"),
    (0x1000_0000, "CLONE_NEWUSER"),
    (0x2000_0000, "CLONE_NEWPID"),
    (0x4000_0000, "CLONE_NEWNET"),
    (0x8000_0000, "CLONE_IO"),
];

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
    let ty = value & MAP_TYPE_MASK;
    let mut rest = value & !MAP_TYPE_MASK;
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
    bits(&mut out, value & !0xff, CLONE);
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
