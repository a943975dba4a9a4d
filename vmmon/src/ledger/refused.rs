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
mod tests;
