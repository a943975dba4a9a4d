//! One human-readable line per event, strace-style:
//! `14:02:03.123456 1234/1235 bash mmap(NULL, 4096, PROT_READ, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x7f0c12345000`.

use crate::event::{Event, Kind};
use crate::format::{clone_flags, errno_name, map_flags, mremap_flags, prot};
use std::fmt::Write as _;
use vmmon_common::linux::MREMAP_FIXED;

/// Turns the events' monotonic timestamps into local wall-clock time.
#[derive(Clone, Copy, Debug)]
pub struct WallClock {
    /// Realtime minus monotonic, in nanoseconds, taken once.
    offset_ns: i128,
}

impl WallClock {
    /// The offset between the two clocks now.
    pub fn now() -> Self {
        let ns = |clock| {
            let mut ts = libc::timespec {
                tv_sec: 0,
                tv_nsec: 0,
            };
            // SAFETY: `ts` is a valid out-pointer.
            unsafe { libc::clock_gettime(clock, &mut ts) };
            i128::from(ts.tv_sec) * 1_000_000_000 + i128::from(ts.tv_nsec)
        };
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
        Kind::Mmap {
            addr: a,
            len,
            prot: p,
            flags,
            fd,
            offset,
            ..
        } => {
            out.push_str("mmap(");
            addr(out, *a);
            let _ = write!(
                out,
                ", {len}, {}, {}, {fd}, {offset:#x})",
                prot(*p),
                map_flags(*flags)
            );
        }
        Kind::Munmap { addr: a, len, .. } => {
            out.push_str("munmap(");
            addr(out, *a);
            let _ = write!(out, ", {len})");
        }
        Kind::Mremap {
            old_addr,
            old_len,
            new_len,
            flags,
            new_addr,
            ..
        } => {
            out.push_str("mremap(");
            addr(out, *old_addr);
            let _ = write!(out, ", {old_len}, {new_len}, {}", mremap_flags(*flags));
            if flags & MREMAP_FIXED != 0 {
                out.push_str(", ");
                addr(out, *new_addr);
            }
            out.push(')');
        }
        Kind::Mprotect {
            addr: a,
            len,
            prot: p,
            ..
        } => {
            out.push_str("mprotect(");
            addr(out, *a);
            let _ = write!(out, ", {len}, {})", prot(*p));
        }
        Kind::PkeyMprotect {
            addr: a,
            len,
            prot: p,
            pkey,
            ..
        } => {
            out.push_str("pkey_mprotect(");
            addr(out, *a);
            let _ = write!(out, ", {len}, {}, {pkey})", prot(*p));
        }
        Kind::Brk { addr: a, .. } => {
            out.push_str("brk(");
            addr(out, *a);
            out.push(')');
        }
        Kind::Fork {
            child_tgid,
            child_tid,
            clone_flags: flags,
        } => {
            let what = match e.is_thread() {
                Some(true) => "thread",
                Some(false) => "process",
                None => "task",
            };
            let _ = write!(out, "fork {what} {child_tgid}/{child_tid}");
            if let Some(f) = flags {
                let _ = write!(out, " flags={}", clone_flags(*f));
            }
        }
        Kind::Exec { filename, old_tid } => {
            let _ = write!(out, "exec {filename:?}");
            if *old_tid != e.tid {
                let _ = write!(out, " (by thread {old_tid})");
            }
        }
        Kind::Shmat {
            shmid,
            addr: a,
            flags,
            ..
        } => {
            let _ = write!(out, "shmat({shmid}, ");
            addr(out, *a);
            let _ = write!(out, ", {})", shm_flags(*flags));
        }
        Kind::Shmdt { addr: a, .. } => {
            out.push_str("shmdt(");
            addr(out, *a);
            out.push(')');
        }
        Kind::Adjust { call, args, .. } => {
            out.push_str(call.name());
            out.push('(');
            for (i, (name, v)) in call.arg_names().iter().zip(args).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                adjust_arg(out, *call, name, *v);
            }
            out.push(')');
        }
        Kind::Exit {
            group_dead,
            footprint,
            status,
        } => {
            if !group_dead {
                out.push_str("exit (thread)");
            } else {
                out.push_str("exit (last thread: address space released");
                if let Some(s) = status {
                    let _ = write!(out, "; {}", s.cause().text());
                }
                if let Some(f) = &e.figures {
                    let _ = write!(
                        out,
                        "; peak {} virtual",
                        crate::format::human_bytes(f.peak_virtual_bytes)
                    );
                    if let Some(fp) = footprint {
                        let _ = write!(
                            out,
                            ", {} resident",
                            crate::format::human_bytes(fp.resident.peak_bytes)
                        );
                    }
                    let _ = write!(out, ", {} mappings", f.mappings);
                }
                if let Some(fp) = footprint {
                    let lived = e.ts_ns.saturating_sub(fp.start_ns) as f64 / 1e9;
                    let _ = write!(out, ", lived {lived:.3}s");
                }
                out.push(')');
            }
        }
        Kind::OomKill { resident } => {
            out.push_str("oom_kill (chosen by the OOM killer");
            if let Some(f) = &e.figures {
                let _ = write!(
                    out,
                    "; {} virtual, {} mappings",
                    crate::format::human_bytes(f.virtual_bytes),
                    f.mappings
                );
            }
            let _ = write!(
                out,
                ", {} resident)",
                crate::format::human_bytes(resident.total_bytes())
            );
        }
    }
    if e.kind.ret().is_some() {
        result(out, &e.kind);
    }
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

/// One argument of a call kept raw, written as its meaning asks: addresses in hex, advice
/// and options by name, the rest in decimal.
fn adjust_arg(out: &mut String, call: crate::event::Syscall, name: &str, v: u64) {
    use crate::event::Syscall;
    use vmmon_common::linux::{MADV_FLAG_NAMES, PR_SET_MM, PR_SET_VMA};
    match (call, name) {
        (_, "addr") | (_, "nodemask") => addr(out, v),
        (Syscall::Madvise, "advice") => {
            match MADV_FLAG_NAMES.iter().find(|(a, _)| u64::from(*a) == v) {
                Some((_, n)) => out.push_str(n),
                None => {
                    let _ = write!(out, "{v}");
                }
            }
        }
        (Syscall::Prctl, "option") => match v {
            PR_SET_VMA => out.push_str("PR_SET_VMA"),
            PR_SET_MM => out.push_str("PR_SET_MM"),
            _ => {
                let _ = write!(out, "{v}");
            }
        },
        (_, "flags") => {
            let _ = write!(out, "{v:#x}");
        }
        _ => {
            let _ = write!(out, "{v}");
        }
    }
}

#[cfg(test)]
mod tests;
