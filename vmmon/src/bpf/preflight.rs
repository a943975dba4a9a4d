//! What the machine must offer before the programs can load, checked in the order a user can
//! fix it, each failure one clear [`Error`].

use super::Error;
use super::layout::VMLINUX_BTF;
use std::path::Path;

const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;
/// Where tracefs is looked for, in the order aya looks (it attaches the syscall
/// tracepoints by the ids tracefs gives), and where it is mounted when it is in neither.
pub(super) const TRACEFS: [&str; 2] = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];
/// A syscall tracepoint every kernel with them has: a kernel without
/// `CONFIG_FTRACE_SYSCALLS` has none.
const SYSCALL_TRACEPOINT: &str = "events/syscalls/sys_enter_mmap";

/// Checks privileges, BTF and the syscall tracepoints, mounting tracefs where it is missing.
pub fn preflight() -> Result<(), Error> {
    if !privileged(&std::fs::read_to_string("/proc/self/status").unwrap_or_default()) {
        return Err(Error::NotPrivileged);
    }
    if !Path::new(VMLINUX_BTF).exists() {
        return Err(Error::NoBtf);
    }
    let tracefs = match tracefs() {
        Some(path) => path,
        None => mount_tracefs()?,
    };
    let syscalls = Path::new(tracefs).join(SYSCALL_TRACEPOINT);
    if !syscalls.exists() {
        return Err(Error::NoSyscallTracepoints(syscalls.display().to_string()));
    }
    Ok(())
}

/// Where tracefs is mounted (a directory with entries), if it is.
pub(super) fn tracefs() -> Option<&'static str> {
    TRACEFS
        .into_iter()
        .find(|path| std::fs::read_dir(path).is_ok_and(|mut entries| entries.next().is_some()))
}

/// Mounts tracefs at its usual place (needs CAP_SYS_ADMIN; systemd's
/// `sys-kernel-tracing.mount` does it for the unit).
fn mount_tracefs() -> Result<&'static str, Error> {
    let target = TRACEFS[0];
    log::info!("tracefs is not mounted; mounting it at {target}");
    // SAFETY: all pointers are to NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::mount(
            c"nodev".as_ptr(),
            c"/sys/kernel/tracing".as_ptr(),
            c"tracefs".as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(Error::Tracefs(std::io::Error::last_os_error()));
    }
    Ok(target)
}

/// True when the effective capabilities in a `/proc/PID/status` text allow loading and
/// attaching tracing programs: CAP_BPF with CAP_PERFMON, or CAP_SYS_ADMIN.
pub fn privileged(status: &str) -> bool {
    let Some(caps) = status
        .lines()
        .find_map(|l| l.strip_prefix("CapEff:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok())
    else {
        return false;
    };
    let has = |cap: u32| caps & (1u64 << cap) != 0;
    has(CAP_SYS_ADMIN) || (has(CAP_BPF) && has(CAP_PERFMON))
}

#[cfg(test)]
mod tests;
