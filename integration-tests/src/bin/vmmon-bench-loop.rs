//! The benchmark's loops: `vmmon-bench-loop mmap N` maps and unmaps one anonymous 4 KiB page
//! N times; `vmmon-bench-loop getpid N` calls getpid N times (a syscall vmmon does not trace).
//! Prints the nanoseconds per iteration.

use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(kind), Some(n)) = (args.next(), args.next().and_then(|n| n.parse::<u64>().ok()))
    else {
        eprintln!("usage: vmmon-bench-loop mmap|getpid ITERATIONS");
        std::process::exit(2);
    };
    let start = Instant::now();
    match kind.as_str() {
        "mmap" => {
            for _ in 0..n {
                // SAFETY: an anonymous private page, unmapped right away; no memory is touched.
                unsafe {
                    let p = libc::mmap(
                        std::ptr::null_mut(),
                        4096,
                        libc::PROT_READ | libc::PROT_WRITE,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                        -1,
                        0,
                    );
                    assert_ne!(p, libc::MAP_FAILED);
                    libc::munmap(p, 4096);
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
