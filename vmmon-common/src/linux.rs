//! The kernel's numbers for the flags vmmon reads: `PROT_*`, `MAP_*`, `MREMAP_*`, `CLONE_*`
//! (x86_64, from the uapi headers). Each set comes with a table of names, so that the values
//! the ledger acts on and the names `vmmon trace` prints are written once.

macro_rules! named {
    (
        $(#[$table_doc:meta])* $table:ident: $ty:ty {
            $($(#[$doc:meta])* $name:ident = $value:expr,)*
        }
    ) => {
        $($(#[$doc])* pub const $name: $ty = $value;)*
        $(#[$table_doc])*
        pub const $table: &[($ty, &str)] = &[$(($name, stringify!($name)),)*];
    };
}

named! {
    /// The `PROT_*` bits with their names.
    PROT_NAMES: u32 {
        /// Readable.
        PROT_READ = 0x1,
        /// Writable.
        PROT_WRITE = 0x2,
        /// Executable.
        PROT_EXEC = 0x4,
        /// Usable for atomics (ignored on x86).
        PROT_SEM = 0x8,
        /// mprotect: extend the change down to the start of a grows-down mapping.
        PROT_GROWSDOWN = 0x0100_0000,
        /// mprotect: extend the change up to the end of a grows-up mapping.
        PROT_GROWSUP = 0x0200_0000,
    }
}

/// The size of a page, which lengths round up to and the kernel's page counts are in.
pub const PAGE_SIZE: u64 = 4096;

/// `EEXIST`: a map entry that must be new exists already.
pub const EEXIST: i32 = 17;
/// `ENOMEM`: no memory, or no room for one more mapping (`vm.max_map_count`).
pub const ENOMEM: i32 = 12;
/// The largest errno: a syscall's result in `-MAX_ERRNO..0` is an error (the kernel's
/// `IS_ERR_VALUE`), any other is a value (an address may be "negative").
pub const MAX_ERRNO: i64 = 4095;

/// Whether a syscall's result `ret` is an error, `-errno` (see [`MAX_ERRNO`]).
#[inline(always)]
pub const fn is_err_value(ret: i64) -> bool {
    -MAX_ERRNO <= ret && ret < 0
}

/// The bits of a protection that are access rights (read, write, exec).
pub const PROT_ACCESS: u32 = PROT_READ | PROT_WRITE | PROT_EXEC;

/// The mapping type: a 4-bit field of the mmap flags, not independent bits.
pub const MAP_TYPE: u32 = 0x0f;

named! {
    /// The mapping types (values of [`MAP_TYPE`]) with their names.
    MAP_TYPE_NAMES: u32 {
        /// Changes are shared with other mappings of the object.
        MAP_SHARED = 0x1,
        /// Changes are private (copy-on-write).
        MAP_PRIVATE = 0x2,
        /// Shared, with unknown flags refused.
        MAP_SHARED_VALIDATE = 0x3,
    }
}

named! {
    /// The mmap flag bits (besides the type and the huge page size) with their names.
    MAP_NAMES: u32 {
        /// Exactly at the address, replacing what is there.
        MAP_FIXED = 0x10,
        /// Not backed by a file.
        MAP_ANONYMOUS = 0x20,
        /// In the first 2 GiB.
        MAP_32BIT = 0x40,
        /// A stack that grows down.
        MAP_GROWSDOWN = 0x100,
        /// Ignored (historical).
        MAP_DENYWRITE = 0x800,
        /// Ignored (historical).
        MAP_EXECUTABLE = 0x1000,
        /// Locked in memory.
        MAP_LOCKED = 0x2000,
        /// No swap reserved.
        MAP_NORESERVE = 0x4000,
        /// Faulted in at once.
        MAP_POPULATE = 0x8000,
        /// With `MAP_POPULATE`: do not block on I/O.
        MAP_NONBLOCK = 0x1_0000,
        /// Suitable for a thread stack.
        MAP_STACK = 0x2_0000,
        /// Huge pages.
        MAP_HUGETLB = 0x4_0000,
        /// Synchronous page faults (DAX).
        MAP_SYNC = 0x8_0000,
        /// Exactly at the address, failing if something is there.
        MAP_FIXED_NOREPLACE = 0x10_0000,
        /// Not cleared (embedded systems).
        MAP_UNINITIALIZED = 0x400_0000,
    }
}

/// The huge page size of a `MAP_HUGETLB` mapping, as log2, is at this shift in the flags.
pub const MAP_HUGE_SHIFT: u32 = 26;
/// The mask of that log2 (after the shift).
pub const MAP_HUGE_MASK: u32 = 0x3f;

named! {
    /// The mremap flags with their names.
    MREMAP_NAMES: u32 {
        /// The mapping may move.
        MREMAP_MAYMOVE = 0x1,
        /// Move to the given new address.
        MREMAP_FIXED = 0x2,
        /// Leave the old range mapped (emptied).
        MREMAP_DONTUNMAP = 0x4,
    }
}

named! {
    /// The clone flags (above the exit signal's low byte) with their names.
    CLONE_NAMES: u64 {
        /// The child shares the parent's address space.
        CLONE_VM = 0x100,
        /// Shares the filesystem information.
        CLONE_FS = 0x200,
        /// Shares the file descriptor table.
        CLONE_FILES = 0x400,
        /// Shares the signal handlers.
        CLONE_SIGHAND = 0x800,
        /// Returns a pidfd.
        CLONE_PIDFD = 0x1000,
        /// Traced if the parent is.
        CLONE_PTRACE = 0x2000,
        /// The parent sleeps until the child execs or exits.
        CLONE_VFORK = 0x4000,
        /// The child's parent is the caller's parent.
        CLONE_PARENT = 0x8000,
        /// The child is a thread of the parent's process.
        CLONE_THREAD = 0x1_0000,
        /// New mount namespace.
        CLONE_NEWNS = 0x2_0000,
        /// Shares System V semaphore undo lists.
        CLONE_SYSVSEM = 0x4_0000,
        /// Sets the thread-local storage.
        CLONE_SETTLS = 0x8_0000,
        /// Stores the child's tid in the parent.
        CLONE_PARENT_SETTID = 0x10_0000,
        /// Clears the child's tid at its exit.
        CLONE_CHILD_CLEARTID = 0x20_0000,
        /// Not traced even if the parent is.
        CLONE_UNTRACED = 0x80_0000,
        /// Stores the child's tid in the child.
        CLONE_CHILD_SETTID = 0x100_0000,
        /// New cgroup namespace.
        CLONE_NEWCGROUP = 0x200_0000,
        /// New UTS namespace.
        CLONE_NEWUTS = 0x400_0000,
        /// New IPC namespace.
        CLONE_NEWIPC = 0x800_0000,
        /// New user namespace.
        CLONE_NEWUSER = 0x1000_0000,
        /// New pid namespace.
        CLONE_NEWPID = 0x2000_0000,
        /// New network namespace.
        CLONE_NEWNET = 0x4000_0000,
        /// Shares the I/O context.
        CLONE_IO = 0x8000_0000,
    }
}

/// The low byte of clone flags: the signal sent to the parent at the child's exit, not a flag.
pub const CSIGNAL: u64 = 0xff;

/// The x86_64 numbers of the syscalls vmmon traces.
pub mod nr {
    /// `mmap`.
    pub const MMAP: u64 = 9;
    /// `mprotect`.
    pub const MPROTECT: u64 = 10;
    /// `munmap`.
    pub const MUNMAP: u64 = 11;
    /// `brk`.
    pub const BRK: u64 = 12;
    /// `mremap`.
    pub const MREMAP: u64 = 25;
    /// `madvise`.
    pub const MADVISE: u64 = 28;
    /// `shmat`.
    pub const SHMAT: u64 = 30;
    /// `shmdt`.
    pub const SHMDT: u64 = 67;
    /// `mlock`.
    pub const MLOCK: u64 = 149;
    /// `munlock`.
    pub const MUNLOCK: u64 = 150;
    /// `mlockall`.
    pub const MLOCKALL: u64 = 151;
    /// `munlockall`.
    pub const MUNLOCKALL: u64 = 152;
    /// `prctl`.
    pub const PRCTL: u64 = 157;
    /// `remap_file_pages`.
    pub const REMAP_FILE_PAGES: u64 = 216;
    /// `mbind`.
    pub const MBIND: u64 = 237;
    /// `mlock2`.
    pub const MLOCK2: u64 = 325;
    /// `pkey_mprotect`.
    pub const PKEY_MPROTECT: u64 = 329;
    /// `set_mempolicy_home_node`.
    pub const SET_MEMPOLICY_HOME_NODE: u64 = 450;
    /// `map_shadow_stack`.
    pub const MAP_SHADOW_STACK: u64 = 453;
    /// `mseal`.
    pub const MSEAL: u64 = 462;
}

named! {
    /// The madvise advices that change a mapping's flags (and so may split or merge
    /// mappings), with their names. The others (`MADV_DONTNEED`, `MADV_FREE`, ...) change
    /// what is resident, not the mappings, and are not traced.
    MADV_FLAG_NAMES: u32 {
        /// No special treatment.
        MADV_NORMAL = 0,
        /// Expect random references.
        MADV_RANDOM = 1,
        /// Expect sequential references.
        MADV_SEQUENTIAL = 2,
        /// Not inherited across fork.
        MADV_DONTFORK = 10,
        /// Inherited across fork again.
        MADV_DOFORK = 11,
        /// KSM may merge its pages.
        MADV_MERGEABLE = 12,
        /// KSM may not.
        MADV_UNMERGEABLE = 13,
        /// Worth backing with huge pages.
        MADV_HUGEPAGE = 14,
        /// Not worth it.
        MADV_NOHUGEPAGE = 15,
        /// Left out of core dumps.
        MADV_DONTDUMP = 16,
        /// In core dumps again.
        MADV_DODUMP = 17,
        /// Zeroed in a forked child.
        MADV_WIPEONFORK = 18,
        /// Not zeroed in a forked child again.
        MADV_KEEPONFORK = 19,
    }
}

/// Whether madvise's `advice` changes a mapping's flags (one of [`MADV_FLAG_NAMES`]).
#[inline(always)]
pub const fn madvise_changes_flags(advice: u64) -> bool {
    const MASK: u64 = 0b111 | (0x3ff << 10);
    advice < 32 && (MASK >> advice) & 1 != 0
}

/// `prctl` option: set a mapping's attributes (its anonymous name).
pub const PR_SET_VMA: u64 = 0x5356_4d41;
/// `prctl` option: set the address space's layout (brk, stack, ... as CRIU restores them).
pub const PR_SET_MM: u64 = 35;
/// `mlockall` flag: lock what is mapped now.
pub const MCL_CURRENT: u32 = 1;
/// `mlockall` flag: lock what will be mapped.
pub const MCL_FUTURE: u32 = 2;
/// `mlockall` flag: lock pages as they fault in.
pub const MCL_ONFAULT: u32 = 4;
/// `mlock2` flag: lock pages as they fault in.
pub const MLOCK_ONFAULT: u32 = 1;
/// `shmat` flag: attach read-only.
pub const SHM_RDONLY: u32 = 0o10000;
/// `shmat` flag: attach executable.
pub const SHM_EXEC: u32 = 0o100000;

#[cfg(test)]
mod tests;
