//! Empty programs on exactly the tracepoints vmmon uses: what attaching alone costs.
//! `cargo xtask bench` loads these to measure the floor under vmmon's own overhead.
#![no_std]
#![no_main]

use aya_ebpf::{macros::tracepoint, programs::TracePointContext};

macro_rules! empty {
    ($($fn:ident: $category:literal / $name:literal;)*) => {
        $(
            #[tracepoint(category = $category, name = $name)]
            pub fn $fn(_ctx: TracePointContext) -> u32 {
                0
            }
        )*
    };
}

empty! {
    vmmon_enter_mmap: "syscalls" / "sys_enter_mmap";
    vmmon_exit_mmap: "syscalls" / "sys_exit_mmap";
    vmmon_enter_munmap: "syscalls" / "sys_enter_munmap";
    vmmon_exit_munmap: "syscalls" / "sys_exit_munmap";
    vmmon_enter_mremap: "syscalls" / "sys_enter_mremap";
    vmmon_exit_mremap: "syscalls" / "sys_exit_mremap";
    vmmon_enter_mprotect: "syscalls" / "sys_enter_mprotect";
    vmmon_exit_mprotect: "syscalls" / "sys_exit_mprotect";
    vmmon_enter_pkey_mprotect: "syscalls" / "sys_enter_pkey_mprotect";
    vmmon_exit_pkey_mprotect: "syscalls" / "sys_exit_pkey_mprotect";
    vmmon_enter_brk: "syscalls" / "sys_enter_brk";
    vmmon_exit_brk: "syscalls" / "sys_exit_brk";
    vmmon_task_newtask: "task" / "task_newtask";
    vmmon_task_rename: "task" / "task_rename";
    vmmon_sched_process_fork: "sched" / "sched_process_fork";
    vmmon_sched_process_exec: "sched" / "sched_process_exec";
    vmmon_sched_process_exit: "sched" / "sched_process_exit";
}

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}

#[unsafe(link_section = "license")]
#[unsafe(no_mangle)]
static LICENSE: [u8; 4] = *b"GPL\0";
