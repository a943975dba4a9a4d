//! One human-readable line per event, strace-style:
//! `14:02:03.123456 1234/1235 bash mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0c12345000`.

use super::call_arg::{CallArg, Shown};
use crate::event::{Event, ExitStatus, Footprint, Kind, Resident};
use crate::format::{clone_flags, errno_name, human_bytes, map_flags, mremap_flags, prot};
use std::fmt::Write as _;

/// Turns the events' monotonic timestamps into local wall-clock time.
#[derive(Clone, Copy, Debug)]
pub struct WallClock {
    /// Realtime minus monotonic, in nanoseconds, taken once.
    offset_ns: i128,
}

impl WallClock {
    /// The offset between the two clocks now.
    pub fn now() -> Self {
        let ns = |clock| i128::from(crate::clock::now_ns(clock));
        Self {
            offset_ns: ns(libc::CLOCK_REALTIME) - ns(libc::CLOCK_MONOTONIC),
        }
    }

    /// A clock that shows monotonic time as is (for tests).
    pub fn monotonic() -> Self {
        Self { offset_ns: 0 }
    }

    /// `HH:MM:SS.uuuuuu` in local time.
    pub fn write(&self, out: &mut String, ts_ns: u64) {
        let real = i128::from(ts_ns) + self.offset_ns;
        let secs = real.div_euclid(1_000_000_000) as libc::time_t;
        let micros = real.rem_euclid(1_000_000_000) / 1000;
        // SAFETY: an all-zero `tm` is a valid value of the plain C struct.
        let mut tm: libc::tm = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers are valid for the call; localtime_r is thread-safe.
        if self.offset_ns == 0 || unsafe { libc::localtime_r(&secs, &mut tm) }.is_null() {
            let _ = write!(out, "{}.{micros:06}", real.div_euclid(1_000_000_000));
            return;
        }
        let _ = write!(
            out,
            "{:02}:{:02}:{:02}.{micros:06}",
            tm.tm_hour, tm.tm_min, tm.tm_sec
        );
    }
}

fn addr(out: &mut String, a: u64) {
    if a == 0 {
        out.push_str("NULL");
    } else {
        let _ = write!(out, "{a:#x}");
    }
}

/// The result: an address in hex, `-1 EINVAL` for a failure, or a plain number.
fn result(out: &mut String, kind: &Kind) {
    out.push_str(" = ");
    match (kind.errno(), kind.ret()) {
        (Some(errno), _) => {
            let _ = write!(out, "-1 {}", errno_name(errno));
        }
        (None, Some(0)) => out.push('0'),
        (None, Some(r)) => {
            let _ = write!(out, "{r:#x}");
        }
        (None, None) => {}
    }
}

/// Appends `e` as one line (no newline).
pub fn write_line(out: &mut String, clock: &WallClock, e: &Event) {
    clock.write(out, e.ts_ns);
    let _ = write!(out, " {}/{} {} ", e.tgid, e.tid, e.comm);
    write_call(out, e);
}

/// Appends what happened, without time, ids or comm: `munmap(0x7f0c12345000, 4096) = 0`.
pub fn write_call(out: &mut String, e: &Event) {
    match &e.kind {
        Kind::Fork {
            child_tgid,
            child_tid,
            clone_flags,
        } => write_fork(out, e, (*child_tgid, *child_tid), *clone_flags),
        Kind::Exec { filename, old_tid } => write_exec(out, e, filename, *old_tid),
        Kind::Exit {
            group_dead,
            footprint,
            status,
        } => write_exit(out, e, *group_dead, footprint.as_deref(), *status),
        Kind::OomKill { resident } => write_oom_kill(out, e, resident),
        call => write_syscall(out, call),
    }
}

/// `name(arg, arg, ...) = result`, strace-style.
fn write_syscall(out: &mut String, call: &Kind) {
    out.push_str(call.name());
    out.push('(');
    let args = CallArg::all(call);
    for (i, arg) in args.iter().filter(|a| a.in_line).enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        write_arg(out, arg);
    }
    out.push(')');
    result(out, call);
}

/// One argument, written as its meaning asks: addresses in hex, flags, advice and options by
/// name (in decimal when they have none), the rest in decimal.
fn write_arg(out: &mut String, arg: &CallArg) {
    use vmmon_common::linux::{MADV_FLAG_NAMES, PR_SET_MM, PR_SET_VMA};
    let bits = arg.value.bits();
    let name = match arg.shown {
        Shown::Addr => return addr(out, bits),
        Shown::Hex => Some(format!("{bits:#x}")),
        Shown::Prot => Some(prot(bits as u32)),
        Shown::MapFlags => Some(map_flags(bits as u32)),
        Shown::MremapFlags => Some(mremap_flags(bits as u32)),
        Shown::ShmFlags => Some(shm_flags(bits as u32)),
        Shown::Advice => MADV_FLAG_NAMES
            .iter()
            .find(|(a, _)| u64::from(*a) == bits)
            .map(|(_, n)| n.to_string()),
        Shown::PrctlOption => match bits {
            PR_SET_VMA => Some("PR_SET_VMA".into()),
            PR_SET_MM => Some("PR_SET_MM".into()),
            _ => None,
        },
        Shown::Dec => None,
    };
    match name {
        Some(n) => out.push_str(&n),
        None => {
            let _ = write!(out, "{}", arg.value);
        }
    }
}

/// `fork thread 10/12 flags=CLONE_VM|CLONE_THREAD`: what the child is (unknown without the
/// flags), its ids, the flags.
fn write_fork(out: &mut String, e: &Event, (tgid, tid): (u32, u32), flags: Option<u64>) {
    let what = match e.is_thread() {
        Some(true) => "thread",
        Some(false) => "process",
        None => "task",
    };
    let _ = write!(out, "fork {what} {tgid}/{tid}");
    if let Some(f) = flags {
        let _ = write!(out, " flags={}", clone_flags(f));
    }
}

/// `exec "/bin/true"`, and which thread called it when another than the one left.
fn write_exec(out: &mut String, e: &Event, filename: &str, old_tid: u32) {
    let _ = write!(out, "exec {filename:?}");
    if old_tid != e.tid {
        let _ = write!(out, " (by thread {old_tid})");
    }
}

/// A thread's exit; for the last thread, what the process left with: how it ended, its
/// peak sizes and mappings, how long it lived.
fn write_exit(
    out: &mut String,
    e: &Event,
    group_dead: bool,
    footprint: Option<&Footprint>,
    status: Option<ExitStatus>,
) {
    if !group_dead {
        out.push_str("exit (thread)");
        return;
    }
    out.push_str("exit (last thread: address space released");
    if let Some(s) = status {
        let _ = write!(out, "; {}", s.cause().text());
    }
    if let Some(f) = &e.figures {
        let _ = write!(out, "; peak {} virtual", human_bytes(f.peak_virtual_bytes));
        if let Some(fp) = footprint {
            let _ = write!(out, ", {} resident", human_bytes(fp.resident.peak_bytes));
        }
        let _ = write!(out, ", {} mappings", f.mappings);
    }
    if let Some(fp) = footprint {
        let lived = e.ts_ns.saturating_sub(fp.start_ns) as f64 / 1e9;
        let _ = write!(out, ", lived {lived:.3}s");
    }
    out.push(')');
}

/// The OOM killer's choice, with the process's size then.
fn write_oom_kill(out: &mut String, e: &Event, resident: &Resident) {
    out.push_str("oom_kill (chosen by the OOM killer");
    if let Some(f) = &e.figures {
        let _ = write!(
            out,
            "; {} virtual, {} mappings",
            human_bytes(f.virtual_bytes),
            f.mappings
        );
    }
    let _ = write!(out, ", {} resident)", human_bytes(resident.total_bytes()));
}

/// `shmat` flags by name (`SHM_RDONLY|SHM_EXEC`), `0` when none.
fn shm_flags(flags: u32) -> String {
    use vmmon_common::linux::{SHM_EXEC, SHM_RDONLY};
    let mut names: Vec<String> = [(SHM_RDONLY, "SHM_RDONLY"), (SHM_EXEC, "SHM_EXEC")]
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, n)| n.to_string())
        .collect();
    let rest = flags & !(SHM_RDONLY | SHM_EXEC);
    if rest != 0 {
        names.push(format!("{rest:#o}"));
    }
    if names.is_empty() {
        "0".into()
    } else {
        names.join("|")
    }
}

#[cfg(test)]
mod tests;
