//! vmmon's kernel programs. The traced syscalls' own tracepoints report every address-space
//! syscall with the kernel's own figures for the caller's address space; the scheduler's
//! report forks, execs and exits; a task iterator sweeps every process's figures. Records go
//! to userspace through one ring buffer; what cannot be sent is counted.
//!
//! The programs are the ones `vmmon_common::for_each_program!` lists, each defined here from
//! its handler in [`handlers`]: a BTF tracepoint or the iterator from the handler of the same
//! name (a program without one does not compile), a syscall's tracepoint from
//! `syscall_enter`/`syscall_exit` with the syscall's `EventKind`.
#![no_std]
#![no_main]
// Atomic adds (`core::intrinsics::atomic_xadd`): the BPF target has no atomic types.
#![feature(core_intrinsics)]
#![expect(
    internal_features,
    reason = "atomic_xadd is the BPF target's only atomic add"
)]

mod figures;
mod kernel;
mod maps;
mod process;
mod record;
mod sites;
mod sweep;
mod syscalls;

/// Every program's body, by program name.
mod handlers {
    pub use crate::process::*;
    pub use crate::sweep::*;
    pub use crate::syscalls::*;
}

macro_rules! define {
    ($($hook:ident $name:ident ($($arg:tt),*);)*) => {
        $(define!(@one $hook $name ($($arg),*));)*
    };
    (@one btf_tracepoint $name:ident ($event:literal)) => {
        #[aya_ebpf::macros::btf_tracepoint(function = $event)]
        pub fn $name(ctx: aya_ebpf::programs::BtfTracePointContext) -> i32 {
            handlers::$name(&ctx)
        }
    };
    (@one syscall_enter $name:ident ($event:literal, $kind:ident)) => {
        #[aya_ebpf::macros::tracepoint]
        pub fn $name(ctx: aya_ebpf::programs::TracePointContext) -> u32 {
            handlers::syscall_enter(&ctx, vmmon_common::EventKind::$kind)
        }
    };
    (@one syscall_exit $name:ident ($event:literal, $kind:ident)) => {
        #[aya_ebpf::macros::tracepoint]
        pub fn $name(ctx: aya_ebpf::programs::TracePointContext) -> u32 {
            handlers::syscall_exit(&ctx, vmmon_common::EventKind::$kind)
        }
    };
    (@one iter $name:ident ("task")) => {
        #[unsafe(no_mangle)]
        #[unsafe(link_section = "iter/task")]
        pub fn $name(ctx: *mut core::ffi::c_void) -> i32 {
            handlers::$name(ctx)
        }
    };
}

vmmon_common::for_each_program!(define);

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    // The verifier rejects any program that could reach this.
    loop {}
}

#[unsafe(link_section = "license")]
#[unsafe(no_mangle)]
static LICENSE: [u8; 4] = *b"GPL\0";
