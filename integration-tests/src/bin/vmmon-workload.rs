//! The integration tests' workload. `vmmon-workload scripted` makes a fixed sequence of
//! address-space calls (from itself, a thread and a forked child), prints what it did as JSON
//! lines, and execs itself as `vmmon-workload exit`, which just exits.
//!
//! Between the marker call and the exec it makes no call it does not log: everything that
//! could allocate or map (the thread's stack, the log buffer, the exec's arguments) is set up
//! before the marker, calls are raw syscalls, and the thread is a bare pthread (Rust's threads
//! unmap a signal stack of their own when they exit).

use std::borrow::Cow;
use std::ffi::CString;
use vmmon_integration_tests::log::{MARKER_LEN, Op};
use vmmon_integration_tests::sys::{getpid, gettid, page, raw, temp_file};

use vmmon_integration_tests::sys::arg::{
    MAP_ANON, MAP_PRIVATE, MAP_SHARED, MREMAP_MAYMOVE, NO_FD, PROT_NONE, PROT_READ, PROT_RW,
};

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("scripted") => scripted(),
        Some("grow") => grow(
            std::env::args()
                .nth(2)
                .and_then(|s| s.parse().ok())
                .unwrap_or(20),
            std::env::args()
                .nth(3)
                .and_then(|s| s.parse().ok())
                .unwrap_or(1),
        ),
        Some("spin") => spin(
            std::env::args()
                .nth(2)
                .and_then(|s| s.parse().ok())
                .unwrap_or(20),
        ),
        Some("waves") => {
            let n = |i: usize| {
                std::env::args()
                    .nth(i)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(3)
            };
            waves(n(2), n(3))
        }
        Some("touch") => {
            let n = |i: usize| {
                std::env::args()
                    .nth(i)
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(8)
            };
            touch(n(2), n(3))
        }
        Some("exit") => {}
        _ => {
            eprintln!(
                "usage: vmmon-workload scripted|grow SECONDS [MIB_PER_STEP]|spin SECONDS|waves WAVES CALLS|touch MIB SECONDS|exit"
            );
            std::process::exit(2);
        }
    }
}

/// `waves` waves of two children named `vmchurnx`, one after the other: each child makes
/// `calls` mmap+munmap pairs of a page over about 1.5 s and exits; the first of each wave also
/// maps 64 GiB it never touches, so that it is among the largest processes on the machine while
/// it lives (and moves into the metrics' top K, then out). Prints `mmaps N`: every mmap the
/// children made.
fn waves(waves: u64, calls: u64) {
    let p = page();
    for _ in 0..waves {
        let mut children = Vec::new();
        for child in 0..2u64 {
            // SAFETY: the child makes raw syscalls only and leaves with _exit.
            let pid = unsafe { libc::fork() };
            assert!(pid >= 0, "fork failed");
            if pid == 0 {
                // SAFETY: a NUL-terminated name; no allocation in the child.
                unsafe { libc::prctl(libc::PR_SET_NAME, c"vmchurnx".as_ptr()) };
                if child == 0 {
                    raw(
                        libc::SYS_mmap,
                        [
                            0,
                            64 << 30,
                            PROT_NONE,
                            MAP_PRIVATE | MAP_ANON | libc::MAP_NORESERVE as u64,
                            NO_FD,
                            0,
                        ],
                    );
                }
                for i in 0..calls {
                    let a = raw(
                        libc::SYS_mmap,
                        [0, p, PROT_RW, MAP_PRIVATE | MAP_ANON, NO_FD, 0],
                    );
                    raw(libc::SYS_munmap, [a as u64, p, 0, 0, 0, 0]);
                    if i % (calls / 15).max(1) == 0 {
                        let pause = libc::timespec {
                            tv_sec: 0,
                            tv_nsec: 100_000_000,
                        };
                        // SAFETY: a valid timespec.
                        unsafe { libc::nanosleep(&pause, std::ptr::null_mut()) };
                    }
                }
                // SAFETY: leaves without running anything of the parent's.
                unsafe { libc::_exit(0) };
            }
            children.push(pid);
        }
        for pid in children {
            // SAFETY: waiting for a child of ours.
            unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
        }
    }
    println!("mmaps {}", waves * (2 * calls + 1));
}

/// Maps `mib` MiB of private anonymous memory and writes every page of it, prints its
/// address, then stays idle for `seconds`: a known resident size.
fn touch(mib: u64, seconds: u64) {
    let len = mib << 20;
    let a = raw(
        libc::SYS_mmap,
        [0, len, PROT_RW, MAP_PRIVATE | MAP_ANON, NO_FD, 0],
    );
    assert!(a > 0, "mmap failed: {a}");
    let p = page();
    for off in (0..len).step_by(p as usize) {
        // SAFETY: inside the mapping just made, writable.
        unsafe { std::ptr::write_volatile((a as u64 + off) as *mut u8, 1) };
    }
    println!("{a:x}");
    std::thread::sleep(std::time::Duration::from_secs(seconds));
}

/// Grows the address space by `mib` MiB (never touched) every 100 ms for `seconds`, then
/// exits.
fn grow(seconds: u64, mib: u64) {
    let mut mapped = Vec::new();
    for _ in 0..seconds * 10 {
        let r = raw(
            libc::SYS_mmap,
            [0, mib << 20, PROT_RW, MAP_PRIVATE | MAP_ANON, NO_FD, 0],
        );
        mapped.push(r);
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::hint::black_box(mapped);
}

/// Calls `mprotect` on one page back to back for `seconds` (or until killed): a process that
/// is nearly always inside a traced call.
fn spin(seconds: u64) {
    let p = page();
    let addr = raw(
        libc::SYS_mmap,
        [0, p, PROT_RW, MAP_PRIVATE | MAP_ANON, NO_FD, 0],
    );
    let until = std::time::Instant::now() + std::time::Duration::from_secs(seconds);
    while std::time::Instant::now() < until {
        for prot in [PROT_READ, PROT_RW] {
            raw(libc::SYS_mprotect, [addr as u64, p, prot, 0, 0, 0]);
        }
    }
}

struct Log {
    ops: Vec<Op>,
    tgid: u32,
    tid: u32,
}

impl Log {
    fn call(&mut self, name: &'static str, nr: libc::c_long, args: [u64; 6]) -> i64 {
        let ret = raw(nr, args);
        self.ops.push(call_op(self.tgid, self.tid, name, args, ret));
        ret
    }
}

fn call_op(tgid: u32, tid: u32, name: &'static str, args: [u64; 6], ret: i64) -> Op {
    Op::Call {
        tgid,
        tid,
        name: Cow::Borrowed(name),
        args,
        ret,
    }
}

/// What the thread did, written by the thread and read after joining it.
struct ThreadOut {
    go: libc::c_int,
    op: Option<Op>,
    tid: u32,
}

extern "C" fn thread_main(arg: *mut libc::c_void) -> *mut libc::c_void {
    // SAFETY: `arg` is the `ThreadOut` that main keeps alive until it has joined us.
    let out = unsafe { &mut *arg.cast::<ThreadOut>() };
    out.tid = gettid();
    let mut byte = 0u8;
    // Wait for main to say go (a read is not an address-space call).
    // SAFETY: reading one byte into a local.
    unsafe { libc::read(out.go, (&raw mut byte).cast(), 1) };
    let args = [0, 10 * page(), PROT_RW, MAP_PRIVATE | MAP_ANON, NO_FD, 0];
    let ret = raw(libc::SYS_mmap, args);
    out.op = Some(call_op(getpid(), out.tid, "mmap", args, ret));
    std::ptr::null_mut()
}

fn scripted() {
    use std::os::fd::AsRawFd;
    let p = page();
    let (tgid, tid) = (getpid(), gettid());
    let mut log = Log {
        ops: Vec::with_capacity(256),
        tgid,
        tid,
    };
    let file = temp_file(4);
    let fd = file.as_raw_fd() as u64;
    let exe = std::env::current_exe().expect("own path");
    let exe_c = CString::new(exe.to_str().expect("utf-8 path")).expect("no NUL");
    let exe_name: &'static str = Box::leak(exe.to_string_lossy().into_owned().into_boxed_str());
    let arg0 = CString::new("vmmon-workload").expect("no NUL");
    let arg1 = CString::new("exit").expect("no NUL");
    let argv = [arg0.as_ptr(), arg1.as_ptr(), std::ptr::null()];
    let mut out = Vec::<u8>::with_capacity(1 << 20);
    // The child's record comes back through a shared page.
    let shared = raw(
        libc::SYS_mmap,
        [0, p, PROT_RW, MAP_SHARED | MAP_ANON, NO_FD, 0],
    );
    assert!(shared > 0, "mmap for the shared page failed: {shared}");
    let child_slot = shared as *mut Option<Op>;
    // SAFETY: a fresh page, large enough and aligned for one `Option<Op>`.
    unsafe { child_slot.write(None) };

    let mut pipe = [0 as libc::c_int; 2];
    // SAFETY: `pipe` has room for two fds.
    assert_eq!(unsafe { libc::pipe(pipe.as_mut_ptr()) }, 0);
    let mut thread_out = ThreadOut {
        go: pipe[0],
        op: None,
        tid: 0,
    };
    // SAFETY: zeroed pthread_t is a valid out-value.
    let mut thread: libc::pthread_t = unsafe { std::mem::zeroed() };
    // SAFETY: the thread gets a pointer to `thread_out`, which outlives it (joined below).
    let rc = unsafe {
        libc::pthread_create(
            &mut thread,
            std::ptr::null(),
            thread_main,
            (&raw mut thread_out).cast(),
        )
    };
    assert_eq!(rc, 0, "pthread_create");

    // ---- the scripted section: every call from here to the exec is logged ----
    log.call(
        "mmap",
        libc::SYS_mmap,
        [0, MARKER_LEN, PROT_NONE, MAP_PRIVATE, NO_FD, 0],
    );
    let anon = |len| [0, len, PROT_RW, MAP_PRIVATE | MAP_ANON, NO_FD, 0];
    let small = log.call("mmap", libc::SYS_mmap, anon(p)) as u64;
    let medium = log.call("mmap", libc::SYS_mmap, anon(16 * p)) as u64;
    let large = log.call(
        "mmap",
        libc::SYS_mmap,
        [0, 768 * p, PROT_READ, MAP_PRIVATE | MAP_ANON, NO_FD, 0],
    ) as u64;
    log.call(
        "mmap",
        libc::SYS_mmap,
        [0, 3 * p, PROT_READ, MAP_PRIVATE, fd, p],
    );
    log.call(
        "mmap",
        libc::SYS_mmap,
        [0, 2 * p, PROT_RW, MAP_SHARED, fd, 0],
    );
    // A hole in the middle of a mapping, and a sub-range made writable.
    log.call(
        "munmap",
        libc::SYS_munmap,
        [medium + 4 * p, 4 * p, 0, 0, 0, 0],
    );
    log.call(
        "mprotect",
        libc::SYS_mprotect,
        [large + p, 2 * p, PROT_RW, 0, 0, 0],
    );
    log.call(
        "pkey_mprotect",
        libc::SYS_pkey_mprotect,
        [small, p, PROT_READ, u64::from(u32::MAX), 0, 0],
    );
    // Grow in place: map 16 pages, give back the top 8, grow to 12.
    let region = log.call("mmap", libc::SYS_mmap, anon(16 * p)) as u64;
    log.call(
        "munmap",
        libc::SYS_munmap,
        [region + 8 * p, 8 * p, 0, 0, 0, 0],
    );
    log.call("mremap", libc::SYS_mremap, [region, 8 * p, 12 * p, 0, 0, 0]);
    // Grow past what fits, letting the kernel move it.
    log.call(
        "mremap",
        libc::SYS_mremap,
        [region, 12 * p, 2048 * p, MREMAP_MAYMOVE, 0, 0],
    );
    // The heap up and back down.
    let brk = log.call("brk", libc::SYS_brk, [0; 6]) as u64;
    log.call("brk", libc::SYS_brk, [brk + 32 * p, 0, 0, 0, 0, 0]);
    log.call("brk", libc::SYS_brk, [brk, 0, 0, 0, 0, 0]);
    // A call that fails: an unaligned address.
    log.call("munmap", libc::SYS_munmap, [small + 1, p, 0, 0, 0, 0]);

    // The thread maps memory and exits.
    // SAFETY: writing one byte from a local to our pipe.
    unsafe { libc::write(pipe[1], (&raw const tgid).cast(), 1) };
    // SAFETY: `thread` was created above and is joined once.
    let joined = unsafe { libc::pthread_join(thread, std::ptr::null_mut()) };
    assert_eq!(joined, 0);
    log.ops
        .push(thread_out.op.take().expect("thread logged its call"));
    log.ops.push(Op::Exit {
        tgid,
        tid: thread_out.tid,
        group_dead: false,
    });

    // A child process maps memory and exits.
    // SAFETY: the child only makes raw syscalls, writes to the shared page and _exits.
    let child = unsafe { libc::fork() };
    if child == 0 {
        let (ctgid, ctid) = (getpid(), gettid());
        let args = anon(5 * p);
        let ret = raw(libc::SYS_mmap, args);
        // SAFETY: the shared page holds one `Option<Op>`; the parent reads it after we exit.
        unsafe { child_slot.write(Some(call_op(ctgid, ctid, "mmap", args, ret))) };
        // SAFETY: leaving without running any exit handlers.
        unsafe { libc::_exit(0) };
    }
    assert!(child > 0, "fork failed");
    let mut status = 0;
    // SAFETY: waiting for our own child.
    unsafe { libc::waitpid(child, &mut status, 0) };
    let child = child as u32;
    log.ops.push(Op::Fork {
        tgid,
        tid,
        child_tgid: child,
        child_tid: child,
        thread: false,
    });
    // SAFETY: the child has exited; the slot was written by it or is still None.
    log.ops
        .push(unsafe { child_slot.read() }.expect("child logged its call"));
    log.ops.push(Op::Exit {
        tgid: child,
        tid: child,
        group_dead: true,
    });
    log.ops.push(Op::Exec {
        tgid,
        tid,
        filename: Cow::Borrowed(exe_name),
    });

    // The log goes out with a plain write(2) from memory reserved above, then the exec.
    for op in &log.ops {
        serde_json::to_writer(&mut out, op).expect("serialize");
        out.push(b'\n');
    }
    let mut written = 0;
    while written < out.len() {
        // SAFETY: writing from our buffer to stdout.
        let n = unsafe { libc::write(1, out[written..].as_ptr().cast(), out.len() - written) };
        assert!(n > 0, "writing the log failed");
        written += n as usize;
    }
    // SAFETY: NUL-terminated path and argv prepared above.
    unsafe { libc::execv(exe_c.as_ptr(), argv.as_ptr()) };
    panic!("exec failed: {}", std::io::Error::last_os_error());
}
