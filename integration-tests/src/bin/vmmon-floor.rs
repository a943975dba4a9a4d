//! Attaches empty programs on exactly vmmon's hooks and holds them until SIGTERM or SIGINT:
//! the benchmark's floor (what attaching alone costs). Prints "attached" when ready.

use vmmon::bpf::Floor;
use vmmon_common::PROGRAMS;

fn main() {
    let _floor = match Floor::load() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("vmmon-floor: {e}");
            std::process::exit(1);
        }
    };
    eprintln!("vmmon-floor: {} empty programs attached", PROGRAMS.len());
    let mut set = std::mem::MaybeUninit::<libc::sigset_t>::uninit();
    let mut sig: libc::c_int = 0;
    // SAFETY: the set is initialized by sigemptyset before use; sigwait writes `sig`. Both
    // signals are blocked first, so they wait for sigwait instead of killing the process.
    unsafe {
        libc::sigemptyset(set.as_mut_ptr());
        libc::sigaddset(set.as_mut_ptr(), libc::SIGTERM);
        libc::sigaddset(set.as_mut_ptr(), libc::SIGINT);
        libc::pthread_sigmask(libc::SIG_BLOCK, set.as_ptr(), std::ptr::null_mut());
        libc::sigwait(set.as_ptr(), &mut sig);
    }
}
