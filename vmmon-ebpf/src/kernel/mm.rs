//! [`Mm`]: a `struct mm_struct *`.

use super::read_field;
use crate::layout;
use core::ptr::NonNull;

/// An address space: a `struct mm_struct *` the verifier knows by its BTF type, or null (a
/// kernel thread's, or when the layout of address spaces is not known). Made only by
/// [`super::Task::mm`], which reads it only when `LAYOUT.mm_known` is set: the offsets its
/// accessors read are then all resolved. Its accessors may be called only when it is not
/// null.
///
/// Null rather than an `Option`: with an `Option` in between, LLVM duplicates every record's
/// figures into both arms of the process lookup (40 more instructions in `syscall_exit`).
#[derive(Clone, Copy)]
pub struct Mm(*mut u8);

impl Mm {
    /// # Safety
    /// `ptr` must be null or a `struct mm_struct *` the verifier knows by its BTF type, and
    /// the `mm_*` and `rss_*` offsets of `LAYOUT` resolved (`LAYOUT.mm_known` set).
    #[inline(always)]
    pub(super) unsafe fn from_btf(ptr: *mut u8) -> Self {
        Mm(ptr)
    }

    /// None: a kernel thread's, or not known.
    #[inline(always)]
    pub fn null() -> Self {
        Mm(core::ptr::null_mut())
    }

    /// Whether there is none (the accessors may not be called).
    #[inline(always)]
    pub fn is_null(self) -> bool {
        self.0.is_null()
    }

    /// The pointer, for the accessors.
    ///
    /// # Safety
    /// `self` must not be null.
    #[inline(always)]
    unsafe fn object(self) -> NonNull<u8> {
        // SAFETY: not null, by the caller's contract.
        unsafe { NonNull::new_unchecked(self.0) }
    }

    /// `total_vm` (pages).
    ///
    /// # Safety
    /// `self` must not be null.
    #[inline(always)]
    pub unsafe fn total_vm(self) -> u64 {
        // SAFETY: an address space (the type's invariant and the caller's contract);
        // `mm_struct.total_vm` is an `unsigned long`.
        unsafe { read_field(self.object(), layout!(mm_total_vm)) }
    }

    /// `hiwater_vm` (pages).
    ///
    /// # Safety
    /// `self` must not be null.
    #[inline(always)]
    pub unsafe fn hiwater_vm(self) -> u64 {
        // SAFETY: as for `total_vm`; an `unsigned long`.
        unsafe { read_field(self.object(), layout!(mm_hiwater_vm)) }
    }

    /// `map_count`: its mappings.
    ///
    /// # Safety
    /// `self` must not be null.
    #[inline(always)]
    pub unsafe fn map_count(self) -> u32 {
        // SAFETY: as for `total_vm`; an `int`.
        unsafe { read_field::<i32>(self.object(), layout!(mm_map_count)) as u32 }
    }

    /// `hiwater_rss` (pages).
    ///
    /// # Safety
    /// `self` must not be null.
    #[inline(always)]
    pub unsafe fn hiwater_rss(self) -> u64 {
        // SAFETY: as for `total_vm`; an `unsigned long`.
        unsafe { read_field(self.object(), layout!(mm_hiwater_rss)) }
    }

    /// The first word of `flags`, whose low two bits are the dumpable mode. Read only when
    /// `LAYOUT.creds_known` is set (which resolves it).
    ///
    /// # Safety
    /// `self` must not be null.
    #[inline(always)]
    pub unsafe fn flags(self) -> u64 {
        // SAFETY: as for `total_vm`; an `unsigned long` (a one-word bitmap since 6.18).
        unsafe { read_field(self.object(), layout!(mm_flags)) }
    }

    /// The resident-memory counters `rss_stat[]` in the order file, anon, shmem, swap: each
    /// one's folded `count`, and its per-CPU parts (`counters`, an `s32 __percpu *`) as a
    /// number, to be offset per CPU.
    ///
    /// # Safety
    /// `self` must not be null.
    #[inline(always)]
    pub unsafe fn rss_counters(self) -> ([i64; 4], [u64; 4]) {
        let counters = [
            (layout!(rss_file), layout!(rss_file_cpu)),
            (layout!(rss_anon), layout!(rss_anon_cpu)),
            (layout!(rss_shmem), layout!(rss_shmem_cpu)),
            (layout!(rss_swap), layout!(rss_swap_cpu)),
        ];
        let mut total = [0i64; 4];
        let mut parts = [0u64; 4];
        for i in 0..4 {
            // SAFETY: as for `total_vm`; `percpu_counter.count` is an `s64`, `.counters` a
            // pointer (read as a number).
            unsafe {
                total[i] = read_field(self.object(), counters[i].0);
                parts[i] = read_field::<u64>(self.object(), counters[i].1);
            }
        }
        (total, parts)
    }
}
