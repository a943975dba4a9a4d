//! Empty programs on exactly the hooks vmmon uses (the same `for_each_program!` list): what
//! attaching alone costs. `cargo xtask bench` loads these to measure the floor under vmmon's
//! own overhead.
#![no_std]
#![no_main]

macro_rules! empty {
    ($($hook:ident $name:ident ($($arg:tt),*);)*) => {
        $(empty!(@one $hook $name ($($arg),*));)*
    };
    (@one btf_tracepoint $name:ident ($event:literal)) => {
        #[aya_ebpf::macros::btf_tracepoint(function = $event)]
        pub fn $name(_ctx: aya_ebpf::programs::BtfTracePointContext) -> i32 {
            0
        }
    };
    (@one syscall_enter $name:ident ($event:literal, $kind:ident)) => {
        #[aya_ebpf::macros::tracepoint]
        pub fn $name(_ctx: aya_ebpf::programs::TracePointContext) -> u32 {
            0
        }
    };
    (@one syscall_exit $name:ident ($event:literal, $kind:ident)) => {
        empty!(@one syscall_enter $name ($event, $kind));
    };
    (@one iter $name:ident ("task")) => {
        #[unsafe(no_mangle)]
        #[unsafe(link_section = "iter/task")]
        pub fn $name(_ctx: *mut core::ffi::c_void) -> i32 {
            0
        }
    };
}

vmmon_common::for_each_program!(empty);

#[cfg(not(test))]
#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    loop {}
}

#[unsafe(link_section = "license")]
#[unsafe(no_mangle)]
static LICENSE: [u8; 4] = *b"GPL\0";
