//! The reference the ledger is held to: an address space kept as one entry per page, every
//! call applied page by page as the kernel would, and random sequences of calls to apply.

use crate::event::Kind;
use crate::ledger::{PAGE, Perms, RegionKind};
use proptest::prelude::*;
use std::collections::BTreeMap;

pub(super) const BASE: u64 = 0x7f00_0000_0000;
pub(super) const SPAN: u64 = 96; // pages in play

pub(super) fn addr(page: u64) -> u64 {
    BASE + page * PAGE
}

/// The reference: page -> (perms, kind), heap start and break.
#[derive(Default)]
pub(super) struct Model {
    pub(super) pages: BTreeMap<u64, (Perms, RegionKind)>,
    brk_start: Option<u64>,
    brk: Option<u64>,
}

impl Model {
    fn set(&mut self, from: u64, n: u64, v: (Perms, RegionKind)) {
        for p in from..from + n {
            self.pages.insert(p, v);
        }
    }
    fn clear(&mut self, from: u64, n: u64) {
        for p in from..from + n {
            self.pages.remove(&p);
        }
    }
    fn free(&self, from: u64, n: u64) -> bool {
        (from..from + n).all(|p| !self.pages.contains_key(&p))
    }
    fn first_free(&self, n: u64, not_in: Option<(u64, u64)>) -> Option<u64> {
        (0..=SPAN.saturating_sub(n))
            .find(|&p| self.free(p, n) && not_in.is_none_or(|(s, e)| p + n <= s || p >= e))
    }
}

#[derive(Clone, Debug)]
pub(super) enum Op {
    /// mmap of `n` pages; `fixed` at `page`, else where the "kernel" finds room.
    Mmap {
        page: u64,
        n: u64,
        prot: u32,
        shared: bool,
        anon: bool,
        fixed: bool,
    },
    Munmap {
        page: u64,
        n: u64,
    },
    Mprotect {
        page: u64,
        n: u64,
        prot: u32,
        pkey: bool,
    },
    /// mremap of `[page, page+n)` to `new_n` pages: in place when it fits, else moved (to
    /// `dest` with MREMAP_FIXED, or to free room); `dontunmap` keeps the source.
    Mremap {
        page: u64,
        n: u64,
        new_n: u64,
        dest: Option<u64>,
        dontunmap: bool,
    },
    /// Move the break by `delta` pages from where it is.
    Brk {
        delta: i64,
    },
    /// Any of the calls, failed: must change nothing.
    Failed {
        which: u8,
        page: u64,
        n: u64,
    },
}

pub(super) fn op() -> impl Strategy<Value = Op> {
    let page = 0..SPAN;
    let n = 1..12u64;
    prop_oneof![
        4 => (page.clone(), n.clone(), 0..8u32, any::<bool>(), any::<bool>(), any::<bool>())
            .prop_map(|(page, n, prot, shared, anon, fixed)| Op::Mmap { page, n, prot, shared, anon, fixed }),
        2 => (page.clone(), n.clone()).prop_map(|(page, n)| Op::Munmap { page, n }),
        3 => (page.clone(), n.clone(), 0..8u32, any::<bool>())
            .prop_map(|(page, n, prot, pkey)| Op::Mprotect { page, n, prot, pkey }),
        3 => (page.clone(), n.clone(), 0..16u64, proptest::option::of(page.clone()), any::<bool>())
            .prop_map(|(page, n, new_n, dest, dontunmap)| Op::Mremap { page, n, new_n, dest, dontunmap }),
        2 => (-6..10i64).prop_map(|delta| Op::Brk { delta }),
        1 => (0..5u8, page, n).prop_map(|(which, page, n)| Op::Failed { which, page, n }),
    ]
}

const HEAP_START: u64 = 200; // pages: the heap lives above the mmap area in this test

/// Turns `op` into the event the kernel would report, updating the model as the kernel would
/// change the address space. `None` when the kernel would refuse the call in a way the test
/// does not model (then no event is applied to either side).
pub(super) fn kernel(model: &mut Model, op: &Op) -> Option<Kind> {
    let prot_of = |prot: u32, shared: bool| Perms::from_prot(prot, shared);
    match *op {
        Op::Mmap {
            page,
            n,
            prot,
            shared,
            anon,
            fixed,
        } => {
            let n = n.min(SPAN - page.min(SPAN - 1));
            let at = if fixed {
                page
            } else {
                model.first_free(n, None)?
            };
            let kind = match (anon, shared) {
                (true, true) => RegionKind::Shm,
                (true, false) => RegionKind::Anon,
                (false, _) => RegionKind::File,
            };
            model.set(at, n, (prot_of(prot, shared), kind));
            let flags = if shared { 1 } else { 2 }
                | if anon { 0x20 } else { 0 }
                | if fixed { 0x10 } else { 0 };
            Some(Kind::Mmap {
                addr: if fixed { addr(page) } else { 0 },
                len: n * PAGE - 7, // lengths round up to pages
                prot,
                flags,
                fd: if anon { -1 } else { 3 },
                offset: 0,
                ret: addr(at) as i64,
            })
        }
        Op::Munmap { page, n } => {
            model.clear(page, n);
            Some(Kind::Munmap {
                addr: addr(page),
                len: n * PAGE,
                ret: 0,
            })
        }
        Op::Mprotect {
            page,
            n,
            prot,
            pkey,
        } => {
            // The kernel fails (ENOMEM) unless the whole range is mapped.
            let mapped = (page..page + n).all(|p| model.pages.contains_key(&p));
            let ret = if mapped {
                for p in page..page + n {
                    let e = model.pages.get_mut(&p).expect("mapped");
                    e.0 = e.0.with_prot(prot);
                }
                0
            } else {
                -12
            };
            Some(if pkey {
                Kind::PkeyMprotect {
                    addr: addr(page),
                    len: n * PAGE,
                    prot,
                    pkey: -1,
                    ret,
                }
            } else {
                Kind::Mprotect {
                    addr: addr(page),
                    len: n * PAGE,
                    prot,
                    ret,
                }
            })
        }
        Op::Mremap {
            page,
            n,
            new_n,
            dest,
            dontunmap,
        } => {
            // The source must be mapped as one kind of mapping (one VMA in the kernel).
            let first = *model.pages.get(&page)?;
            if !(page..page + n).all(|p| model.pages.get(&p) == Some(&first)) {
                return None;
            }
            let old_len = n * PAGE;
            if dontunmap {
                // MREMAP_DONTUNMAP: same size, always moves, the source stays (anonymous private only).
                if first.1 != RegionKind::Anon {
                    return None;
                }
                let to = model.first_free(n, Some((page, page + n)))?;
                model.set(to, n, first);
                return Some(Kind::Mremap {
                    old_addr: addr(page),
                    old_len,
                    new_len: old_len,
                    flags: 1 | 4,
                    new_addr: 0,
                    ret: addr(to) as i64,
                });
            }
            let new_n = new_n.max(1);
            let new_len = new_n * PAGE;
            if let Some(d) = dest {
                // MREMAP_FIXED: the destination must not overlap the source; it is replaced.
                if d + new_n > SPAN || (d < page + n && page < d + new_n) {
                    return None;
                }
                model.clear(page, n);
                model.clear(d, new_n);
                model.set(d, new_n, first);
                return Some(Kind::Mremap {
                    old_addr: addr(page),
                    old_len,
                    new_len,
                    flags: 1 | 2,
                    new_addr: addr(d),
                    ret: addr(d) as i64,
                });
            }
            if new_n <= n || (page + new_n <= SPAN && model.free(page + n, new_n - n)) {
                model.clear(page + new_n.min(n), n - new_n.min(n));
                model.set(page, new_n, first);
                return Some(Kind::Mremap {
                    old_addr: addr(page),
                    old_len,
                    new_len,
                    flags: 1,
                    new_addr: 0,
                    ret: addr(page) as i64,
                });
            }
            // The kernel finds room while the source is still mapped, then moves it.
            let to = model.first_free(new_n, None)?;
            model.clear(page, n);
            model.set(to, new_n, first);
            Some(Kind::Mremap {
                old_addr: addr(page),
                old_len,
                new_len,
                flags: 1,
                new_addr: 0,
                ret: addr(to) as i64,
            })
        }
        Op::Brk { delta } => {
            let start = HEAP_START;
            let cur = model.brk.unwrap_or(start);
            let new = (cur as i64 + delta).clamp(start as i64, start as i64 + 40) as u64;
            if model.brk.is_none() {
                model.brk_start = Some(start);
                model.brk = Some(start);
                return Some(Kind::Brk {
                    addr: 0,
                    ret: addr(start) as i64,
                });
            }
            // The kernel refuses to grow into a mapping; then the break stays.
            let grow_ok = (cur..new).all(|p| !model.pages.contains_key(&p));
            if new > cur && !grow_ok {
                return Some(Kind::Brk {
                    addr: addr(new),
                    ret: addr(cur) as i64,
                });
            }
            if new > cur {
                model.set(
                    cur,
                    new - cur,
                    (Perms::from_prot(3, false), RegionKind::Heap),
                );
            } else {
                model.clear(new, cur - new);
            }
            model.brk = Some(new);
            Some(Kind::Brk {
                addr: addr(new),
                ret: addr(new) as i64,
            })
        }
        Op::Failed { which, page, n } => Some(match which {
            0 => Kind::Mmap {
                addr: addr(page),
                len: n * PAGE,
                prot: 3,
                flags: 0x32,
                fd: -1,
                offset: 0,
                ret: -12,
            },
            1 => Kind::Munmap {
                addr: addr(page) + 1,
                len: n * PAGE,
                ret: -22,
            },
            2 => Kind::Mprotect {
                addr: addr(page),
                len: n * PAGE,
                prot: 7,
                ret: -13,
            },
            3 => Kind::Mremap {
                old_addr: addr(page),
                old_len: n * PAGE,
                new_len: 2 * n * PAGE,
                flags: 0,
                new_addr: 0,
                ret: -12,
            },
            _ => Kind::PkeyMprotect {
                addr: addr(page),
                len: n * PAGE,
                prot: 1,
                pkey: 5,
                ret: -22,
            },
        }),
    }
}
