//! Workloads for the self-check's tests: each repeats one pattern that no single event shows
//! in full, until it is killed. `vmmon-patterns PATTERN [SEED]`, PATTERN one of:
//!
//! - `heap`: grows the heap with `brk`, unmaps single pages inside it, moves `brk` down
//!   (past the holes) and up again;
//! - `populate`: three forked children map large regions with `MAP_POPULATE` (the mapping
//!   is in `/proc` long before the call returns) and unmap them;
//! - `shm`: System V segments attached (read-write, read-only, twice) and detached;
//! - `stack`: recursion that grows the main stack by up to 6 MiB, with no call on the way;
//! - `splits`: `madvise`, `mlock`, `mlock2`, `munlock`, `mprotect` and anonymous names on
//!   sub-ranges of one mapping (splitting and merging it), and a few `mseal`s;
//! - `exec`: maps some memory and execs itself, again and again.
//!
//! Loops make no allocation (the heap pattern moves the break behind the allocator's back).

use std::time::Duration;
use vmmon_integration_tests::sys::arg::{MAP_ANON, MAP_PRIVATE, NO_FD, PROT_READ, PROT_RW};
use vmmon_integration_tests::sys::{page, raw};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seed = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(u64::from(std::process::id()));
    let mut rng = Rng(seed | 1);
    match args.get(1).map(String::as_str) {
        Some("heap") => heap(&mut rng),
        Some("populate") => populate(&mut rng),
        Some("shm") => shm(&mut rng),
        Some("stack") => stack(&mut rng),
        Some("splits") => splits(&mut rng),
        Some("exec") => exec(
            &mut rng,
            args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0),
        ),
        _ => {
            eprintln!("usage: vmmon-patterns heap|populate|shm|stack|splits|exec [SEED]");
            std::process::exit(2);
        }
    }
}

fn nap(rng: &mut Rng) {
    std::thread::sleep(Duration::from_micros(200 + rng.below(2000)));
}

fn mmap_anon(len: u64, extra: u64) -> u64 {
    let r = raw(
        libc::SYS_mmap,
        [0, len, PROT_RW, MAP_PRIVATE | MAP_ANON | extra, NO_FD, 0],
    );
    assert!(r > 0, "mmap: {r}");
    r as u64
}

fn heap(rng: &mut Rng) -> ! {
    let p = page();
    let start = raw(libc::SYS_brk, [0; 6]) as u64;
    let mut brk = start;
    loop {
        match rng.below(4) {
            0 | 1 => {
                let to = brk + (1 + rng.below(256)) * p;
                let r = raw(libc::SYS_brk, [to, 0, 0, 0, 0, 0]) as u64;
                if r == to {
                    brk = to;
                }
            }
            2 => {
                // A single page inside the heap.
                let pages = (brk - start) / p;
                if pages > 2 {
                    let at = start.next_multiple_of(p) + rng.below(pages - 1) * p;
                    raw(libc::SYS_munmap, [at, p, 0, 0, 0, 0]);
                }
            }
            _ => {
                let to = start + rng.below(brk - start + 1);
                if raw(libc::SYS_brk, [to, 0, 0, 0, 0, 0]) as u64 == to {
                    brk = to;
                }
            }
        }
        nap(rng);
    }
}

fn populate(rng: &mut Rng) -> ! {
    for i in 0..3 {
        // SAFETY: the child only makes raw syscalls and sleeps.
        if unsafe { libc::fork() } == 0 {
            let mut rng = Rng(rng.next() ^ i);
            loop {
                let len = (64 + rng.below(128)) << 20;
                let at = mmap_anon(len, libc::MAP_POPULATE as u64);
                nap(&mut rng);
                raw(libc::SYS_munmap, [at, len, 0, 0, 0, 0]);
            }
        }
    }
    loop {
        std::thread::sleep(Duration::from_secs(1));
    }
}

fn shm(rng: &mut Rng) -> ! {
    let p = page();
    let mut attached: [(u64, i32); 8] = [(0, 0); 8];
    loop {
        let slot = rng.below(8) as usize;
        let (addr, id) = attached[slot];
        if addr != 0 {
            // SAFETY: detaching a segment this process attached.
            unsafe { libc::shmdt(addr as *const libc::c_void) };
            if rng.below(2) == 0 {
                // SAFETY: removing a segment this process made (it goes once detached).
                unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
            }
            attached[slot] = (0, 0);
        } else {
            let size = (1 + rng.below(64)) * p;
            // SAFETY: a new private segment.
            let id = unsafe { libc::shmget(libc::IPC_PRIVATE, size as usize, 0o600) };
            assert!(id >= 0, "shmget: {}", std::io::Error::last_os_error());
            let flags = if rng.below(3) == 0 {
                libc::SHM_RDONLY
            } else {
                0
            };
            // SAFETY: attaching where the kernel chooses.
            let at = unsafe { libc::shmat(id, std::ptr::null(), flags) } as u64;
            assert_ne!(at, u64::MAX, "shmat: {}", std::io::Error::last_os_error());
            // Marked for removal at once: it goes when its last attachment does.
            // SAFETY: as above.
            unsafe { libc::shmctl(id, libc::IPC_RMID, std::ptr::null_mut()) };
            attached[slot] = (at, id);
        }
        nap(rng);
    }
}

#[inline(never)]
fn recurse(depth: u64) -> u64 {
    let mut frame = [0u8; 4096];
    std::hint::black_box(&mut frame);
    frame[depth as usize % 4096] = depth as u8;
    if depth == 0 {
        return u64::from(frame[0]);
    }
    recurse(depth - 1) + u64::from(std::hint::black_box(frame[7]))
}

fn stack(rng: &mut Rng) -> ! {
    loop {
        // Up to 6 MiB of frames: the stack mapping grows (and never shrinks) on faults.
        std::hint::black_box(recurse(16 + rng.below(1500)));
        std::thread::sleep(Duration::from_millis(20 + rng.below(80)));
    }
}

fn splits(rng: &mut Rng) -> ! {
    let p = page();
    let pages = 256;
    let base = mmap_anon(pages * p, 0);
    let mut sealed = 0;
    let advice = [
        libc::MADV_NORMAL,
        libc::MADV_RANDOM,
        libc::MADV_SEQUENTIAL,
        libc::MADV_DONTFORK,
        libc::MADV_DOFORK,
        libc::MADV_HUGEPAGE,
        libc::MADV_NOHUGEPAGE,
        libc::MADV_DONTDUMP,
        libc::MADV_DODUMP,
        libc::MADV_WIPEONFORK,
        libc::MADV_KEEPONFORK,
    ];
    let names: [&[u8]; 3] = [b"vmmon-a\0", b"vmmon-b\0", b"\0"];
    loop {
        let first = rng.below(pages);
        let n = 1 + rng.below(pages - first);
        let (addr, len) = (base + first * p, n * p);
        match rng.below(8) {
            0 | 1 => {
                let a = advice[rng.below(advice.len() as u64) as usize] as u64;
                raw(libc::SYS_madvise, [addr, len, a, 0, 0, 0]);
            }
            2 => {
                raw(libc::SYS_mlock, [addr, len, 0, 0, 0, 0]);
            }
            3 => {
                raw(
                    libc::SYS_mlock2,
                    [addr, len, libc::MLOCK_ONFAULT as u64, 0, 0, 0],
                );
            }
            4 => {
                raw(libc::SYS_munlock, [addr, len, 0, 0, 0, 0]);
            }
            5 => {
                let prot = if rng.below(2) == 0 {
                    PROT_READ
                } else {
                    PROT_RW
                };
                raw(libc::SYS_mprotect, [addr, len, prot, 0, 0, 0]);
            }
            6 => {
                let name = names[rng.below(3) as usize];
                // An empty name clears it (null would too).
                raw(
                    libc::SYS_prctl,
                    [
                        libc::PR_SET_VMA as u64,
                        libc::PR_SET_VMA_ANON_NAME as u64,
                        addr,
                        len,
                        name.as_ptr() as u64,
                        0,
                    ],
                );
            }
            _ if sealed < 8 => {
                // A small mapping of its own, sealed: it stays for good.
                let at = mmap_anon(p * (1 + rng.below(4)), 0);
                raw(libc::SYS_mseal, [at, p, 0, 0, 0, 0]);
                sealed += 1;
            }
            _ => {}
        }
        nap(rng);
    }
}

fn exec(rng: &mut Rng, generation: u64) -> ! {
    let p = page();
    for _ in 0..rng.below(16) {
        let at = mmap_anon((1 + rng.below(32)) * p, 0);
        if rng.below(3) == 0 {
            raw(libc::SYS_mprotect, [at, p, PROT_READ, 0, 0, 0]);
        }
    }
    std::thread::sleep(Duration::from_millis(rng.below(150)));
    let exe = std::env::current_exe().expect("own path");
    let err = std::os::unix::process::CommandExt::exec(std::process::Command::new(exe).args([
        "exec".to_string(),
        rng.next().to_string(),
        (generation + 1).to_string(),
    ]));
    panic!("exec: {err}");
}
