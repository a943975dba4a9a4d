//! Decoding records, from the bytes the programs write.

use super::*;
use crate::event::Comm;
use vmmon_common::linux::{CLONE_THREAD, CLONE_VM};
use vmmon_common::{COMM_LEN, FILENAME_LEN};

fn header(kind: EventKind) -> Header {
    let mut comm = [0u8; COMM_LEN];
    comm[..4].copy_from_slice(b"test");
    Header {
        kind: kind as u32,
        tgid: 10,
        tid: 11,
        _pad: 0,
        ts_ns: 12345,
        comm,
    }
}

fn bytes<T: Copy>(r: &T) -> Vec<u8> {
    // SAFETY: test records are plain data of known size.
    unsafe { std::slice::from_raw_parts((r as *const T).cast::<u8>(), size_of::<T>()) }.to_vec()
}

fn mmap_record() -> SyscallRecord {
    SyscallRecord {
        header: header(EventKind::Mmap),
        args: [0, 4096, 3, 0x22, u64::MAX, 0],
        ret: 0x7f00_0000_0000,
        figures: vmmon_common::Figures::default(),
        site: vmmon_common::SiteRecord::default(),
    }
}

#[test]
fn decodes_mmap() {
    let e = decode(&bytes(&mmap_record())).unwrap();
    assert_eq!((e.tgid, e.tid, e.ts_ns), (10, 11, 12345));
    assert_eq!(e.comm.as_bytes(), b"test");
    assert_eq!(
        e.kind,
        Kind::Mmap {
            addr: 0,
            len: 4096,
            prot: 3,
            flags: 0x22,
            fd: -1,
            offset: 0,
            ret: 0x7f00_0000_0000
        }
    );
    assert_eq!(e.kind.errno(), None);
    assert_eq!(e.site, None, "no call site captured");
}

#[test]
fn a_captured_call_site_is_its_caller_until_its_frames_are_read() {
    let mut r = mmap_record();
    r.site = vmmon_common::SiteRecord {
        caller: 0x5555_0000_1234,
        stack: 0xabcd_0001,
    };
    let site = decode(&bytes(&r)).unwrap().site.expect("a site");
    assert_eq!((site.caller, site.stack), (0x5555_0000_1234, 0xabcd_0001));
    assert_eq!(&*site.frames(), &[0x5555_0000_1234]);
    assert_eq!(site.id(), 0x5555_0000_1234 << 1, "the caller's id, even");
    let read = CallSite::with_frames(0xabcd_0001, &[0x5555_0000_1234, 0x5555_0000_2000]);
    assert_eq!(
        read.id(),
        0xabcd_0001,
        "the kernel's id once its frames are read"
    );
    assert_eq!(read.frames().len(), 2);
}

#[test]
fn failed_call_has_errno_but_brk_never_does() {
    let mut r = mmap_record();
    r.ret = -12;
    assert_eq!(decode(&bytes(&r)).unwrap().kind.errno(), Some(12));
    let brk = SyscallRecord {
        header: header(EventKind::Brk),
        args: [0; 6],
        ret: 0x5555_0000,
        figures: vmmon_common::Figures::default(),
        site: vmmon_common::SiteRecord::default(),
    };
    let e = decode(&bytes(&brk)).unwrap();
    assert_eq!(
        e.kind,
        Kind::Brk {
            addr: 0,
            ret: 0x5555_0000
        }
    );
    assert_eq!(e.kind.errno(), None);
}

#[test]
fn short_record_is_an_error() {
    let b = bytes(&mmap_record());
    assert_eq!(decode(&b[..10]), Err(DecodeError::Short(10)));
    assert_eq!(decode(&[]), Err(DecodeError::Short(0)));
    assert!(matches!(
        decode(&b[..50]),
        Err(DecodeError::Length {
            kind: 1,
            len: 50,
            expected: 152
        })
    ));
}

#[test]
fn long_record_is_an_error() {
    let mut b = bytes(&mmap_record());
    b.extend_from_slice(&[0; 8]);
    assert!(matches!(
        decode(&b),
        Err(DecodeError::Length { len: 160, .. })
    ));
}

#[test]
fn unknown_kind_is_an_error() {
    let mut b = bytes(&mmap_record());
    b[..4].copy_from_slice(&99u32.to_ne_bytes());
    assert_eq!(decode(&b), Err(DecodeError::UnknownKind(99)));
    b[..4].copy_from_slice(&0u32.to_ne_bytes());
    assert_eq!(decode(&b), Err(DecodeError::UnknownKind(0)));
}

#[test]
fn decodes_forks_with_their_flags_and_the_childs_figures() {
    let figures = vmmon_common::Figures {
        total_vm: 100,
        hiwater_vm: 120,
        map_count: 9,
        flags: FIGURES_KNOWN,
        ..vmmon_common::Figures::default()
    };
    let r = ForkRecord {
        header: header(EventKind::Fork),
        child_tid: 20,
        child_tgid: 10,
        clone_flags: CLONE_VM | CLONE_THREAD,
        figures,
    };
    let e = decode(&bytes(&r)).unwrap();
    assert_eq!(e.is_thread(), Some(true));
    assert_eq!(e.shares_vm(), Some(true));
    let plain = ForkRecord {
        clone_flags: 0x11,
        child_tgid: 20,
        ..r
    };
    let e = decode(&bytes(&plain)).unwrap();
    assert_eq!((e.is_thread(), e.shares_vm()), (Some(false), Some(false)));
    let f = e.figures.unwrap();
    assert_eq!(
        (f.virtual_bytes, f.peak_virtual_bytes, f.mappings),
        (409600, 491520, 9)
    );
}

#[test]
fn a_syscall_record_without_known_figures_has_none() {
    let e = decode(&bytes(&mmap_record())).unwrap();
    assert_eq!(e.figures, None);
}

#[test]
fn decodes_the_calls_kept_as_raw_arguments_and_zeroes_the_unnamed_ones() {
    let r = SyscallRecord {
        header: header(EventKind::Madvise),
        args: [0x1000, 8192, 14, 77, 88, 99],
        ..mmap_record()
    };
    let e = decode(&bytes(&r)).unwrap();
    assert_eq!(
        e.kind,
        Kind::Adjust {
            call: Syscall::Madvise,
            args: [0x1000, 8192, 14, 0, 0, 0],
            ret: 0x7f00_0000_0000,
        }
    );
    assert_eq!(e.kind.name(), "madvise");
}

#[test]
fn decodes_a_sweep_and_refuses_a_cut_one() {
    let rec = SweepRecord {
        tgid: 42,
        ts_ns: 5,
        start_ns: 1,
        figures: vmmon_common::Figures {
            total_vm: 3,
            map_count: 2,
            flags: FIGURES_KNOWN,
            ..vmmon_common::Figures::default()
        },
        resident: vmmon_common::Resident {
            anon: 1,
            ..vmmon_common::Resident::default()
        },
        ..SweepRecord::default()
    };
    let mut b = bytes(&rec);
    b.extend(bytes(&SweepRecord { tgid: 43, ..rec }));
    let swept = decode_sweep(&b).unwrap();
    assert_eq!(swept.len(), 2);
    assert_eq!((swept[0].tgid, swept[1].tgid), (42, 43));
    assert_eq!(swept[0].figures.virtual_bytes, 3 * 4096);
    assert_eq!(swept[0].resident.anon_bytes, 4096);
    assert!(decode_sweep(&b[..b.len() - 1]).is_err());
    assert_eq!(decode_sweep(&[]).unwrap(), Vec::new());
    assert_eq!(swept[0].oldest_call_ns, None);
}

#[test]
fn a_sweep_tells_when_each_process_oldest_call_in_flight_began() {
    // 14,277 s after boot on a 250 Hz kernel.
    let (ts, now) = (14_277_000_000_000u64, (1u64 << 32) - 75_000 + 3_569_250);
    let process = SweepRecord {
        tgid: 42,
        ts_ns: ts,
        ..SweepRecord::default()
    };
    let thread = |tid, ago_jiffies: u64| vmmon_common::SweepThread {
        tgid: 42,
        kind: vmmon_common::SWEPT_THREAD,
        ts_ns: ts,
        now_jiffies: now,
        since_jiffies: now - ago_jiffies,
        tid,
        nr: 149,
        _pad: [0; 8],
    };
    let mut b = bytes(&thread(43, 250));
    b.extend(bytes(&process));
    b.extend(bytes(&thread(44, 750)));
    b.extend(bytes(&SweepRecord {
        tgid: 50,
        ..process
    }));
    let swept = decode_sweep(&b).unwrap();
    assert_eq!(swept.len(), 2, "thread records are no processes");
    assert_eq!(
        swept[0].oldest_call_ns,
        Some(ts - 3_000_000_000),
        "the oldest of two"
    );
    assert_eq!(swept[1].oldest_call_ns, None);
}

#[test]
fn decodes_exec_filename_within_bounds() {
    let mut filename = [0u8; FILENAME_LEN];
    filename[..9].copy_from_slice(b"/bin/true");
    let r = ExecRecord {
        header: header(EventKind::Exec),
        old_tid: 11,
        filename_len: 9,
        filename,
        figures: vmmon_common::Figures::default(),
    };
    let e = decode(&bytes(&r)).unwrap();
    assert_eq!(
        e.kind,
        Kind::Exec {
            filename: "/bin/true".into(),
            old_tid: 11
        }
    );
    // A length past the buffer is clamped, not trusted.
    let lying = ExecRecord {
        filename_len: 10_000,
        ..r
    };
    assert!(
        matches!(decode(&bytes(&lying)).unwrap().kind, Kind::Exec { ref filename, .. } if filename == "/bin/true")
    );
}

#[test]
fn decodes_exit() {
    let r = ExitRecord {
        header: header(EventKind::Exit),
        group_dead: 1,
        exit_code: 0,
        start_ns: 7,
        figures: vmmon_common::Figures {
            total_vm: 2,
            flags: FIGURES_KNOWN,
            ..vmmon_common::Figures::default()
        },
        resident: vmmon_common::Resident {
            hiwater_rss: 9,
            anon: 3,
            ..vmmon_common::Resident::default()
        },
        uids: [1000, 1001, 1002],
        gids: [100, 101, 102],
        ids_flags: vmmon_common::IDS_KNOWN,
        _pad2: 0,
    };
    let e = decode(&bytes(&r)).unwrap();
    assert!(e.is_process_exit());
    let Kind::Exit {
        status: None,
        footprint: Some(f),
        ..
    } = e.kind
    else {
        panic!("{e:?}")
    };
    assert_eq!((f.start_ns, f.resident.peak_bytes), (7, 9 * 4096));
    let ids = f.ids.expect("the ids were known");
    assert_eq!(
        (ids.uids, ids.gids, ids.dumpable),
        ([1000, 1001, 1002], [100, 101, 102], false)
    );
    let dumpable = ExitRecord {
        ids_flags: vmmon_common::IDS_KNOWN | vmmon_common::IDS_DUMPABLE,
        ..r
    };
    let Kind::Exit {
        status: None,
        footprint: Some(f),
        ..
    } = decode(&bytes(&dumpable)).unwrap().kind
    else {
        panic!()
    };
    assert!(f.ids.unwrap().dumpable);
    let unknown = ExitRecord { ids_flags: 0, ..r };
    let Kind::Exit {
        status: None,
        footprint: Some(f),
        ..
    } = decode(&bytes(&unknown)).unwrap().kind
    else {
        panic!()
    };
    assert_eq!(f.ids, None, "no layout, no ids: root only");
    let thread = ExitRecord { group_dead: 0, ..r };
    assert_eq!(
        decode(&bytes(&thread)).unwrap().kind,
        Kind::Exit {
            status: None,
            group_dead: false,
            footprint: None
        }
    );
}

#[test]
fn an_exit_says_how_it_ended_and_whether_the_oom_killer_chose_it() {
    let r = ExitRecord {
        header: header(EventKind::Exit),
        group_dead: 1,
        exit_code: 3 << 8,
        start_ns: 7,
        figures: vmmon_common::Figures::default(),
        resident: vmmon_common::Resident::default(),
        uids: [0; 3],
        gids: [0; 3],
        ids_flags: vmmon_common::EXIT_KNOWN,
        _pad2: 0,
    };
    let cause = |r: &ExitRecord| match decode(&bytes(r)).unwrap().kind {
        Kind::Exit { status, .. } => status.map(|s| s.cause()),
        k => panic!("{k:?}"),
    };
    assert_eq!(cause(&r), Some(crate::event::ExitCause::Exit { code: 3 }));
    let killed = ExitRecord { exit_code: 9, ..r };
    assert_eq!(cause(&killed).map(|c| c.text()), Some("SIGKILL".into()));
    let oom = ExitRecord {
        ids_flags: vmmon_common::EXIT_KNOWN | vmmon_common::EXIT_OOM_VICTIM,
        ..killed
    };
    assert!(cause(&oom).is_some_and(|c| c.is_oom_kill()));
    let unknown = ExitRecord { ids_flags: 0, ..r };
    assert_eq!(cause(&unknown), None, "a kernel whose layout said nothing");
}

#[test]
fn decodes_the_oom_killers_choice() {
    let r = vmmon_common::OomRecord {
        header: header(EventKind::OomKill),
        figures: vmmon_common::Figures {
            total_vm: 100,
            map_count: 12,
            flags: FIGURES_KNOWN,
            ..vmmon_common::Figures::default()
        },
        resident: vmmon_common::Resident {
            anon: 50,
            ..vmmon_common::Resident::default()
        },
    };
    let e = decode(&bytes(&r)).unwrap();
    let Kind::OomKill { resident } = e.kind else {
        panic!("{e:?}")
    };
    assert_eq!(resident.anon_bytes, 50 * 4096);
    let f = e.figures.unwrap();
    assert_eq!((f.virtual_bytes, f.mappings), (100 * 4096, 12));
    assert_eq!(e.kind.name(), "oom_kill");
    assert_eq!(e.kind.syscall(), None);
}

#[test]
fn hostile_comm_is_escaped_for_display() {
    let mut raw = [0u8; COMM_LEN];
    raw[..7].copy_from_slice(b"a\x1b[2Jb\xff");
    let c = Comm::new(raw);
    assert_eq!(c.to_string(), "a\\u{1b}[2Jb\\xff");
    assert_eq!(Comm::new(*b"exactly16bytes!!").as_bytes().len(), 16);
}
