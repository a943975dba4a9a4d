//! Signal names.

/// Linux's signal names on x86_64, by number (1 to 31).
const NAMES: [&str; 31] = [
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// The first real-time signal's number (`SIGRTMIN` as the kernel numbers it).
const RTMIN: u32 = 32;

/// The name of signal `n` (`SIGKILL`, `SIGRTMIN+3`), or `SIG<n>` for a number no signal has.
pub fn signal_name(n: u32) -> String {
    match n {
        1..=31 => NAMES[n as usize - 1].to_string(),
        RTMIN => "SIGRTMIN".to_string(),
        33..=64 => format!("SIGRTMIN+{}", n - RTMIN),
        _ => format!("SIG{n}"),
    }
}

#[cfg(test)]
mod tests;
