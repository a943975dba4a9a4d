//! Reading a task and its address space through BTF-typed pointers, at the offsets the agent
//! resolved from the running kernel (the global layout), and the figures every record carries.

use crate::layout;
use crate::maps::{COUNTERS, process};
use aya_ebpf::bindings::pt_regs;
use aya_ebpf::helpers::bpf_probe_read_kernel;
use aya_ebpf::helpers::generated::{
    bpf_get_current_task_btf, bpf_map_lookup_percpu_elem, bpf_task_pt_regs,
};
use vmmon_common::{
    COMM_LEN, EXIT_KNOWN, EXIT_OOM_VICTIM, FIGURES_KNOWN, Figures, IDS_DUMPABLE, IDS_KNOWN,
    InFlight, Resident,
};

/// A `struct task_struct *` the verifier knows by its BTF type.
#[derive(Clone, Copy)]
pub struct Task(*const u8);

/// Reads a `T` at byte `offset` of a BTF-typed kernel object. The verifier checks the access
/// against the type (the offset is a load-time constant) and turns a fault into zeros.
#[inline(always)]
fn field<T: Copy>(base: *const u8, offset: usize) -> T {
    // SAFETY: see above: a plain load through a BTF-typed pointer, which the verifier turns
    // into a checked kernel read.
    unsafe { core::ptr::read(base.add(offset) as *const T) }
}

impl Task {
    /// The task running this program.
    #[inline(always)]
    pub fn current() -> Self {
        // SAFETY: no preconditions; the result is a trusted BTF pointer to the current task.
        Task(unsafe { bpf_get_current_task_btf() } as *const u8)
    }

    /// A task a tracepoint handed over (a `struct task_struct *` argument).
    #[inline(always)]
    pub fn from_arg(ptr: *const u8) -> Self {
        Task(ptr)
    }

    /// Its process id (the kernel's tgid).
    #[inline(always)]
    pub fn tgid(self) -> u32 {
        field::<i32>(self.0, layout!(task_tgid)) as u32
    }

    /// Its thread id (the kernel's pid).
    #[inline(always)]
    pub fn tid(self) -> u32 {
        field::<i32>(self.0, layout!(task_pid)) as u32
    }

    /// Its comm.
    #[inline(always)]
    pub fn comm(self) -> [u8; COMM_LEN] {
        field(self.0, layout!(task_comm))
    }

    /// When it started (`CLOCK_MONOTONIC` ns).
    #[inline(always)]
    pub fn start_ns(self) -> u64 {
        field(self.0, layout!(task_start_time))
    }

    /// Its user registers (`struct pt_regs *`, BTF-typed): a syscall's arguments stay there
    /// through the call.
    #[inline(always)]
    pub fn regs(self) -> *const pt_regs {
        // SAFETY: the task is a BTF-typed task pointer, as the helper requires.
        unsafe { bpf_task_pt_regs(self.0 as *mut _) as *const pt_regs }
    }

    /// Its address space (`struct mm_struct *`), null for a kernel thread or when the
    /// layout of address spaces is not known.
    #[inline(always)]
    pub fn mm(self) -> *const u8 {
        if layout!(mm_known) == 0 {
            return core::ptr::null();
        }
        field(self.0, layout!(task_mm))
    }
}

/// Who the task is (its objective credentials) and whether `mm` (which may be null) is
/// dumpable: `(uids, gids, ids_flags)` as [`vmmon_common::ExitRecord`] carries them.
#[inline(always)]
pub fn ids(task: Task, mm: *const u8) -> ([u32; 3], [u32; 3], u32) {
    if layout!(creds_known) == 0 {
        return ([0; 3], [0; 3], 0);
    }
    let cred: *const u8 = field(task.0, layout!(task_real_cred));
    if cred.is_null() {
        return ([0; 3], [0; 3], 0);
    }
    let uids = [
        field(cred, layout!(cred_uid)),
        field(cred, layout!(cred_euid)),
        field(cred, layout!(cred_suid)),
    ];
    let gids = [
        field(cred, layout!(cred_gid)),
        field(cred, layout!(cred_egid)),
        field(cred, layout!(cred_sgid)),
    ];
    let mut flags = IDS_KNOWN;
    // SUID_DUMP_USER (1) in the low two bits: the owner may read it.
    if !mm.is_null() && field::<u64>(mm, layout!(mm_flags)) & 3 == 1 {
        flags |= IDS_DUMPABLE;
    }
    (uids, gids, flags)
}

/// `SIGNAL_GROUP_EXIT` in `signal_struct.flags`: the whole process was told to exit, with
/// the group's exit code.
const SIGNAL_GROUP_EXIT: u32 = 4;

/// How `task`, leaving, ended as `wait` reports it (see [`vmmon_common::ExitRecord`]), and
/// its flags: [`EXIT_KNOWN`] when it could be read, [`EXIT_OOM_VICTIM`] when the OOM killer
/// had chosen its process.
#[inline(always)]
pub fn exit_code(task: Task) -> (u32, u32) {
    if layout!(exit_known) == 0 {
        return (0, 0);
    }
    let signal: *const u8 = field(task.0, layout!(task_signal));
    if signal.is_null() {
        return (field(task.0, layout!(task_exit_code)), EXIT_KNOWN);
    }
    let mut flags = EXIT_KNOWN;
    if field::<u64>(signal, layout!(signal_oom_mm)) != 0 {
        flags |= EXIT_OOM_VICTIM;
    }
    if field::<u32>(signal, layout!(signal_flags)) & SIGNAL_GROUP_EXIT != 0 {
        return (field(signal, layout!(signal_group_exit_code)), flags);
    }
    (field(task.0, layout!(task_exit_code)), flags)
}

/// The figures of `mm` (which may be null) and of process `tgid`'s calls. The calls are read
/// around the figures: a call that began meanwhile shows as a change in `enters`.
#[inline(always)]
pub fn figures(mm: *const u8, tgid: u32) -> Figures {
    let mut f = Figures::default();
    let counters = process(tgid);
    if let Some(c) = counters {
        // SAFETY: a live array element; its fields change only by atomic adds, and a plain
        // read of an aligned u64 is not torn.
        unsafe {
            let calls = core::ptr::read_volatile(&(*c).calls);
            f.inflight = InFlight::in_flight(calls);
            f.enters_before = InFlight::entered(calls);
        }
    }
    if !mm.is_null() {
        f.total_vm = field(mm, layout!(mm_total_vm));
        f.hiwater_vm = field(mm, layout!(mm_hiwater_vm));
        f.map_count = field::<i32>(mm, layout!(mm_map_count)) as u32;
        f.flags = FIGURES_KNOWN;
    }
    if let Some(c) = counters {
        // SAFETY: as above.
        unsafe {
            f.enters_after = InFlight::entered(core::ptr::read_volatile(&(*c).calls));
            f.lost = core::ptr::read_volatile(&(*c).lost) as u32;
        }
    }
    f
}

/// Resident memory of `mm` (which may be null), in pages: each counter summed exactly, as
/// `/proc/PID/status` sums it (its folded `count` and every CPU's part not yet folded in).
#[inline(always)]
pub fn resident(mm: *const u8) -> Resident {
    if mm.is_null() {
        return Resident::default();
    }
    let counters = [
        (layout!(rss_file), layout!(rss_file_cpu)),
        (layout!(rss_anon), layout!(rss_anon_cpu)),
        (layout!(rss_shmem), layout!(rss_shmem_cpu)),
        (layout!(rss_swap), layout!(rss_swap_cpu)),
    ];
    let mut total = [0i64; 4];
    let mut parts = [0u64; 4];
    for i in 0..4 {
        total[i] = field(mm, counters[i].0);
        parts[i] = field::<u64>(mm, counters[i].1);
    }
    if let Some(pptr) = probe_pptr() {
        let cpus = layout!(nr_cpus) as u32;
        let mut cpu = 0u32;
        while cpu < vmmon_common::MAX_CPUS && cpu < cpus {
            if let Some(offset) = cpu_offset(cpu, pptr) {
                for i in 0..4 {
                    let at = parts[i].wrapping_add(offset) as *const i32;
                    // SAFETY: a checked kernel read; a fault gives an error, counted as 0.
                    total[i] += i64::from(unsafe { bpf_probe_read_kernel(at) }.unwrap_or(0));
                }
            }
            cpu += 1;
        }
    }
    let pages = |v: i64| v.max(0) as u64;
    Resident {
        hiwater_rss: field(mm, layout!(mm_hiwater_rss)),
        file: pages(total[0]),
        anon: pages(total[1]),
        shmem: pages(total[2]),
        swap: pages(total[3]),
    }
}

/// A pointer's value as a plain number (copied through the stack, so that the verifier does
/// not track it as a pointer any more).
#[inline(always)]
fn address<T>(p: *const T) -> u64 {
    let slot = p as u64;
    // SAFETY: reads our own stack slot.
    unsafe { bpf_probe_read_kernel(&slot as *const u64) }.unwrap_or(0)
}

/// The per-CPU pointer of the first element of our per-CPU map [`COUNTERS`], read from the
/// map's `struct bpf_array`; `None` when its layout is not known.
#[inline(always)]
fn probe_pptr() -> Option<u64> {
    let at = layout!(bpf_array_pptrs) as u64;
    if at == 0 || layout!(nr_cpus) == 0 {
        return None;
    }
    let map = address(&COUNTERS as *const _);
    // SAFETY: a checked kernel read of the map's own struct.
    unsafe { bpf_probe_read_kernel((map + at) as *const u64) }.ok()
}

/// The kernel's per-CPU offset of `cpu` (what `per_cpu_ptr` adds to a per-CPU pointer): where
/// our map's first element is on `cpu`, less its per-CPU pointer `pptr`.
#[inline(always)]
fn cpu_offset(cpu: u32, pptr: u64) -> Option<u64> {
    let key = 0u32;
    // SAFETY: our own per-CPU array map and a valid key; null past the possible CPUs.
    let elem = unsafe {
        bpf_map_lookup_percpu_elem(
            &COUNTERS as *const _ as *mut core::ffi::c_void,
            &key as *const u32 as *const core::ffi::c_void,
            cpu,
        )
    };
    (!elem.is_null()).then(|| address(elem).wrapping_sub(pptr))
}
