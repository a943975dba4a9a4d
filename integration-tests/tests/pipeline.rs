//! The real eBPF programs against a scripted workload: the events seen for its processes are
//! exactly the calls it made, in order, with their arguments and results.

use std::process::Command;
use vmmon::bpf::LoadOptions;
use vmmon::event::{Event, Kind};
use vmmon_common::linux::{CLONE_THREAD, CLONE_VM};
use vmmon_integration_tests::collect::{Traced, trace_command_with};
use vmmon_integration_tests::log::{MARKER_LEN, Op, parse};

fn workload() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vmmon-workload"));
    cmd.arg("scripted");
    cmd
}

/// The event an [`Op`] must have produced, as (tgid, tid, kind).
fn expected(op: &Op) -> (u32, u32, Kind) {
    match op {
        Op::Call {
            tgid,
            tid,
            name,
            args: a,
            ret,
        } => {
            let ret = *ret;
            let kind = match name.as_ref() {
                "mmap" => Kind::Mmap {
                    addr: a[0],
                    len: a[1],
                    prot: a[2] as u32,
                    flags: a[3] as u32,
                    fd: a[4] as i32,
                    offset: a[5],
                    ret,
                },
                "munmap" => Kind::Munmap {
                    addr: a[0],
                    len: a[1],
                    ret,
                },
                "mremap" => Kind::Mremap {
                    old_addr: a[0],
                    old_len: a[1],
                    new_len: a[2],
                    flags: a[3] as u32,
                    new_addr: a[4],
                    ret,
                },
                "mprotect" => Kind::Mprotect {
                    addr: a[0],
                    len: a[1],
                    prot: a[2] as u32,
                    ret,
                },
                "pkey_mprotect" => Kind::PkeyMprotect {
                    addr: a[0],
                    len: a[1],
                    prot: a[2] as u32,
                    pkey: a[3] as i32,
                    ret,
                },
                "brk" => Kind::Brk { addr: a[0], ret },
                other => panic!("workload logged an unknown call {other}"),
            };
            (*tgid, *tid, kind)
        }
        Op::Fork {
            tgid,
            tid,
            child_tgid,
            child_tid,
            ..
        } => (
            *tgid,
            *tid,
            Kind::Fork {
                child_tgid: *child_tgid,
                child_tid: *child_tid,
                // Compared separately: glibc picks the exact flags.
                clone_flags: None,
            },
        ),
        Op::Exit {
            tgid,
            tid,
            group_dead,
        } => (
            *tgid,
            *tid,
            Kind::Exit {
                group_dead: *group_dead,
                // Compared separately: the kernel's footprint and how it ended.
                footprint: None,
                status: None,
            },
        ),
        Op::Exec {
            tgid,
            tid,
            filename,
        } => (
            *tgid,
            *tid,
            Kind::Exec {
                filename: filename.to_string(),
                old_tid: *tid,
            },
        ),
    }
}

fn seen(e: &Event) -> (u32, u32, Kind) {
    let kind = match &e.kind {
        Kind::Fork {
            child_tgid,
            child_tid,
            ..
        } => Kind::Fork {
            child_tgid: *child_tgid,
            child_tid: *child_tid,
            clone_flags: None,
        },
        Kind::Exit { group_dead, .. } => Kind::Exit {
            group_dead: *group_dead,
            footprint: None,
            status: None,
        },
        k => k.clone(),
    };
    (e.tgid, e.tid, kind)
}

fn run_scripted() -> (Traced, Vec<Op>) {
    run_scripted_with(&LoadOptions::default())
}

fn run_scripted_with(opts: &LoadOptions) -> (Traced, Vec<Op>) {
    let traced = trace_command_with(&mut workload(), opts);
    assert!(
        traced.status.success(),
        "workload failed: {:?}",
        traced.status
    );
    let ops = parse(&traced.stdout);
    assert!(ops.len() > 20, "workload logged too little: {ops:?}");
    (traced, ops)
}

#[test]
fn real_ebpf_events_are_exactly_the_workloads_calls() {
    let (traced, ops) = run_scripted();
    assert_exact(&traced, &ops);
}

/// With one slot of marks for the whole machine, every thread whose call overlaps another's
/// keeps its mark in the shared hash map: the events must be exactly the same, and no mark
/// is lost.
#[test]
fn real_ebpf_events_are_exact_when_threads_share_their_marks() {
    let opts = LoadOptions {
        thread_slots: 1,
        ..LoadOptions::default()
    };
    // A process nearly always inside a traced call holds the one slot most of the time.
    let mut spinner = Command::new(env!("CARGO_BIN_EXE_vmmon-workload"))
        .args(["spin", "60"])
        .spawn()
        .expect("start the spinning workload");
    let (traced, ops) = run_scripted_with(&opts);
    let _ = spinner.kill();
    let _ = spinner.wait();
    assert!(
        traced.counters.shared_marks > 0,
        "no call found its slot taken: {:?}",
        traced.counters
    );
    assert_eq!(traced.counters.marks_full, 0, "{:?}", traced.counters);
    assert_exact(&traced, &ops);
}

fn assert_exact(traced: &Traced, ops: &[Op]) {
    let pid = traced.pid;
    let child = ops
        .iter()
        .find_map(|op| match op {
            Op::Fork { child_tgid, .. } => Some(*child_tgid),
            _ => None,
        })
        .expect("workload forked");
    let events = traced.of(&[pid, child]);
    let start = events
        .iter()
        .position(|e| {
            matches!(
                e.kind,
                Kind::Mmap {
                    len: MARKER_LEN,
                    ..
                }
            )
        })
        .unwrap_or_else(|| panic!("marker call not seen among {} events", events.len()));
    let want: Vec<_> = ops.iter().map(expected).collect();
    let got: Vec<_> = events[start..]
        .iter()
        .take(want.len())
        .map(|e| seen(e))
        .collect();
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        assert_eq!(
            w, g,
            "event {i} of the scripted section differs\nwanted: {w:?}\n   got: {g:?}\nall seen: {got:#?}"
        );
    }
    assert_eq!(
        got.len(),
        want.len(),
        "events missing after the scripted section's {} calls: {got:#?}",
        want.len()
    );
    // The fork is a process with its own address space; the flags came through.
    let fork = events[start..]
        .iter()
        .find(|e| matches!(e.kind, Kind::Fork { .. }))
        .expect("fork event");
    assert_eq!(fork.is_thread(), Some(false), "{fork:?}");
    assert_eq!(fork.shares_vm(), Some(false), "{fork:?}");
    // Timestamps never go backwards within the workload's events.
    for w in events.windows(2) {
        assert!(w[0].ts_ns <= w[1].ts_ns, "time went backwards: {w:?}");
    }
    // The events carry the process's comm.
    assert!(
        events[start..start + 3]
            .iter()
            .all(|e| e.comm.as_bytes() == b"vmmon-workload"),
        "comm: {:?}",
        events[start].comm
    );
    // Every call's enter was seen and paired with its exit: its record says its own call is
    // among those in flight, and carries the address space's figures.
    for e in &events[start..] {
        if matches!(
            e.kind,
            Kind::Fork { .. } | Kind::Exec { .. } | Kind::Exit { .. }
        ) {
            continue;
        }
        let f = e.figures.unwrap_or_else(|| panic!("no figures on {e:?}"));
        assert!(f.calls.own && f.calls.inflight >= 1, "{e:?}");
        assert!(f.virtual_bytes > 0 && f.mappings > 0, "{e:?}");
    }
    assert_eq!(
        traced.counters.dropped(),
        0,
        "kernel dropped events: {:?}",
        traced.counters
    );
    assert_eq!(traced.decode_errors, 0, "undecodable records");
}

#[test]
fn real_ebpf_reports_the_workload_thread_and_its_exit() {
    let (traced, ops) = run_scripted();
    let thread_tid = ops
        .iter()
        .find_map(|op| match op {
            Op::Exit {
                tid,
                group_dead: false,
                ..
            } => Some(*tid),
            _ => None,
        })
        .expect("workload logged its thread's exit");
    let events = traced.of(&[traced.pid]);
    let fork = events
        .iter()
        .find(|e| matches!(e.kind, Kind::Fork { child_tid, .. } if child_tid == thread_tid))
        .unwrap_or_else(|| panic!("no fork event for thread {thread_tid}"));
    assert!(
        matches!(fork.kind, Kind::Fork { child_tgid, clone_flags: Some(f), .. }
            if child_tgid == traced.pid && f & CLONE_THREAD != 0 && f & CLONE_VM != 0),
        "thread fork event: {fork:?}"
    );
    // The exec'd image runs and leaves: the last event of the pid is its last thread's exit.
    let last = events.last().expect("events");
    assert!(last.is_process_exit(), "{last:?}");
    assert!(
        matches!(&last.kind, Kind::Exit { footprint: Some(f), .. } if f.resident.peak_bytes > 0),
        "the last exit carries the released address space's footprint: {last:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(&e.kind, Kind::Exec { .. }) && e.comm.as_bytes() == b"vmmon-workload"),
        "exec event"
    );
}
