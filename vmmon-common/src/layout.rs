//! Where the running kernel keeps the fields the programs read, resolved by the agent from
//! `/sys/kernel/btf/vmlinux` at load time and handed to the programs as one read-only global.
//! The verifier sees its values as constants, so each read is a plain load at a known offset
//! of a BTF-typed pointer: one binary works on kernels whose structs differ.

/// Byte offsets of the fields the programs read. A group whose `*_known` is 0 could not be
/// resolved: the programs then do without it (no figures, so no self-checks; no ids or exit
/// code on exits). The task's own group is always known: without it the agent does not load
/// the programs.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    /// 1 when the `task_*` offsets below are known.
    pub task_known: u32,
    /// `task_struct.pid` (the thread id).
    pub task_pid: u32,
    /// `task_struct.tgid` (the process id).
    pub task_tgid: u32,
    /// `task_struct.comm`.
    pub task_comm: u32,
    /// `task_struct.mm`.
    pub task_mm: u32,
    /// `task_struct.start_time` (`CLOCK_MONOTONIC` ns).
    pub task_start_time: u32,
    /// 1 when the `mm_*` and `rss_*` offsets below are known.
    pub mm_known: u32,
    /// `mm_struct.total_vm` (pages).
    pub mm_total_vm: u32,
    /// `mm_struct.hiwater_vm` (pages).
    pub mm_hiwater_vm: u32,
    /// `mm_struct.map_count`.
    pub mm_map_count: u32,
    /// `mm_struct.hiwater_rss` (pages).
    pub mm_hiwater_rss: u32,
    /// `mm_struct.rss_stat[MM_FILEPAGES].count`.
    pub rss_file: u32,
    /// `mm_struct.rss_stat[MM_ANONPAGES].count`.
    pub rss_anon: u32,
    /// `mm_struct.rss_stat[MM_SWAPENTS].count`.
    pub rss_swap: u32,
    /// `mm_struct.rss_stat[MM_SHMEMPAGES].count`.
    pub rss_shmem: u32,
    /// `mm_struct.rss_stat[MM_*].counters`: each counter's per-CPU parts (`s32 __percpu *`),
    /// which the programs add to `count` for the exact total, as `/proc/PID/status` does.
    pub rss_file_cpu: u32,
    pub rss_anon_cpu: u32,
    pub rss_swap_cpu: u32,
    pub rss_shmem_cpu: u32,
    /// Possible CPUs (at most [`MAX_CPUS`]): how many per-CPU parts each counter has.
    pub nr_cpus: u32,
    /// `bpf_array.pptrs`: where a per-CPU array map keeps its elements' per-CPU pointers.
    /// The programs find the kernel's per-CPU offsets from their own per-CPU map with it
    /// (the kernel's BTF carries no per-CPU tags to let `bpf_per_cpu_ptr` do it). 0: not
    /// known, and only the counters' folded totals are read.
    pub bpf_array_pptrs: u32,
    /// `linux_binprm.filename`.
    pub bprm_filename: u32,
    /// 1 when the `cred_*` offsets and `task_real_cred`, `mm_flags` are known: exits then
    /// carry the ids the process had and whether it was dumpable (who may read its maps).
    pub creds_known: u32,
    /// `task_struct.real_cred` (the objective credentials, which ptrace checks).
    pub task_real_cred: u32,
    /// `cred.uid`, `cred.euid`, `cred.suid`, `cred.gid`, `cred.egid`, `cred.sgid`.
    pub cred_uid: u32,
    pub cred_euid: u32,
    pub cred_suid: u32,
    pub cred_gid: u32,
    pub cred_egid: u32,
    pub cred_sgid: u32,
    /// `mm_struct.flags` (its low two bits: the dumpable mode).
    pub mm_flags: u32,
    /// 1 when the offsets below are known: exits then carry how the process ended.
    pub exit_known: u32,
    /// `task_struct.exit_code`, `task_struct.signal`.
    pub task_exit_code: u32,
    pub task_signal: u32,
    /// `signal_struct.flags` (`SIGNAL_GROUP_EXIT`), `signal_struct.group_exit_code`, and
    /// `signal_struct.oom_mm` (set when the OOM killer chose the process).
    pub signal_flags: u32,
    pub signal_group_exit_code: u32,
    pub signal_oom_mm: u32,
}

/// The most CPUs whose per-CPU counter parts the programs add up.
pub const MAX_CPUS: u32 = 512;
