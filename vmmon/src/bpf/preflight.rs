//! What the machine must offer before the programs can load, checked in the order a user can
//! fix it, each failure one clear [`Error`].

use super::Error;
use std::path::Path;

const TRACEFS: &str = "/sys/kernel/tracing";
const BTF: &str = "/sys/kernel/btf/vmlinux";
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

/// Checks privileges, BTF and syscall tracepoints, mounting tracefs when it is missing.
pub fn preflight() -> Result<(), Error> {
    if !privileged(&std::fs::read_to_string("/proc/self/status").unwrap_or_default()) {
        return Err(Error::NotPrivileged);
    }
    if !Path::new(BTF).exists() {
        return Err(Error::NoBtf);
    }
    mount_tracefs()?;
    let syscalls = format!("{TRACEFS}/events/syscalls/sys_enter_mmap");
    if !Path::new(&syscalls).exists() {
        return Err(Error::NoSyscallTracepoints(syscalls));
    }
    Ok(())
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

fn tracefs_mounted(mounts: &str) -> bool {
    mounts.lines().any(|l| {
        let mut f = l.split_whitespace();
        let (_dev, mnt, fstype) = (f.next(), f.next(), f.next());
        fstype == Some("tracefs") && mnt == Some(TRACEFS)
    })
}

fn mount_tracefs() -> Result<(), Error> {
    if tracefs_mounted(&std::fs::read_to_string("/proc/self/mounts").unwrap_or_default()) {
        return Ok(());
    }
    log::info!("tracefs is not mounted; mounting it at {TRACEFS}");
    let target = c"/sys/kernel/tracing";
    // SAFETY: all pointers are to NUL-terminated strings that outlive the call.
    let rc = unsafe {
        libc::mount(
            c"nodev".as_ptr(),
            target.as_ptr(),
            c"tracefs".as_ptr(),
            0,
            std::ptr::null(),
        )
    };
    if rc != 0 {
        return Err(Error::Tracefs(std::io::Error::last_os_error()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_decide_privilege() {
        assert!(privileged("Name:\tx\nCapEff:\t000001ffffffffff\n"));
        assert!(
            privileged("CapEff:\t0000000000200000\n"),
            "CAP_SYS_ADMIN alone"
        );
        assert!(
            privileged("CapEff:\t000000c000000000\n"),
            "CAP_BPF+CAP_PERFMON"
        );
        assert!(!privileged("CapEff:\t0000008000000000\n"), "CAP_BPF alone");
        assert!(!privileged("CapEff:\t0000000000000000\n"));
        assert!(!privileged("no such line"));
    }

    #[test]
    fn finds_tracefs_in_mounts() {
        let m = "sysfs /sys sysfs rw 0 0\nnodev /sys/kernel/tracing tracefs rw 0 0\n";
        assert!(tracefs_mounted(m));
        assert!(!tracefs_mounted("sysfs /sys sysfs rw 0 0\n"));
        assert!(!tracefs_mounted(
            "nodev /sys/kernel/debug/tracing tracefs rw 0 0\n"
        ));
    }
}
