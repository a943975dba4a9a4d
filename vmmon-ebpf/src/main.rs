//! vmmon's kernel programs. Syscall tracepoints pair each enter with its exit and emit one
//! completed record; scheduler tracepoints report forks, execs and exits. Everything goes to
//! userspace through one ring buffer; what cannot be sent is counted.
#![no_std]
#![no_main]

mod maps;
mod process;
mod record;
mod slots;
mod syscalls;

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    // The verifier rejects any program that could reach this.
    loop {}
}

#[unsafe(link_section = "license")]
#[unsafe(no_mangle)]
static LICENSE: [u8; 4] = *b"GPL\0";
