//! What the machine must offer before the programs can load, checked in the order a user can
//! fix it, each failure one clear [`Error`].

use super::Error;
use std::path::Path;

const BTF: &str = "/sys/kernel/btf/vmlinux";
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;
/// The BTF typedefs of the raw syscall tracepoints the programs attach to (`tp_btf`): a kernel
/// without `CONFIG_FTRACE_SYSCALLS` has neither. No tracefs is needed to attach them.
const SYSCALL_HOOKS: [&str; 2] = ["btf_trace_sys_enter", "btf_trace_sys_exit"];

/// Checks privileges, BTF and the raw syscall tracepoints.
pub fn preflight() -> Result<(), Error> {
    if !privileged(&std::fs::read_to_string("/proc/self/status").unwrap_or_default()) {
        return Err(Error::NotPrivileged);
    }
    if !Path::new(BTF).exists() {
        return Err(Error::NoBtf);
    }
    let btf = btf_rs::Btf::from_file(BTF).map_err(|e| Error::KernelBtf(e.to_string()))?;
    for hook in SYSCALL_HOOKS {
        if btf
            .resolve_types_by_name(hook)
            .map_or(true, |t| t.is_empty())
        {
            return Err(Error::NoSyscallTracepoints(hook.to_string()));
        }
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
}
