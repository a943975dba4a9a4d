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
//! - `longcall`: an `mlock` of the middle of a mapping registered with userfaultfd, whose
//!   handler thread answers one page every 100 ms: the call stays in the kernel for seconds
//!   (the mapping is split in `/proc` at once), while another thread makes small calls
//!   through the first 1.5 s of each `mlock`, then rests (so that `/proc` holds still). Waits for a line on its standard input (none at its end) before each `mlock`,
//!   prints `locking ADDR LEN` as it starts and `locked` as it returns. Needs
//!   root (or `vm.unprivileged_userfaultfd`).
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
        Some("longcall") => longcall(),
        Some("exec") => exec(
            &mut rng,
            args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0),
        ),
        _ => {
            eprintln!("usage: vmmon-patterns heap|populate|shm|stack|splits|exec|longcall [SEED]");
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

/// userfaultfd's ioctls and their arguments (`linux/userfaultfd.h`).
mod uffd {
    pub const API: u64 = 0xAA;
    /// `_IOWR(0xAA, 0x3F, struct uffdio_api)`.
    pub const IOC_API: u64 = 0xc018_aa3f;
    /// `_IOWR(0xAA, 0x00, struct uffdio_register)`.
    pub const IOC_REGISTER: u64 = 0xc020_aa00;
    /// `_IOWR(0xAA, 0x03, struct uffdio_copy)`.
    pub const IOC_COPY: u64 = 0xc028_aa03;
    pub const REGISTER_MODE_MISSING: u64 = 1;
    pub const EVENT_PAGEFAULT: u8 = 0x12;

    #[repr(C)]
    pub struct Api {
        pub api: u64,
        pub features: u64,
        pub ioctls: u64,
    }

    #[repr(C)]
    pub struct Register {
        pub start: u64,
        pub len: u64,
        pub mode: u64,
        pub ioctls: u64,
    }

    #[repr(C)]
    pub struct Copy {
        pub dst: u64,
        pub src: u64,
        pub len: u64,
        pub mode: u64,
        pub copy: i64,
    }

    /// `struct uffd_msg`: the event, and for a page fault its address at byte 16.
    #[repr(C)]
    pub struct Msg {
        pub event: u8,
        pub _reserved: [u8; 7],
        pub flags: u64,
        pub address: u64,
        pub _rest: u64,
    }
}

/// A userfaultfd for `base..base + len`, missing pages reported to it.
fn uffd_for(base: u64, len: u64) -> i32 {
    // SAFETY: plain syscalls and ioctls with arguments of the sizes the kernel reads.
    unsafe {
        let fd = libc::syscall(libc::SYS_userfaultfd, libc::O_CLOEXEC) as i32;
        assert!(fd >= 0, "userfaultfd: {}", std::io::Error::last_os_error());
        let mut api = uffd::Api {
            api: uffd::API,
            features: 0,
            ioctls: 0,
        };
        assert_eq!(libc::ioctl(fd, uffd::IOC_API, &mut api), 0, "UFFDIO_API");
        let mut reg = uffd::Register {
            start: base,
            len,
            mode: uffd::REGISTER_MODE_MISSING,
            ioctls: 0,
        };
        let r = libc::ioctl(fd, uffd::IOC_REGISTER, &mut reg);
        assert_eq!(r, 0, "UFFDIO_REGISTER: {}", std::io::Error::last_os_error());
        fd
    }
}

/// Answers `fd`'s page faults one every `every`, with zeroed pages, until it is closed.
fn answer_slowly(fd: i32, every: Duration) {
    let zeros = vec![0u8; page() as usize];
    loop {
        let mut msg = uffd::Msg {
            event: 0,
            _reserved: [0; 7],
            flags: 0,
            address: 0,
            _rest: 0,
        };
        // SAFETY: reads one message into `msg`, of its size.
        let n = unsafe { libc::read(fd, (&raw mut msg).cast(), size_of::<uffd::Msg>()) };
        if n <= 0 {
            return;
        }
        if msg.event != uffd::EVENT_PAGEFAULT {
            continue;
        }
        std::thread::sleep(every);
        let mut copy = uffd::Copy {
            dst: msg.address & !(page() - 1),
            src: zeros.as_ptr() as u64,
            len: page(),
            mode: 0,
            copy: 0,
        };
        // SAFETY: copies one page from `zeros`, alive through the call.
        unsafe { libc::ioctl(fd, uffd::IOC_COPY, &mut copy) };
    }
}

fn longcall() -> ! {
    use std::io::Write as _;
    use std::sync::atomic::{AtomicBool, Ordering};
    static BUSY: AtomicBool = AtomicBool::new(false);
    let p = page();
    std::thread::spawn(move || {
        loop {
            if BUSY.load(Ordering::Relaxed) {
                let a = mmap_anon(p, 0);
                raw(libc::SYS_munmap, [a, p, 0, 0, 0, 0]);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
    let (pages, locked) = (96, 72);
    loop {
        let mut go = String::new();
        let _ = std::io::stdin().read_line(&mut go);
        let base = mmap_anon(pages * p, 0);
        let fd = uffd_for(base, pages * p);
        let handler = std::thread::spawn(move || answer_slowly(fd, Duration::from_millis(100)));
        let (addr, len) = (base + 8 * p, locked * p);
        println!("locking {addr:x} {len}");
        let _ = std::io::stdout().flush();
        BUSY.store(true, Ordering::Relaxed);
        std::thread::spawn(|| {
            std::thread::sleep(Duration::from_millis(1500));
            BUSY.store(false, Ordering::Relaxed);
        });
        let r = raw(libc::SYS_mlock, [addr, len, 0, 0, 0, 0]);
        assert_eq!(r, 0, "mlock");
        println!("locked");
        let _ = std::io::stdout().flush();
        // SAFETY: our own descriptor; closing it ends the handler's read.
        unsafe { libc::close(fd) };
        let _ = handler.join();
        raw(libc::SYS_munlock, [addr, len, 0, 0, 0, 0]);
        raw(libc::SYS_munmap, [base, pages * p, 0, 0, 0, 0]);
    }
}
