//! Raw address-space syscalls with the kernel's own return convention (`-errno` on failure),
//! so the workload logs exactly what the tracepoints see.

/// Makes syscall `nr` with up to six arguments; returns the raw result.
pub fn raw(nr: libc::c_long, a: [u64; 6]) -> i64 {
    // SAFETY: the callers pass address-space syscalls whose pointer arguments are addresses,
    // not memory the kernel writes through.
    let r = unsafe { libc::syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]) };
    if r == -1 {
        -i64::from(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    } else {
        r
    }
}

/// The caller's thread id.
pub fn gettid() -> u32 {
    // SAFETY: no arguments.
    (unsafe { libc::syscall(libc::SYS_gettid) }) as u32
}

/// The caller's process id.
pub fn getpid() -> u32 {
    std::process::id()
}

/// The page size.
pub fn page() -> u64 {
    // SAFETY: no arguments.
    (unsafe { libc::sysconf(libc::_SC_PAGESIZE) }) as u64
}

/// A file of `pages` pages for file-backed mappings, already unlinked (it lives as long as the
/// returned handle, or the mappings of it).
pub fn temp_file(pages: u64) -> std::fs::File {
    use std::io::Write as _;
    let path = std::env::temp_dir().join(format!("vmmon-test-{}-{pages}", getpid()));
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(&path)
        .expect("create temp file");
    let _ = std::fs::remove_file(&path);
    f.write_all(&vec![0x5a; (pages * page()) as usize])
        .expect("fill temp file");
    f
}

/// The kernel's flag numbers (from `vmmon_common::linux`, their one source) as the 64-bit
/// syscall arguments the workloads pass.
pub mod arg {
    use vmmon_common::linux;

    pub const PROT_NONE: u64 = 0;
    pub const PROT_READ: u64 = linux::PROT_READ as u64;
    pub const PROT_RW: u64 = (linux::PROT_READ | linux::PROT_WRITE) as u64;
    pub const PROT_RX: u64 = (linux::PROT_READ | linux::PROT_EXEC) as u64;
    pub const MAP_SHARED: u64 = linux::MAP_SHARED as u64;
    pub const MAP_PRIVATE: u64 = linux::MAP_PRIVATE as u64;
    pub const MAP_ANON: u64 = linux::MAP_ANONYMOUS as u64;
    pub const MREMAP_MAYMOVE: u64 = linux::MREMAP_MAYMOVE as u64;
    /// No file: -1 as the kernel's unsigned long argument.
    pub const NO_FD: u64 = u64::MAX;
}
