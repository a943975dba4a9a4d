//! Call sites of the calls that grow an address space: the return address at the user
//! stack pointer (syscall wrappers push nothing before `syscall`, so it is the wrapper's
//! caller even in binaries without frame pointers), then a frame-pointer walk above it, as
//! deep as the agent asks. The frames go into `STACKS` once, under a hash of them; a record
//! carries that hash.

use crate::kernel::Regs;
use crate::maps::{STACKS, count, read_global};
use aya_ebpf::{helpers::bpf_probe_read_user, macros::map, maps::PerCpuArray};
use vmmon_common::linux::{EEXIST, ENOMEM, is_err_value};
use vmmon_common::{
    Counter, DEFAULT_SITE_DEPTH, EventKind, SITE_FRAMES, SITES_OFF, SiteFrames, SiteRecord,
};

/// Where a call site's frames are gathered (too big for the program's stack).
#[map]
static SITE_SCRATCH: PerCpuArray<SiteFrames> = PerCpuArray::with_max_entries(1, 0);

/// The least bytes a growing call must add to have its site captured; `SITES_OFF`: none.
#[unsafe(no_mangle)]
static SITE_MIN_BYTES: u64 = SITES_OFF;

/// The most frames kept per site.
#[unsafe(no_mangle)]
static SITE_DEPTH: u32 = DEFAULT_SITE_DEPTH;

/// How far above the stack pointer a frame may be: further is taken for a register that
/// holds something else than a frame pointer.
const STACK_SPAN: u64 = 256 << 20;

/// `BPF_NOEXIST`.
const NOEXIST: u64 = 1;

/// Whether the call site of a call of `kind` with `args` that returned `ret` is captured:
/// every call the kernel refused for want of memory or of room for a mapping (`ENOMEM`, a
/// `brk` that did not move the break where asked), whatever its size and the threshold, so
/// that the agent keeps where it came from; and, unless sites are off, every call that grew
/// the address space by at least the threshold: mmap by its length, mremap by its growth (by
/// its new length when it moved), brk when it moved the break (its old end is not at hand
/// here), shmat always (the segment's size is not in the call).
#[inline(always)]
pub fn wanted(kind: EventKind, args: &[u64; 6], ret: i64) -> bool {
    if refused(kind, args, ret) {
        return true;
    }
    let min = read_global(&SITE_MIN_BYTES);
    if min == SITES_OFF || is_err_value(ret) {
        return false;
    }
    let bytes = match kind {
        EventKind::Mmap => args[1],
        EventKind::Mremap if ret as u64 != args[0] => args[2],
        EventKind::Mremap => args[2].saturating_sub(args[1]),
        EventKind::Brk if ret as u64 == args[0] && args[0] != 0 => u64::MAX,
        EventKind::Shmat => u64::MAX,
        _ => 0,
    };
    bytes > 0 && bytes >= min
}

/// Whether the kernel refused a call that would have grown the address space for want of
/// memory or of room for a mapping.
#[inline(always)]
fn refused(kind: EventKind, args: &[u64; 6], ret: i64) -> bool {
    match kind {
        EventKind::Brk => args[0] != 0 && ret as u64 != args[0],
        // Any call that had to split a mapping can find no room for one more.
        _ => ret == -i64::from(ENOMEM),
    }
}

#[inline(always)]
fn mix(h: u64, v: u64) -> u64 {
    (h ^ v).wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(29)
}

/// The call site of the current syscall, given its registers.
#[inline(always)]
#[expect(
    clippy::needless_borrows_for_generic_args,
    reason = "the frames by value would be a copy of 264 bytes on the 512-byte BPF stack"
)]
pub fn capture(regs: Regs) -> SiteRecord {
    let (sp, mut fp) = regs.stack();
    let caller = if fp == sp {
        // A wrapper built with frame pointers (`push rbp; mov rbp, rsp`) made a frame: the
        // word at sp is the saved frame pointer, the return address is above it.
        // SAFETY: reads user memory through the helper, which fails rather than faults.
        let Ok(frame) = (unsafe { bpf_probe_read_user(sp as *const [u64; 2]) }) else {
            return SiteRecord::default();
        };
        fp = frame[0];
        frame[1]
    } else {
        // SAFETY: as above.
        let Ok(word) = (unsafe { bpf_probe_read_user(sp as *const u64) }) else {
            return SiteRecord::default();
        };
        word
    };
    if caller == 0 {
        return SiteRecord::default();
    }
    count(Counter::SitesCaptured);
    let mut site = SiteRecord { caller, stack: 0 };
    let Some(scratch) = SITE_SCRATCH.get_ptr_mut(0) else {
        return site;
    };
    let depth = read_global(&SITE_DEPTH) as usize;
    // SAFETY: this CPU's scratch entry; programs do not nest on one CPU here.
    let frames = unsafe { &mut (*scratch).frames };
    frames[0] = caller;
    let mut hash = mix(0x6a09_e667_f3bc_c908, caller);
    let mut len = 1;
    while len < SITE_FRAMES && len < depth {
        if fp < sp || fp - sp > STACK_SPAN || fp & 7 != 0 {
            break;
        }
        // SAFETY: as above.
        let Ok(frame) = (unsafe { bpf_probe_read_user(fp as *const [u64; 2]) }) else {
            break;
        };
        if frame[1] == 0 {
            break;
        }
        frames[len] = frame[1];
        hash = mix(hash, frame[1]);
        len += 1;
        if frame[0] <= fp {
            break;
        }
        fp = frame[0];
    }
    // SAFETY: as above.
    unsafe { (*scratch).len = len as u32 };
    let id = mix(hash, len as u64) | 1;
    // Most sites repeat: a lookup (inlined by the verifier) is far cheaper than an insert
    // that finds the key there, and marks the entry recently used.
    if STACKS.get_ptr(id).is_some() {
        site.stack = id;
        return site;
    }
    // SAFETY: as above: the entry is not changed while the map copies it.
    match STACKS.insert(id, unsafe { &*scratch }, NOEXIST) {
        Ok(()) => site.stack = id,
        // EEXIST: the frames are already stored under that id.
        Err(e) if e == -EEXIST => site.stack = id,
        Err(_) => count(Counter::SitesUnstored),
    }
    site
}
