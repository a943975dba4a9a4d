//! The system's clocks: `CLOCK_MONOTONIC`, the clock of the events' timestamps (the eBPF
//! programs' `bpf_ktime_get_ns`), and the others read beside it.

/// Clock `id` in nanoseconds.
pub fn now_ns(id: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid out-pointer.
    unsafe { libc::clock_gettime(id, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// `CLOCK_MONOTONIC` in nanoseconds, the clock of the events' timestamps.
pub fn monotonic_ns() -> u64 {
    now_ns(libc::CLOCK_MONOTONIC)
}
