//! The one list of vmmon's programs and where each attaches.
//!
//! [`crate::for_each_program!`] holds the list; everything that needs it expands it: this crate's
//! [`PROGRAMS`] table (what the loader attaches), the kernel crate's program definitions (each
//! entry must have a handler of the same name, or the kernel crate does not compile), and the
//! benchmark's empty programs on the same hooks. A program added in one place and not the
//! others cannot exist.

/// Where a program attaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    /// A classic tracepoint, e.g. `syscalls:sys_exit_mmap`, attached by its tracefs id. A
    /// per-syscall tracepoint runs its program only for its own syscall: the calls vmmon
    /// does not trace run none (they pay only the kernel's slow path that any syscall
    /// tracepoint turns on).
    TracePoint {
        /// The tracefs category (`syscalls`).
        category: &'static str,
        /// The tracepoint's name (`sys_exit_mmap`).
        name: &'static str,
        /// The syscall a `syscalls:` tracepoint reports: a kernel without the syscall has
        /// no tracepoint for it, and nothing to trace there.
        syscall: Option<crate::EventKind>,
    },
    /// A BTF-enabled raw tracepoint (`tp_btf`), e.g. `sched_process_exec`: its arguments
    /// are the kernel's own typed pointers.
    BtfTracePoint {
        /// The raw tracepoint's name.
        name: &'static str,
    },
    /// A BPF iterator over kernel objects, e.g. `task`: run when userspace reads it.
    Iter {
        /// What it iterates.
        target: &'static str,
    },
}

/// A program and its hook.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Program {
    /// The program's name in the object (its function name).
    pub name: &'static str,
    /// Where it attaches.
    pub hook: Hook,
}

/// Calls macro `$m` with every program vmmon loads, in attach order, one entry per line:
/// `btf_tracepoint NAME("raw tracepoint");`, `syscall_exit NAME("tracepoint", Kind);`,
/// `syscall_enter NAME("tracepoint", Kind);` (a `syscalls:` tracepoint of the syscall of
/// `EventKind::Kind`) or `iter NAME("target");`. Every syscall's exit comes before its
/// enter: a call whose exit is seen without its enter is only left unchecked, while one
/// counted in flight at its enter must be seen leaving.
#[macro_export]
macro_rules! for_each_program {
    ($m:ident) => {
        $m! {
            btf_tracepoint vmmon_task_newtask("task_newtask");
            btf_tracepoint vmmon_sched_process_exec("sched_process_exec");
            btf_tracepoint vmmon_sched_process_exit("sched_process_exit");
            btf_tracepoint vmmon_mark_victim("mark_victim");
            syscall_exit vmmon_exit_mmap("sys_exit_mmap", Mmap);
            syscall_exit vmmon_exit_munmap("sys_exit_munmap", Munmap);
            syscall_exit vmmon_exit_mremap("sys_exit_mremap", Mremap);
            syscall_exit vmmon_exit_mprotect("sys_exit_mprotect", Mprotect);
            syscall_exit vmmon_exit_pkey_mprotect("sys_exit_pkey_mprotect", PkeyMprotect);
            syscall_exit vmmon_exit_brk("sys_exit_brk", Brk);
            syscall_exit vmmon_exit_shmat("sys_exit_shmat", Shmat);
            syscall_exit vmmon_exit_shmdt("sys_exit_shmdt", Shmdt);
            syscall_exit vmmon_exit_madvise("sys_exit_madvise", Madvise);
            syscall_exit vmmon_exit_mlock("sys_exit_mlock", Mlock);
            syscall_exit vmmon_exit_mlock2("sys_exit_mlock2", Mlock2);
            syscall_exit vmmon_exit_munlock("sys_exit_munlock", Munlock);
            syscall_exit vmmon_exit_mlockall("sys_exit_mlockall", Mlockall);
            syscall_exit vmmon_exit_munlockall("sys_exit_munlockall", Munlockall);
            syscall_exit vmmon_exit_mbind("sys_exit_mbind", Mbind);
            syscall_exit vmmon_exit_mseal("sys_exit_mseal", Mseal);
            syscall_exit vmmon_exit_prctl("sys_exit_prctl", Prctl);
            syscall_exit vmmon_exit_remap_file_pages("sys_exit_remap_file_pages", RemapFilePages);
            syscall_exit vmmon_exit_set_mempolicy_home_node("sys_exit_set_mempolicy_home_node", SetMempolicyHomeNode);
            syscall_exit vmmon_exit_map_shadow_stack("sys_exit_map_shadow_stack", MapShadowStack);
            syscall_enter vmmon_enter_mmap("sys_enter_mmap", Mmap);
            syscall_enter vmmon_enter_munmap("sys_enter_munmap", Munmap);
            syscall_enter vmmon_enter_mremap("sys_enter_mremap", Mremap);
            syscall_enter vmmon_enter_mprotect("sys_enter_mprotect", Mprotect);
            syscall_enter vmmon_enter_pkey_mprotect("sys_enter_pkey_mprotect", PkeyMprotect);
            syscall_enter vmmon_enter_brk("sys_enter_brk", Brk);
            syscall_enter vmmon_enter_shmat("sys_enter_shmat", Shmat);
            syscall_enter vmmon_enter_shmdt("sys_enter_shmdt", Shmdt);
            syscall_enter vmmon_enter_madvise("sys_enter_madvise", Madvise);
            syscall_enter vmmon_enter_mlock("sys_enter_mlock", Mlock);
            syscall_enter vmmon_enter_mlock2("sys_enter_mlock2", Mlock2);
            syscall_enter vmmon_enter_munlock("sys_enter_munlock", Munlock);
            syscall_enter vmmon_enter_mlockall("sys_enter_mlockall", Mlockall);
            syscall_enter vmmon_enter_munlockall("sys_enter_munlockall", Munlockall);
            syscall_enter vmmon_enter_mbind("sys_enter_mbind", Mbind);
            syscall_enter vmmon_enter_mseal("sys_enter_mseal", Mseal);
            syscall_enter vmmon_enter_prctl("sys_enter_prctl", Prctl);
            syscall_enter vmmon_enter_remap_file_pages("sys_enter_remap_file_pages", RemapFilePages);
            syscall_enter vmmon_enter_set_mempolicy_home_node("sys_enter_set_mempolicy_home_node", SetMempolicyHomeNode);
            syscall_enter vmmon_enter_map_shadow_stack("sys_enter_map_shadow_stack", MapShadowStack);
            iter vmmon_sweep("task");
        }
    };
}

macro_rules! program_table {
    ($($hook:ident $name:ident ($($arg:tt),*);)*) => {
        /// Every program vmmon loads, in attach order (see [`for_each_program!`]).
        pub const PROGRAMS: &[Program] = &[$(program_table!(@one $hook $name ($($arg),*)),)*];
    };
    (@one btf_tracepoint $name:ident ($event:literal)) => {
        Program {
            name: stringify!($name),
            hook: Hook::BtfTracePoint { name: $event },
        }
    };
    (@one syscall_exit $name:ident ($event:literal, $kind:ident)) => {
        program_table!(@one syscall_enter $name ($event, $kind))
    };
    (@one syscall_enter $name:ident ($event:literal, $kind:ident)) => {
        Program {
            name: stringify!($name),
            hook: Hook::TracePoint {
                category: "syscalls",
                name: $event,
                syscall: Some($crate::EventKind::$kind),
            },
        }
    };
    (@one iter $name:ident ($target:literal)) => {
        Program {
            name: stringify!($name),
            hook: Hook::Iter { target: $target },
        }
    };
}

for_each_program!(program_table);

#[cfg(test)]
mod tests;
