//! The syscalls vmmon traces, by name, and what each one's arguments are called.

use vmmon_common::EventKind;

/// Every traced syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Syscall {
    Mmap,
    Munmap,
    Mremap,
    Mprotect,
    PkeyMprotect,
    Brk,
    Shmat,
    Shmdt,
    Madvise,
    Mlock,
    Mlock2,
    Munlock,
    Mlockall,
    Munlockall,
    Mbind,
    Mseal,
    Prctl,
    RemapFilePages,
    SetMempolicyHomeNode,
    MapShadowStack,
}

impl Syscall {
    /// Every traced syscall.
    pub const ALL: [Syscall; 20] = [
        Syscall::Mmap,
        Syscall::Munmap,
        Syscall::Mremap,
        Syscall::Mprotect,
        Syscall::PkeyMprotect,
        Syscall::Brk,
        Syscall::Shmat,
        Syscall::Shmdt,
        Syscall::Madvise,
        Syscall::Mlock,
        Syscall::Mlock2,
        Syscall::Munlock,
        Syscall::Mlockall,
        Syscall::Munlockall,
        Syscall::Mbind,
        Syscall::Mseal,
        Syscall::Prctl,
        Syscall::RemapFilePages,
        Syscall::SetMempolicyHomeNode,
        Syscall::MapShadowStack,
    ];

    /// Its name, as in output, filters and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Syscall::Mmap => "mmap",
            Syscall::Munmap => "munmap",
            Syscall::Mremap => "mremap",
            Syscall::Mprotect => "mprotect",
            Syscall::PkeyMprotect => "pkey_mprotect",
            Syscall::Brk => "brk",
            Syscall::Shmat => "shmat",
            Syscall::Shmdt => "shmdt",
            Syscall::Madvise => "madvise",
            Syscall::Mlock => "mlock",
            Syscall::Mlock2 => "mlock2",
            Syscall::Munlock => "munlock",
            Syscall::Mlockall => "mlockall",
            Syscall::Munlockall => "munlockall",
            Syscall::Mbind => "mbind",
            Syscall::Mseal => "mseal",
            Syscall::Prctl => "prctl",
            Syscall::RemapFilePages => "remap_file_pages",
            Syscall::SetMempolicyHomeNode => "set_mempolicy_home_node",
            Syscall::MapShadowStack => "map_shadow_stack",
        }
    }

    /// The names of its arguments, as the man pages call them (the JSON output's fields);
    /// only for the calls kept as raw arguments ([`super::Kind::Adjust`]).
    pub fn arg_names(self) -> &'static [&'static str] {
        match self {
            Syscall::Madvise => &["addr", "len", "advice"],
            Syscall::Mlock | Syscall::Munlock => &["addr", "len"],
            Syscall::Mlock2 => &["addr", "len", "flags"],
            Syscall::Mlockall => &["flags"],
            Syscall::Munlockall => &[],
            Syscall::Mbind => &["addr", "len", "mode", "nodemask", "maxnode", "flags"],
            Syscall::Mseal => &["addr", "len", "flags"],
            Syscall::Prctl => &["option", "arg2", "arg3", "arg4", "arg5"],
            Syscall::RemapFilePages => &["addr", "size", "prot", "pgoff", "flags"],
            Syscall::SetMempolicyHomeNode => &["addr", "len", "home_node", "flags"],
            Syscall::MapShadowStack => &["addr", "size", "flags"],
            _ => &[],
        }
    }

    /// The syscall a record of kind `k` reports, if it is one.
    pub fn of(k: EventKind) -> Option<Syscall> {
        Some(match k {
            EventKind::Mmap => Syscall::Mmap,
            EventKind::Munmap => Syscall::Munmap,
            EventKind::Mremap => Syscall::Mremap,
            EventKind::Mprotect => Syscall::Mprotect,
            EventKind::PkeyMprotect => Syscall::PkeyMprotect,
            EventKind::Brk => Syscall::Brk,
            EventKind::Shmat => Syscall::Shmat,
            EventKind::Shmdt => Syscall::Shmdt,
            EventKind::Madvise => Syscall::Madvise,
            EventKind::Mlock => Syscall::Mlock,
            EventKind::Mlock2 => Syscall::Mlock2,
            EventKind::Munlock => Syscall::Munlock,
            EventKind::Mlockall => Syscall::Mlockall,
            EventKind::Munlockall => Syscall::Munlockall,
            EventKind::Mbind => Syscall::Mbind,
            EventKind::Mseal => Syscall::Mseal,
            EventKind::Prctl => Syscall::Prctl,
            EventKind::RemapFilePages => Syscall::RemapFilePages,
            EventKind::SetMempolicyHomeNode => Syscall::SetMempolicyHomeNode,
            EventKind::MapShadowStack => Syscall::MapShadowStack,
            EventKind::Fork | EventKind::Exec | EventKind::Exit | EventKind::OomKill => {
                return None;
            }
        })
    }
}

/// Every event name, as `vmmon trace --syscall` takes them: the syscalls, then the process
/// events.
pub fn event_names() -> impl Iterator<Item = &'static str> {
    Syscall::ALL
        .into_iter()
        .map(Syscall::name)
        .chain(["fork", "exec", "exit"])
}

#[cfg(test)]
mod tests;
