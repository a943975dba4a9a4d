use super::*;
use crate::event::Comm;

fn line(kind: Kind) -> String {
    let mut raw = [0u8; 16];
    raw[..4].copy_from_slice(b"prog");
    let e = Event {
        ts_ns: 1_500_000_000,
        tgid: 10,
        tid: 11,
        comm: Comm::new(raw),
        kind,
        figures: None,
        site: None,
    };
    let mut out = String::new();
    write_line(&mut out, &WallClock::monotonic(), &e);
    out
}

#[test]
fn mmap_line() {
    let l = line(Kind::Mmap {
        addr: 0,
        len: 4096,
        prot: 3,
        flags: 0x22,
        fd: -1,
        offset: 0,
        ret: 0x7f00_0000_1000,
    });
    assert_eq!(
        l,
        "1.500000 10/11 prog mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000001000"
    );
}

#[test]
fn failure_shows_errno_name() {
    let l = line(Kind::Munmap {
        addr: 0x1001,
        len: 4096,
        ret: -22,
    });
    assert!(l.ends_with("munmap(0x1001, 4096) = -1 EINVAL"), "{l}");
}

#[test]
fn process_events() {
    let l = line(Kind::Fork {
        child_tgid: 10,
        child_tid: 12,
        clone_flags: Some(0x10100),
    });
    assert!(
        l.ends_with("fork thread 10/12 flags=CLONE_VM|CLONE_THREAD"),
        "{l}"
    );
    let l = line(Kind::Exec {
        filename: "/bin/true".into(),
        old_tid: 11,
    });
    assert!(l.ends_with("exec \"/bin/true\""), "{l}");
    let l = line(Kind::Exit {
        status: None,
        group_dead: true,
        footprint: None,
    });
    assert!(l.contains("exit (last thread"), "{l}");
    let l = line(Kind::Mremap {
        old_addr: 0x1000,
        old_len: 4096,
        new_len: 8192,
        flags: 3,
        new_addr: 0x9000,
        ret: 0x9000,
    });
    assert!(
        l.ends_with("mremap(0x1000, 4096, 8192, MREMAP_MAYMOVE|MREMAP_FIXED, 0x9000) = 0x9000"),
        "{l}"
    );
}

#[test]
fn the_last_exit_shows_the_footprint_the_kernel_gave() {
    let e = crate::fixtures::last_exit(b"cc");
    let mut out = String::new();
    write_line(&mut out, &WallClock::monotonic(), &e);
    assert!(
        out.ends_with(
            "exit (last thread: address space released; oom_kill; peak 300.0M virtual, \
                 12.0M resident, 57 mappings, lived 2.500s)"
        ),
        "{out}"
    );
}

#[test]
fn every_kind_writes_its_line() {
    let lines: Vec<String> = crate::fixtures::events_of_every_kind()
        .iter()
        .map(|e| {
            let mut out = String::new();
            write_line(&mut out, &WallClock::monotonic(), e);
            out
        })
        .collect();
    assert_eq!(lines, EVERY_KIND);
}

/// The lines of [`crate::fixtures::events_of_every_kind`], in order.
const EVERY_KIND: [&str; 31] = [
    "1.500000 10/11 prog mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0x0) = 0x7f0000001000",
    "1.500000 10/11 prog mmap(0x7f0000000000, 8192, PROT_READ|PROT_EXEC, MAP_PRIVATE|MAP_FIXED, 3, 0x2000) = -1 ENOMEM",
    "1.500000 10/11 prog munmap(0x1000, 4096) = 0",
    "1.500000 10/11 prog mremap(0x1000, 4096, 8192, MREMAP_MAYMOVE) = 0x5000",
    "1.500000 10/11 prog mremap(0x1000, 4096, 8192, MREMAP_MAYMOVE|MREMAP_FIXED, 0x9000) = -1 EINVAL",
    "1.500000 10/11 prog mprotect(0x1000, 4096, PROT_NONE) = 0",
    "1.500000 10/11 prog pkey_mprotect(0x1000, 4096, PROT_READ, 2) = -1 EPERM",
    "1.500000 10/11 prog brk(NULL) = 0x550000",
    "1.500000 10/11 prog brk(0x560000) = 0xfffffffffffffff4",
    "1.500000 10/11 prog shmat(7, NULL, SHM_RDONLY|SHM_EXEC|0o40) = 0x7f0000000000",
    "1.500000 10/11 prog shmat(8, 0x7000, 0) = -1 EACCES",
    "1.500000 10/11 prog shmdt(0x7000) = 0",
    "1.500000 10/11 prog madvise(0x1000, 4096, MADV_HUGEPAGE) = 0",
    "1.500000 10/11 prog madvise(0x1000, 4096, 4) = -1 EINVAL",
    "1.500000 10/11 prog mlock2(0x1000, 4096, 0x1) = 0",
    "1.500000 10/11 prog munlockall() = 0",
    "1.500000 10/11 prog mbind(0x1000, 4096, 2, 0x7ffc0000, 3, 0x2) = 0",
    "1.500000 10/11 prog prctl(PR_SET_VMA, 0, 4096, 4096, 2147221520) = 0",
    "1.500000 10/11 prog prctl(15, 1, 2, 3, 4) = 0",
    "1.500000 10/11 prog fork thread 10/12 flags=CLONE_VM|CLONE_THREAD",
    "1.500000 10/11 prog fork process 13/13 flags=0",
    "1.500000 10/11 prog fork task 14/14",
    "1.500000 10/11 prog exec \"/bin/true\"",
    "1.500000 10/11 prog exec \"/usr/bin/a \\\"b\\\"\" (by thread 12)",
    "1.500000 10/11 prog exit (thread)",
    "1.500000 10/11 prog exit (last thread: address space released)",
    "1.500000 10/11 prog exit (last thread: address space released; exit 3, lived 0.500s)",
    "3.500000 10/10 prog exit (last thread: address space released; oom_kill; peak 300.0M virtual, 12.0M resident, 57 mappings, lived 2.500s)",
    "1.500000 10/11 prog oom_kill (chosen by the OOM killer, 9.0M resident)",
    "1.500000 10/11 prog exit (last thread: address space released; SIGSEGV (core); peak 300.0M virtual, 57 mappings)",
    "1.500000 10/11 prog oom_kill (chosen by the OOM killer; 200.0M virtual, 57 mappings, 9.0M resident)",
];
