//! Empty programs on exactly the hooks vmmon uses (the same `for_each_program!` list): what
//! attaching alone costs. `cargo xtask bench` loads these to measure the floor under vmmon's
//! own overhead.
#![no_std]
#![no_main]

macro_rules! empty {
    ($($hook:ident $name:ident ($($arg:literal),*);)*) => {
        $(empty!(@one $hook $name ($($arg),*));)*
    };
    (@one tracepoint $name:ident ($category:literal, $tracepoint:literal)) => {
        #[aya_ebpf::macros::tracepoint(category = $category, name = $tracepoint)]
        pub fn $name(_ctx: aya_ebpf::programs::TracePointContext) -> u32 {
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
