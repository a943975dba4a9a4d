//! The calls the kernel refused a process for want of memory or of room for one more mapping
//! (`ENOMEM`, a `brk` that could not move the break): the first and the latest, each with
//! its size, its call site and how full the address space was then. Pure.

use super::sites::SiteId;
use crate::event::{Event, Kind, Syscall};

/// One refused call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedCall {
    pub call: Syscall,
    /// What it asked for: an mmap's length, an mremap's new length, the growth a brk asked,
    /// the length an munmap, mprotect or madvise would have split; 0 when the call does not
    /// say (shmat).
    pub bytes: u64,
    /// Its errno (`ENOMEM`); `None` for brk, which reports none.
    pub errno: Option<i32>,
    /// Its call site (the kernel captures every refused call's).
    pub site: SiteId,
    /// `CLOCK_MONOTONIC` ns.
    pub ts_ns: u64,
    /// The kernel's `VmSize` and mapping count then; `None` without its figures.
    pub virtual_bytes: Option<u64>,
    pub mappings: Option<u32>,
}

/// A process's refused calls: the first and the latest (the same call when only one was).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Refused {
    pub first: Option<RefusedCall>,
    pub latest: Option<RefusedCall>,
}

impl Refused {
    /// Keeps `call`: the first if none was, and the latest.
    pub fn note(&mut self, call: RefusedCall) {
        if self.first.is_none() {
            self.first = Some(call.clone());
        }
        self.latest = Some(call);
    }

    /// The call sites it holds (to keep their frames).
    pub fn sites(&self) -> impl Iterator<Item = SiteId> + '_ {
        [&self.first, &self.latest]
            .into_iter()
            .flatten()
            .map(|c| c.site)
    }
}

/// The refused call `e` is, when it is one; `brk` is the break before it (what a refused brk
/// asked to grow from), `site` its call site.
pub fn refused_call(e: &Event, brk: Option<u64>, site: SiteId) -> Option<RefusedCall> {
    let (call, bytes, errno) = match e.kind {
        Kind::Brk { addr, ret } => {
            if addr == 0 || ret as u64 == addr {
                return None;
            }
            let from = brk.unwrap_or(ret as u64);
            (Syscall::Brk, addr.saturating_sub(from), None)
        }
        ref k => {
            if k.errno() != Some(libc::ENOMEM) {
                return None;
            }
            (k.syscall()?, asked_bytes(k), Some(libc::ENOMEM))
        }
    };
    Some(RefusedCall {
        call,
        bytes,
        errno,
        site,
        ts_ns: e.ts_ns,
        virtual_bytes: e.figures.map(|f| f.virtual_bytes),
        mappings: e.figures.map(|f| f.mappings),
    })
}

/// The bytes a call asked to map or change.
fn asked_bytes(kind: &Kind) -> u64 {
    match *kind {
        Kind::Mmap { len, .. }
        | Kind::Munmap { len, .. }
        | Kind::Mprotect { len, .. }
        | Kind::PkeyMprotect { len, .. } => len,
        Kind::Mremap { new_len, .. } => new_len,
        // madvise, mlock, mbind, ...: their length is the second argument when they have one.
        Kind::Adjust { call, args, .. } if call.arg_names().get(1) == Some(&"len") => args[1],
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Comm, Figures};

    fn event(kind: Kind) -> Event {
        let mut e = Event::new(7, 10, 10, Comm::from_bytes(b"t"), kind);
        e.figures = Some(Figures {
            virtual_bytes: 1 << 30,
            mappings: 65_000,
            ..Figures::default()
        });
        e
    }

    #[test]
    fn an_mmap_refused_with_enomem_is_kept_with_its_size_and_the_figures_then() {
        let mut mmap = Kind::anon_mmap(0, 64 << 20);
        if let Kind::Mmap { ret, .. } = &mut mmap {
            *ret = -12;
        }
        let c = refused_call(&event(mmap), None, 0xabc).unwrap();
        assert_eq!(
            (c.call, c.bytes, c.errno, c.site),
            (Syscall::Mmap, 64 << 20, Some(12), 0xabc)
        );
        assert_eq!(
            (c.virtual_bytes, c.mappings, c.ts_ns),
            (Some(1 << 30), Some(65_000), 7)
        );
        // Another error, or success, is no refusal.
        let mut inval = Kind::anon_mmap(0, 4096);
        if let Kind::Mmap { ret, .. } = &mut inval {
            *ret = -22;
        }
        assert!(refused_call(&event(inval), None, 0).is_none());
        assert!(refused_call(&event(Kind::anon_mmap(0x1000, 4096)), None, 0).is_none());
    }

    #[test]
    fn a_brk_that_did_not_move_is_refused_by_what_it_asked_to_grow() {
        let refused = Kind::Brk {
            addr: 0x60_0000,
            ret: 0x50_0000,
        };
        let c = refused_call(&event(refused), Some(0x50_0000), 0).unwrap();
        assert_eq!((c.call, c.bytes, c.errno), (Syscall::Brk, 0x10_0000, None));
        let query = Kind::Brk {
            addr: 0,
            ret: 0x50_0000,
        };
        assert!(refused_call(&event(query), Some(0x50_0000), 0).is_none());
        let moved = Kind::Brk {
            addr: 0x60_0000,
            ret: 0x60_0000,
        };
        assert!(refused_call(&event(moved), Some(0x50_0000), 0).is_none());
    }

    #[test]
    fn the_first_stays_and_the_latest_moves_on() {
        let mut r = Refused::default();
        let call = |ts_ns, site| RefusedCall {
            call: Syscall::Mmap,
            bytes: 4096,
            errno: Some(12),
            site,
            ts_ns,
            virtual_bytes: None,
            mappings: None,
        };
        r.note(call(1, 5));
        assert_eq!(r.first, r.latest);
        r.note(call(2, 6));
        r.note(call(3, 7));
        assert_eq!(r.first.as_ref().map(|c| c.ts_ns), Some(1));
        assert_eq!(r.latest.as_ref().map(|c| c.ts_ns), Some(3));
        assert_eq!(r.sites().collect::<Vec<_>>(), vec![5, 7]);
    }
}
