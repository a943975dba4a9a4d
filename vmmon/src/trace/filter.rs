//! `--pid`, `--comm` and `--syscall` filters. An event passes when it matches every filter
//! that was given (and any one value within a filter).

use crate::event::Event;

/// Event names accepted by `--syscall`: the traced syscalls and the process events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum EventName {
    Mmap,
    Munmap,
    Mremap,
    Mprotect,
    #[value(name = "pkey_mprotect")]
    PkeyMprotect,
    Brk,
    Fork,
    Exec,
    Exit,
}

impl EventName {
    /// The name as [`crate::event::Kind::name`] gives it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mmap => "mmap",
            Self::Munmap => "munmap",
            Self::Mremap => "mremap",
            Self::Mprotect => "mprotect",
            Self::PkeyMprotect => "pkey_mprotect",
            Self::Brk => "brk",
            Self::Fork => "fork",
            Self::Exec => "exec",
            Self::Exit => "exit",
        }
    }
}

/// Which events to show.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Process ids (tgids); empty: all.
    pub pids: Vec<u32>,
    /// Exact comms; empty: all.
    pub comms: Vec<String>,
    /// Event names; empty: all.
    pub events: Vec<EventName>,
}

impl Filter {
    /// True when `e` passes every given filter.
    pub fn matches(&self, e: &Event) -> bool {
        (self.pids.is_empty() || self.pids.contains(&e.tgid))
            && (self.comms.is_empty()
                || self.comms.iter().any(|c| c.as_bytes() == e.comm.as_bytes()))
            && (self.events.is_empty() || self.events.iter().any(|n| n.as_str() == e.kind.name()))
    }
}

#[cfg(test)]
mod tests;
