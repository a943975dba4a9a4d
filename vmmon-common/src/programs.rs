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
    /// A BTF-enabled raw tracepoint (`tp_btf`), e.g. `sys_exit`: its arguments are the
    /// kernel's own typed pointers.
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
/// `btf_tracepoint NAME("raw tracepoint");` or `iter NAME("target");`. The syscall exit
/// side comes before the enter side: a call whose exit is seen without its enter is only
/// left unchecked, while one counted in flight at its enter must be seen leaving.
#[macro_export]
macro_rules! for_each_program {
    ($m:ident) => {
        $m! {
            btf_tracepoint vmmon_task_newtask("task_newtask");
            btf_tracepoint vmmon_sched_process_exec("sched_process_exec");
            btf_tracepoint vmmon_sched_process_exit("sched_process_exit");
            btf_tracepoint vmmon_sys_exit("sys_exit");
            btf_tracepoint vmmon_sys_enter("sys_enter");
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
    (@one iter $name:ident ($target:literal)) => {
        Program {
            name: stringify!($name),
            hook: Hook::Iter { target: $target },
        }
    };
}

for_each_program!(program_table);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_exit_is_attached_before_its_enter() {
        for (i, p) in PROGRAMS.iter().enumerate() {
            assert!(
                PROGRAMS[i + 1..].iter().all(|q| q.name != p.name),
                "{} twice",
                p.name
            );
            if p.name == "vmmon_sys_exit" {
                let enter = PROGRAMS.iter().position(|q| q.name == "vmmon_sys_enter");
                assert!(enter.is_some_and(|e| e > i), "{} after its enter", p.name);
            }
        }
    }
}
