//! The one list of vmmon's programs and where each attaches.
//!
//! [`for_each_program!`] holds the list; everything that needs it expands it: this crate's
//! [`PROGRAMS`] table (what the loader attaches), the kernel crate's program definitions (each
//! entry must have a handler of the same name, or the kernel crate does not compile), and the
//! benchmark's empty programs on the same hooks. A program added in one place and not the
//! others cannot exist.

/// Where a program attaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hook {
    /// A tracepoint, `category:name` (`syscalls:sys_enter_mmap`).
    TracePoint {
        /// The tracepoint's category, e.g. `syscalls`.
        category: &'static str,
        /// The tracepoint's name, e.g. `sys_enter_mmap`.
        name: &'static str,
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

/// Calls macro `$m` with every program vmmon attaches, in attach order, one entry per line:
/// `tracepoint NAME("category", "name");`. The enter side of each syscall comes before its
/// exit side, so no exit is seen whose enter could not have been.
#[macro_export]
macro_rules! for_each_program {
    ($m:ident) => {
        $m! {
            tracepoint vmmon_task_newtask("task", "task_newtask");
            tracepoint vmmon_task_rename("task", "task_rename");
            tracepoint vmmon_sched_process_fork("sched", "sched_process_fork");
            tracepoint vmmon_sched_process_exec("sched", "sched_process_exec");
            tracepoint vmmon_sched_process_exit("sched", "sched_process_exit");
            tracepoint vmmon_enter_mmap("syscalls", "sys_enter_mmap");
            tracepoint vmmon_enter_munmap("syscalls", "sys_enter_munmap");
            tracepoint vmmon_enter_mremap("syscalls", "sys_enter_mremap");
            tracepoint vmmon_enter_mprotect("syscalls", "sys_enter_mprotect");
            tracepoint vmmon_enter_pkey_mprotect("syscalls", "sys_enter_pkey_mprotect");
            tracepoint vmmon_enter_brk("syscalls", "sys_enter_brk");
            tracepoint vmmon_exit_mmap("syscalls", "sys_exit_mmap");
            tracepoint vmmon_exit_munmap("syscalls", "sys_exit_munmap");
            tracepoint vmmon_exit_mremap("syscalls", "sys_exit_mremap");
            tracepoint vmmon_exit_mprotect("syscalls", "sys_exit_mprotect");
            tracepoint vmmon_exit_pkey_mprotect("syscalls", "sys_exit_pkey_mprotect");
            tracepoint vmmon_exit_brk("syscalls", "sys_exit_brk");
        }
    };
}

macro_rules! program_table {
    ($($hook:ident $name:ident ($($arg:literal),*);)*) => {
        /// Every program vmmon attaches, in attach order (see [`for_each_program!`]).
        pub const PROGRAMS: &[Program] = &[$(program_table!(@one $hook $name ($($arg),*)),)*];
    };
    (@one tracepoint $name:ident ($category:literal, $tracepoint:literal)) => {
        Program {
            name: stringify!($name),
            hook: Hook::TracePoint { category: $category, name: $tracepoint },
        }
    };
}

for_each_program!(program_table);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_exit_follows_its_enter() {
        for (i, p) in PROGRAMS.iter().enumerate() {
            assert!(
                PROGRAMS[i + 1..].iter().all(|q| q.name != p.name),
                "{} twice",
                p.name
            );
            if let Some(call) = p.name.strip_prefix("vmmon_exit_") {
                let enter = PROGRAMS
                    .iter()
                    .position(|q| q.name.strip_prefix("vmmon_enter_") == Some(call));
                assert!(enter.is_some_and(|e| e < i), "{} before its enter", p.name);
            }
        }
    }
}
