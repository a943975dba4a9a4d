//! vmmon's kernel programs. Syscall tracepoints pair each enter with its exit and emit one
//! completed record; scheduler tracepoints report forks, execs and exits. Everything goes to
//! userspace through one ring buffer; what cannot be sent is counted.
//!
//! The programs are the ones `vmmon_common::for_each_program!` lists, each defined here from
//! the handler of the same name in [`handlers`]: a program without a handler does not compile.
#![no_std]
#![no_main]

mod maps;
mod process;
mod record;
mod slots;
mod syscalls;

/// Every program's body, by program name.
mod handlers {
    pub use crate::process::*;
    pub use crate::syscalls::*;
}

macro_rules! define {
    ($($hook:ident $name:ident ($($arg:literal),*);)*) => {
        $(define!(@one $hook $name ($($arg),*));)*
    };
    (@one tracepoint $name:ident ($category:literal, $tracepoint:literal)) => {
        #[aya_ebpf::macros::tracepoint(category = $category, name = $tracepoint)]
        pub fn $name(ctx: aya_ebpf::programs::TracePointContext) -> u32 {
            handlers::$name(&ctx)
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
