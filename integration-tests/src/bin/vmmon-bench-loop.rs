//! The benchmark's loops: `vmmon-bench-loop mmap N [BYTES]` maps and unmaps BYTES (4 KiB
//! unless given) of anonymous memory N times; `vmmon-bench-loop getpid N` calls getpid N times
//! (a syscall vmmon does not trace). Prints the nanoseconds per iteration.

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(kind), Some(n)) = (args.next(), args.next().and_then(|n| n.parse::<u64>().ok()))
    else {
        eprintln!("usage: vmmon-bench-loop mmap|getpid ITERATIONS [BYTES]");
        std::process::exit(2);
    };
    let bytes = match args.next().map(|b| b.parse::<usize>()) {
        None => 4096,
        Some(Ok(b)) if b > 0 => b,
        Some(_) => {
            eprintln!("BYTES must be a positive number");
            std::process::exit(2);
        }
    };
    let start = Instant::now();
    match kind.as_str() {
        "mmap" => {
            for _ in 0..n {
                // SAFETY: anonymous private memory, unmapped right away; none of it is touched.
                unsafe {
                    let p = libc::mmap(
                        std::ptr::null_mut(),
                        bytes,
                        libc::PROT_READ | libc::PROT_WRITE,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                        -1,
                        0,
                    );
                    assert_ne!(p, libc::MAP_FAILED);
                    libc::munmap(p, bytes);
                }
            }
        }
        "getpid" => {
            for _ in 0..n {
                // SAFETY: no arguments; the raw syscall so that glibc cannot cache it.
                unsafe { libc::syscall(libc::SYS_getpid) };
            }
        }
        other => {
            eprintln!("unknown loop {other}: use mmap or getpid");
            std::process::exit(2);
        }
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    println!("{ns:.1}");
}
