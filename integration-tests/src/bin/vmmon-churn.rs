//! A randomized address-space workload for the ledger's integration test.
//!
//! `vmmon-churn SEED ROUNDS OPS`: the main thread and two more make OPS random calls each per
//! round (mmap of anonymous, shared and file memory, partial munmap, mprotect of sub-ranges,
//! mremap grow/shrink/move, and brk on the main thread). After the first round it forks a
//! child that makes OPS calls, and another that execs `vmmon-churn --exec SEED OPS FD` which
//! makes OPS calls in its new image; both then wait, quiescent, until the end. After every
//! round it prints `pause ROUND PID...` (the pids to check) and waits for a line on stdin.

use std::io::{BufRead as _, Write as _};
use std::os::fd::AsRawFd as _;
use std::sync::{Arc, Barrier};
use vmmon_integration_tests::sys::{page, raw, temp_file};

use vmmon_integration_tests::sys::arg::{
    MAP_ANON, MAP_PRIVATE, MAP_SHARED, MREMAP_MAYMOVE, NO_FD, PROT_NONE, PROT_READ, PROT_RW,
    PROT_RX,
};

const PROT: [u64; 4] = [PROT_NONE, PROT_READ, PROT_RW, PROT_RX];
const FILE_PAGES: u64 = 64;

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

/// One thread's view of the memory it made: (address, pages) pieces.
struct Churner {
    rng: Rng,
    pieces: Vec<(u64, u64)>,
    fd: u64,
    brk: Option<(u64, u64)>, // (original break, current break) on the main thread
    calls: u64,
}

impl Churner {
    fn new(seed: u64, fd: u64, main: bool) -> Self {
        let brk = main.then(|| {
            let b = raw(libc::SYS_brk, [0; 6]) as u64;
            (b, b)
        });
        Self {
            rng: Rng(seed | 1),
            pieces: Vec::with_capacity(4096),
            fd,
            brk,
            calls: 0,
        }
    }

    fn call(&mut self, nr: libc::c_long, args: [u64; 6]) -> i64 {
        self.calls += 1;
        raw(nr, args)
    }

    fn step(&mut self) {
        let p = page();
        let pick = self.rng.below(if self.brk.is_some() { 8 } else { 7 });
        match pick {
            0 | 1 => {
                let n = 1 + self.rng.below(32);
                let prot = PROT[self.rng.below(4) as usize];
                let r = self.call(
                    libc::SYS_mmap,
                    [0, n * p, prot, MAP_PRIVATE | MAP_ANON, NO_FD, 0],
                );
                if r > 0 {
                    self.pieces.push((r as u64, n));
                }
            }
            2 => {
                // File-backed (private or shared) or shared anonymous memory.
                let n = 1 + self.rng.below(16);
                let (flags, fd, off) = match self.rng.below(3) {
                    0 => (MAP_PRIVATE, self.fd, self.rng.below(FILE_PAGES - n) * p),
                    1 => (MAP_SHARED, self.fd, self.rng.below(FILE_PAGES - n) * p),
                    _ => (MAP_SHARED | MAP_ANON, NO_FD, 0),
                };
                let prot = PROT[1 + self.rng.below(2) as usize];
                let r = self.call(libc::SYS_mmap, [0, n * p, prot, flags, fd, off]);
                if r > 0 {
                    self.pieces.push((r as u64, n));
                }
            }
            3 if !self.pieces.is_empty() => {
                // munmap all of a piece, or a part that splits it.
                let i = self.rng.below(self.pieces.len() as u64) as usize;
                let (a, n) = self.pieces[i];
                let from = self.rng.below(n);
                let len = 1 + self.rng.below(n - from);
                self.call(libc::SYS_munmap, [a + from * p, len * p, 0, 0, 0, 0]);
                self.pieces.swap_remove(i);
                if from > 0 {
                    self.pieces.push((a, from));
                }
                if from + len < n {
                    self.pieces.push((a + (from + len) * p, n - from - len));
                }
            }
            4 | 5 if !self.pieces.is_empty() => {
                let i = self.rng.below(self.pieces.len() as u64) as usize;
                let (a, n) = self.pieces[i];
                let from = self.rng.below(n);
                let len = 1 + self.rng.below(n - from);
                let prot = PROT[self.rng.below(4) as usize];
                let nr = if self.rng.below(4) == 0 {
                    libc::SYS_pkey_mprotect
                } else {
                    libc::SYS_mprotect
                };
                self.call(nr, [a + from * p, len * p, prot, u64::from(u32::MAX), 0, 0]);
            }
            6 if !self.pieces.is_empty() => {
                // mremap a whole piece to a new size, letting it move. It fails (and so changes
                // nothing) when the piece was split into several mappings by mprotect.
                let i = self.rng.below(self.pieces.len() as u64) as usize;
                let (a, n) = self.pieces[i];
                let new_n = 1 + self.rng.below(2 * n + 8);
                let r = self.call(
                    libc::SYS_mremap,
                    [a, n * p, new_n * p, MREMAP_MAYMOVE, 0, 0],
                );
                if r > 0 {
                    self.pieces[i] = (r as u64, new_n);
                }
            }
            7 => {
                let (orig, _) = self.brk.expect("main thread");
                let target = orig + self.rng.below(48) * p + self.rng.below(p);
                let r = self.call(libc::SYS_brk, [target, 0, 0, 0, 0, 0]) as u64;
                self.brk = Some((orig, r));
            }
            _ => {}
        }
    }

    /// Gives the heap back to where it started, so that malloc's view stays valid.
    fn restore_brk(&mut self) {
        if let Some((orig, _)) = self.brk {
            self.call(libc::SYS_brk, [orig, 0, 0, 0, 0, 0]);
            self.brk = Some((orig, orig));
        }
    }
}

fn wait_for_line() {
    let mut line = String::new();
    if std::io::stdin().lock().read_line(&mut line).unwrap_or(0) == 0 {
        std::process::exit(0);
    }
}

/// Blocks until `fd` is closed by the parent.
fn hold(fd: libc::c_int) {
    let mut b = 0u8;
    // SAFETY: reading into a local byte.
    while unsafe { libc::read(fd, (&raw mut b).cast(), 1) } > 0 {}
}

fn signal_ready(fd: libc::c_int) {
    // SAFETY: writing one byte from a local.
    unsafe { libc::write(fd, [1u8].as_ptr().cast(), 1) };
}

fn exec_child(seed: u64, ops: u64, hold_fd: libc::c_int, ready_fd: libc::c_int) {
    let file = temp_file(FILE_PAGES);
    let mut c = Churner::new(seed, file.as_raw_fd() as u64, true);
    for _ in 0..ops {
        c.step();
    }
    c.restore_brk();
    signal_ready(ready_fd);
    hold(hold_fd);
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let num = |i: usize| -> u64 {
        args.get(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| usage())
    };
    if args.get(1).map(String::as_str) == Some("--exec") {
        exec_child(num(2), num(3), num(4) as i32, num(5) as i32);
        return;
    }
    let (seed, rounds, ops) = (num(1), num(2), num(3));
    let file = temp_file(FILE_PAGES);
    let fd = file.as_raw_fd() as u64;
    let threads = 2;
    let start = Arc::new(Barrier::new(threads + 1));
    let done = Arc::new(Barrier::new(threads + 1));
    let mut handles = Vec::new();
    for t in 0..threads {
        let (start, done) = (start.clone(), done.clone());
        handles.push(std::thread::spawn(move || {
            let mut c = Churner::new(seed.wrapping_mul(31).wrapping_add(t as u64 + 1), fd, false);
            for _ in 0..rounds {
                start.wait();
                for _ in 0..ops {
                    c.step();
                }
                done.wait();
            }
            c.calls
        }));
    }
    let mut main = Churner::new(seed, fd, true);
    let (mut hold_pipe, mut ready_pipe) = ([0; 2], [0; 2]);
    // SAFETY: each array has room for two fds.
    unsafe {
        assert_eq!(libc::pipe(hold_pipe.as_mut_ptr()), 0);
        assert_eq!(libc::pipe(ready_pipe.as_mut_ptr()), 0);
    }
    let mut children = Vec::new();
    let exe = std::ffi::CString::new(std::env::current_exe().unwrap().to_str().unwrap()).unwrap();
    for round in 1..=rounds {
        start.wait();
        for _ in 0..ops {
            main.step();
        }
        done.wait();
        main.restore_brk();
        if round == 1 {
            for exec in [false, true] {
                // SAFETY: the child only makes syscalls, or execs.
                let pid = unsafe { libc::fork() };
                if pid == 0 {
                    // Only the parent may hold the write end, or the children never see EOF.
                    // SAFETY: closing an fd this process owns.
                    unsafe { libc::close(hold_pipe[1]) };
                    if exec {
                        let argv: Vec<std::ffi::CString> = [
                            "vmmon-churn".to_string(),
                            "--exec".into(),
                            (seed + 99).to_string(),
                            ops.to_string(),
                            hold_pipe[0].to_string(),
                            ready_pipe[1].to_string(),
                        ]
                        .into_iter()
                        .map(|s| std::ffi::CString::new(s).unwrap())
                        .collect();
                        let mut ptrs: Vec<*const libc::c_char> =
                            argv.iter().map(|a| a.as_ptr()).collect();
                        ptrs.push(std::ptr::null());
                        // SAFETY: NUL-terminated path and argv.
                        unsafe { libc::execv(exe.as_ptr(), ptrs.as_ptr()) };
                        // SAFETY: leaving the child without running the parent's handlers.
                        unsafe { libc::_exit(1) };
                    }
                    let mut c = Churner::new(seed + 7, fd, true);
                    for _ in 0..ops {
                        c.step();
                    }
                    c.restore_brk();
                    signal_ready(ready_pipe[1]);
                    hold(hold_pipe[0]);
                    // SAFETY: leaving the child without running the parent's handlers.
                    unsafe { libc::_exit(0) };
                }
                children.push(pid as u32);
            }
            for _ in 0..children.len() {
                let mut b = 0u8;
                // SAFETY: reading into a local byte.
                unsafe { libc::read(ready_pipe[0], (&raw mut b).cast(), 1) };
            }
        }
        let mut line = format!("pause {round} {}", std::process::id());
        for c in &children {
            line.push_str(&format!(" {c}"));
        }
        println!("{line}");
        std::io::stdout().flush().unwrap();
        wait_for_line();
    }
    // SAFETY: closing our end lets the children leave.
    unsafe { libc::close(hold_pipe[1]) };
    for c in &children {
        let mut status = 0;
        // SAFETY: waiting for our own children.
        unsafe { libc::waitpid(*c as i32, &mut status, 0) };
    }
    let calls: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum::<u64>() + main.calls;
    println!("done {calls}");
}

fn usage() -> ! {
    eprintln!("usage: vmmon-churn SEED ROUNDS OPS | vmmon-churn --exec SEED OPS HOLD_FD READY_FD");
    std::process::exit(2);
}
