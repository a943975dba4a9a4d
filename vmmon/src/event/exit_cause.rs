//! Why a process ended: its exit code, the signal that killed it, or the OOM killer. Pure.

use serde::{Deserialize, Serialize};

/// How a process ended as the kernel keeps it: the status `wait` reports, and whether the OOM
/// killer had chosen it. Small and `Copy`, for the event; [`ExitStatus::cause`] says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExitStatus {
    pub wait_status: u32,
    pub oom_victim: bool,
}

impl ExitStatus {
    /// How it ended.
    pub fn cause(self) -> ExitCause {
        ExitCause::of(self.wait_status, self.oom_victim)
    }
}

/// How a process ended (`cause` in an exit).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExitCause {
    /// It exited by itself (`exit`, `exit_group`, returning from `main`) with `code`.
    Exit { code: u8 },
    /// A signal killed it (`name` is the signal's, `core_dumped` when it dumped core).
    Signal {
        signal: u32,
        name: String,
        core_dumped: bool,
    },
    /// The OOM killer chose it (its memory cgroup's or the machine's memory ran out) and
    /// killed it with `signal` (SIGKILL).
    OomKill { signal: u32, name: String },
}

impl ExitCause {
    /// From the status the kernel keeps for `wait` (the exit code shifted left by 8, or the
    /// signal with 0x80 when it dumped core) and whether the OOM killer chose the process
    /// before it left. A victim that left by itself before the kill reached it ended as it
    /// says, not by the OOM killer.
    pub fn of(status: u32, oom_victim: bool) -> Self {
        let signal = status & 0x7f;
        if signal == 0 {
            return ExitCause::Exit {
                code: (status >> 8) as u8,
            };
        }
        let name = crate::format::signal_name(signal);
        if oom_victim && signal == libc::SIGKILL as u32 {
            return ExitCause::OomKill { signal, name };
        }
        ExitCause::Signal {
            signal,
            name,
            core_dumped: status & 0x80 != 0,
        }
    }

    /// The cause, knowing also whether an OOM kill's record (which a kernel that does not say
    /// it at the exit still sends) named the process first.
    pub fn seen_chosen(&self, chosen: bool) -> Self {
        match self {
            ExitCause::Signal { signal, name, .. } if chosen && *signal == libc::SIGKILL as u32 => {
                ExitCause::OomKill {
                    signal: *signal,
                    name: name.clone(),
                }
            }
            other => other.clone(),
        }
    }

    /// Whether the OOM killer ended it.
    pub fn is_oom_kill(&self) -> bool {
        matches!(self, ExitCause::OomKill { .. })
    }

    /// One word for tables: `exit 0`, `SIGSEGV (core)`, `oom_kill`.
    pub fn text(&self) -> String {
        match self {
            ExitCause::Exit { code } => format!("exit {code}"),
            ExitCause::Signal {
                name, core_dumped, ..
            } => {
                if *core_dumped {
                    format!("{name} (core)")
                } else {
                    name.clone()
                }
            }
            ExitCause::OomKill { .. } => "oom_kill".to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
