//! Values the unit tests of several modules build on (test builds only).

use crate::event::{Comm, Event, Figures, Footprint, Kind, Resident};
use crate::ledger::CallCounts;
use crate::ledger::PermBytes;
use crate::top::App;
use crate::top::columns::Column;
use crate::top::table::Sample;
use crate::view::{ExitView, KindBytes, ProcessView, Status};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A process of `virt` anonymous bytes in 3 mappings, with `mmaps` mmap calls (for tests).
pub(crate) fn test_view(pid: u32, comm: &str, virt: u64, mmaps: u64) -> ProcessView {
    ProcessView {
        pid,
        comm: comm.into(),
        uid: Some(0),
        unit: Some(format!("{comm}.service")),
        virtual_bytes: virt,
        peak_virtual_bytes: virt,
        mapping_count: 3,
        exact: Some(true),
        resident_bytes: None,
        resident: None,
        heap_bytes: 0,
        bytes_by_kind: KindBytes {
            anon: virt,
            ..KindBytes::default()
        },
        mappings_by_kind: KindBytes {
            anon: 3,
            ..KindBytes::default()
        },
        bytes_by_perm: PermBytes::default(),
        wx_bytes: 0,
        mapped_bytes: virt,
        unmapped_bytes: 0,
        protected_bytes: 0,
        calls: CallCounts {
            mmap: mmaps,
            ..CallCounts::default()
        },
        growth_bytes_per_second: 0,
        growth_bytes: 0,
        in_flight: None,
        refused: None,
    }
}

/// The exit of live process `v` after `mmaps` mmap calls, with a peak virtual size of `peak`
/// and half of it resident.
pub(crate) fn exit_of(v: &ProcessView, mmaps: u64, peak: u64) -> ExitView {
    ExitView {
        pid: v.pid,
        comm: v.comm.clone(),
        unit: v.unit.clone(),
        start_ns: 0,
        exit_ns: 1,
        lifetime_seconds: 0.0,
        peak_virtual_bytes: Some(peak),
        peak_resident_bytes: Some(peak / 2),
        mapping_count: Some(3),
        counts: crate::view::Counts {
            calls: CallCounts {
                mmap: mmaps,
                ..CallCounts::default()
            },
            mapped_bytes: mmaps * 4096,
            unmapped_bytes: 0,
        },
        ids: None,
        cause: None,
        refused: None,
        sites: Vec::new(),
        held: None,
    }
}

/// The exit of a process's last thread named `comm`, with the footprint the kernel gave:
/// started at 1 s, left at 3.5 s, peak 300 MiB virtual and 12 MiB resident, 57 mappings,
/// killed by the OOM killer.
pub(crate) fn last_exit(comm: &[u8]) -> crate::event::Event {
    let mut raw = [0u8; 16];
    raw[..comm.len()].copy_from_slice(comm);
    let mut e = Event::new(
        3_500_000_000,
        10,
        10,
        Comm::new(raw),
        Kind::Exit {
            status: Some(crate::event::ExitStatus {
                wait_status: 9,
                oom_victim: true,
            }),
            group_dead: true,
            footprint: Some(Box::new(Footprint {
                start_ns: 1_000_000_000,
                resident: Resident {
                    peak_bytes: 12 << 20,
                    ..Resident::default()
                },
                ids: None,
            })),
        },
    );
    e.figures = Some(Figures {
        peak_virtual_bytes: 300 << 20,
        mappings: 57,
        ..Figures::default()
    });
    e
}

pub(crate) fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

pub(crate) fn app_with(views: Vec<crate::view::ProcessView>) -> App {
    let mut app = App::new("test".into(), Column::GrowthRate, 1.0, false);
    app.update(sample(1.0, 0, views), &mut |_| "root".into());
    app
}

pub(crate) fn view(pid: u32, comm: &str, virt: u64, mmaps: u64) -> ProcessView {
    test_view(pid, comm, virt, mmaps)
}

pub(crate) fn sample(at: f64, events: u64, processes: Vec<ProcessView>) -> Sample {
    let status = Status {
        events_received: events,
        growth_window_seconds: 60,
        ..Status::default()
    };
    Sample {
        at,
        processes,
        status,
    }
}

/// One event of every kind, with each variation `vmmon trace` writes differently (failed and
/// not, flags and none, figures and none): what its line and JSON tests hold byte for byte.
pub(crate) fn events_of_every_kind() -> Vec<Event> {
    let calls = [mapping_calls(), shm_and_raw_calls(), task_starts()].concat();
    let mut events: Vec<Event> = calls.into_iter().map(by_prog).collect();
    events.extend(task_ends());
    events
}

/// `kind`, done by thread 11 of process 10, `prog`, at 1.5 s.
fn by_prog(kind: Kind) -> Event {
    Event::new(
        1_500_000_000,
        10,
        11,
        Comm::new(*b"prog\0\0\0\0\0\0\0\0\0\0\0\0"),
        kind,
    )
}

/// mmap, munmap, mremap (moved where the kernel chose, and to a fixed address), mprotect,
/// pkey_mprotect and brk, failed and not.
fn mapping_calls() -> Vec<Kind> {
    vec![
        Kind::anon_mmap(0x7f00_0000_1000, 4096),
        Kind::Mmap {
            addr: 0x7f00_0000_0000,
            len: 8192,
            prot: 5,
            flags: 0x12,
            fd: 3,
            offset: 0x2000,
            ret: -12,
        },
        Kind::Munmap {
            addr: 0x1000,
            len: 4096,
            ret: 0,
        },
        Kind::Mremap {
            old_addr: 0x1000,
            old_len: 4096,
            new_len: 8192,
            flags: 1,
            new_addr: 0,
            ret: 0x5000,
        },
        Kind::Mremap {
            old_addr: 0x1000,
            old_len: 4096,
            new_len: 8192,
            flags: 3,
            new_addr: 0x9000,
            ret: -22,
        },
        Kind::Mprotect {
            addr: 0x1000,
            len: 4096,
            prot: 0,
            ret: 0,
        },
        Kind::PkeyMprotect {
            addr: 0x1000,
            len: 4096,
            prot: 1,
            pkey: 2,
            ret: -1,
        },
        Kind::Brk {
            addr: 0,
            ret: 0x55_0000,
        },
        Kind::Brk {
            addr: 0x56_0000,
            ret: -12,
        },
    ]
}

/// shmat (flags by name, an unnamed bit, none) and shmdt; calls kept raw: madvise (advice
/// with a name and without), mlock2's flags, munlockall (no arguments), mbind's nodemask,
/// prctl (an option with a name and without).
fn shm_and_raw_calls() -> Vec<Kind> {
    use crate::event::Syscall;
    use vmmon_common::linux::{PR_SET_VMA, SHM_EXEC, SHM_RDONLY};
    let adjust = |call, args, ret| Kind::Adjust { call, args, ret };
    vec![
        Kind::Shmat {
            shmid: 7,
            addr: 0,
            flags: SHM_RDONLY | SHM_EXEC | 0o40,
            ret: 0x7f00_0000_0000,
        },
        Kind::Shmat {
            shmid: 8,
            addr: 0x7000,
            flags: 0,
            ret: -13,
        },
        Kind::Shmdt {
            addr: 0x7000,
            ret: 0,
        },
        adjust(Syscall::Madvise, [0x1000, 4096, 14, 0, 0, 0], 0),
        adjust(Syscall::Madvise, [0x1000, 4096, 4, 0, 0, 0], -22),
        adjust(Syscall::Mlock2, [0x1000, 4096, 1, 0, 0, 0], 0),
        adjust(Syscall::Munlockall, [0; 6], 0),
        adjust(Syscall::Mbind, [0x1000, 4096, 2, 0x7ffc_0000, 3, 2], 0),
        adjust(
            Syscall::Prctl,
            [PR_SET_VMA, 0, 0x1000, 4096, 0x7ffc_0010, 0],
            0,
        ),
        adjust(Syscall::Prctl, [15, 1, 2, 3, 4, 0], 0),
    ]
}

/// Forks of a thread, of a process and without the flags; execs by the thread left and by
/// another (with a name to quote).
fn task_starts() -> Vec<Kind> {
    vec![
        Kind::Fork {
            child_tgid: 10,
            child_tid: 12,
            clone_flags: Some(0x10100),
        },
        Kind::Fork {
            child_tgid: 13,
            child_tid: 13,
            clone_flags: Some(0x11),
        },
        Kind::Fork {
            child_tgid: 14,
            child_tid: 14,
            clone_flags: None,
        },
        Kind::Exec {
            filename: "/bin/true".into(),
            old_tid: 11,
        },
        Kind::Exec {
            filename: "/usr/bin/a \"b\"".into(),
            old_tid: 12,
        },
    ]
}

/// A thread's exit; the last thread's with nothing known, with the footprint only, with
/// everything ([`last_exit`]) and with the figures only; OOM kills without and with figures.
fn task_ends() -> Vec<Event> {
    use crate::event::ExitStatus;
    let status = |wait_status| {
        Some(ExitStatus {
            wait_status,
            oom_victim: false,
        })
    };
    let figures = Figures {
        virtual_bytes: 200 << 20,
        peak_virtual_bytes: 300 << 20,
        mappings: 57,
        ..Figures::default()
    };
    let footprint = Footprint {
        start_ns: 1_000_000_000,
        resident: Resident {
            peak_bytes: 12 << 20,
            ..Resident::default()
        },
        ids: None,
    };
    let resident = Resident {
        anon_bytes: 8 << 20,
        file_bytes: 1 << 20,
        shmem_bytes: 4096,
        swap_bytes: 2 << 20,
        peak_bytes: 10 << 20,
    };
    let exit = |group_dead, footprint: Option<Footprint>, status| Kind::Exit {
        group_dead,
        footprint: footprint.map(Box::new),
        status,
    };
    let with_figures = |kind| Event {
        figures: Some(figures),
        ..by_prog(kind)
    };
    vec![
        by_prog(exit(false, None, status(0))),
        by_prog(exit(true, None, None)),
        by_prog(exit(true, Some(footprint), status(3 << 8))),
        last_exit(b"prog"),
        by_prog(Kind::OomKill { resident }),
        with_figures(exit(true, None, status(11 | 0x80))),
        with_figures(Kind::OomKill { resident }),
    ]
}
