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
