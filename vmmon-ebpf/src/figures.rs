//! The figures records carry: an address space's size and mappings with its process's calls
//! in flight ([`figures`]), and its resident memory summed exactly ([`resident`]).

use crate::kernel::Mm;
use crate::layout;
use crate::maps::{COUNTERS, process};
use aya_ebpf::helpers::bpf_probe_read_kernel;
use aya_ebpf::helpers::generated::bpf_map_lookup_percpu_elem;
use vmmon_common::{FIGURES_KNOWN, Figures, InFlight, Resident};

/// The figures of `mm` (which may be null) and of process `tgid`'s calls. The calls are read
/// around the figures: a call that began meanwhile shows as a change in `enters`.
#[inline(always)]
pub fn figures(mm: Mm, tgid: u32) -> Figures {
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
        // SAFETY: not null.
        unsafe {
            f.total_vm = mm.total_vm();
            f.hiwater_vm = mm.hiwater_vm();
            f.map_count = mm.map_count();
        }
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
pub fn resident(mm: Mm) -> Resident {
    if mm.is_null() {
        return Resident::default();
    }
    // SAFETY: not null.
    let (mut total, parts) = unsafe { mm.rss_counters() };
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
        // SAFETY: not null.
        hiwater_rss: unsafe { mm.hiwater_rss() },
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
