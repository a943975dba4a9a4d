//! `vmmon-bench-procs N`: forks N idle children (each with this program's few dozen
//! mappings), prints `ready`, and waits for a line on stdin; then kills them all, reaps
//! them, prints `gone`, and exits.

use std::io::{BufRead as _, Write as _};

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            eprintln!("usage: vmmon-bench-procs N");
            std::process::exit(2);
        });
    let mut children = Vec::with_capacity(n);
    for _ in 0..n {
        // SAFETY: the child only pauses until it is killed.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            loop {
                // SAFETY: waiting for a signal.
                unsafe { libc::pause() };
            }
        }
        if pid < 0 {
            eprintln!(
                "fork failed after {} children: {}",
                children.len(),
                std::io::Error::last_os_error()
            );
            break;
        }
        children.push(pid);
    }
    println!("ready {}", children.len());
    std::io::stdout().flush().unwrap();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    for &c in &children {
        // SAFETY: signalling our own children.
        unsafe { libc::kill(c, libc::SIGKILL) };
    }
    for &c in &children {
        // SAFETY: reaping our own children.
        unsafe { libc::waitpid(c, std::ptr::null_mut(), 0) };
    }
    println!("gone");
}
