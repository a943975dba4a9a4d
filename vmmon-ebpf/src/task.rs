//! Reading a task and its address space through BTF-typed pointers, at the offsets the agent
//! resolved from the running kernel (the global layout), and the figures every record carries.

use crate::layout;
use crate::maps::process;
use aya_ebpf::helpers::generated::bpf_get_current_task_btf;
use vmmon_common::{COMM_LEN, FIGURES_KNOWN, Figures, Resident};

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
            f.inflight = core::ptr::read_volatile(&(*c).inflight) as u32;
            f.enters_before = core::ptr::read_volatile(&(*c).enters) as u32;
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
            f.enters_after = core::ptr::read_volatile(&(*c).enters) as u32;
            f.lost = core::ptr::read_volatile(&(*c).lost) as u32;
        }
    }
    f
}

/// Resident memory of `mm` (which may be null), in pages.
#[inline(always)]
pub fn resident(mm: *const u8) -> Resident {
    if mm.is_null() {
        return Resident::default();
    }
    // The per-CPU counters' approximate totals, as /proc/PID/status reads them.
    let pages = |offset: usize| field::<i64>(mm, offset).max(0) as u64;
    Resident {
        hiwater_rss: field(mm, layout!(mm_hiwater_rss)),
        file: pages(layout!(rss_file)),
        anon: pages(layout!(rss_anon)),
        shmem: pages(layout!(rss_shmem)),
        swap: pages(layout!(rss_swap)),
    }
}
