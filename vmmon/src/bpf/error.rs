//! [`Error`]: why the programs could not be loaded or read.

use super::layout;
use vmmon_common::{MAX_RING_BYTES, MIN_RING_BYTES};

/// Why the programs could not be loaded or read. The messages of what a user can fix (the
/// privileges, the kernel's configuration, tracefs, the ring's size) say how.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "vmmon needs CAP_BPF and CAP_PERFMON (or CAP_SYS_ADMIN) to load its eBPF programs; run it as root (e.g. `sudo vmmon ...`)"
    )]
    NotPrivileged,
    #[error(
        "this kernel has no BTF (/sys/kernel/btf/vmlinux is missing); vmmon needs a kernel built with CONFIG_DEBUG_INFO_BTF=y"
    )]
    NoBtf,
    #[error(
        "tracefs is not mounted and mounting it at /sys/kernel/tracing failed ({0}); mount it with `mount -t tracefs nodev /sys/kernel/tracing` (systemd: enable sys-kernel-tracing.mount) and try again"
    )]
    Tracefs(#[source] std::io::Error),
    #[error(
        "this kernel has no syscall tracepoints ({0} is missing); vmmon needs a kernel built with CONFIG_FTRACE_SYSCALLS=y"
    )]
    NoSyscallTracepoints(String),
    #[error(
        "ring buffer size {0} is invalid: it must be a power of two between {MIN_RING_BYTES} and {MAX_RING_BYTES} bytes"
    )]
    RingSize(u64),
    #[error(transparent)]
    Layout(#[from] layout::LayoutError),
    #[error("reading the kernel's BTF for the programs' hooks failed: {0}")]
    KernelBtf(#[source] aya::BtfError),
    #[error("running the sweep of every process's figures failed: {0}")]
    Sweep(#[source] aya::programs::links::LinkError),
    #[error("loading the eBPF programs failed: {0}")]
    Load(#[source] Box<aya::EbpfError>),
    #[error("eBPF program {0} is missing from the object (a build problem: rebuild vmmon)")]
    MissingProgram(&'static str),
    #[error("loading eBPF program {program} failed: {source}")]
    Program {
        program: &'static str,
        source: Box<aya::programs::ProgramError>,
    },
    #[error("attaching {program} to {} failed: {source}", hook_name(.hook))]
    Attach {
        program: &'static str,
        hook: vmmon_common::Hook,
        source: Box<aya::programs::ProgramError>,
    },
    #[error("eBPF map {0} is missing or of the wrong type: not found")]
    MapMissing(&'static str),
    #[error("eBPF map {map} is missing or of the wrong type: {source}")]
    Map {
        map: &'static str,
        source: aya::maps::MapError,
    },
    #[error("registering the ring buffer with the event loop failed: {0}")]
    Poll(#[source] std::io::Error),
}

impl From<aya::EbpfError> for Error {
    fn from(e: aya::EbpfError) -> Self {
        Self::Load(Box::new(e))
    }
}

/// A hook as the kernel names it: `tracepoint syscalls:sys_enter_mmap`.
fn hook_name(hook: &vmmon_common::Hook) -> String {
    match hook {
        vmmon_common::Hook::TracePoint { category, name, .. } => {
            format!("tracepoint {category}:{name}")
        }
        vmmon_common::Hook::BtfTracePoint { name } => format!("BTF tracepoint {name}"),
        vmmon_common::Hook::Iter { target } => format!("the {target} iterator"),
    }
}
