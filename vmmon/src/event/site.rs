//! The call site a record carries: the caller, and the id of the frames the kernel stored.

use crate::ledger::SiteId;
use std::sync::Arc;
use vmmon_common::SiteRecord;

/// Where a call came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CallSite {
    /// The return address at the user stack pointer at the call: the caller of the syscall
    /// wrapper.
    pub caller: u64,
    /// The kernel's id of the frames it stored (0: none stored).
    pub stack: u64,
    /// The frames, innermost first (the caller first), once read from the kernel's map.
    pub frames: Option<Arc<[u64]>>,
}

impl CallSite {
    /// From a record's site; `None` when none was captured.
    pub fn from_raw(r: &SiteRecord) -> Option<Self> {
        (r.caller != 0).then_some(Self {
            caller: r.caller,
            stack: r.stack,
            frames: None,
        })
    }

    /// A site known by its frames (the caller first); tests and the reader make these.
    pub fn with_frames(stack: u64, frames: &[u64]) -> Self {
        Self {
            caller: frames.first().copied().unwrap_or(0),
            stack,
            frames: Some(frames.into()),
        }
    }

    /// Its id: the kernel's for its frames once they are read; else one made of the caller
    /// alone (even, where the kernel's are odd, so the two never meet).
    pub fn id(&self) -> SiteId {
        match self.frames {
            Some(_) if self.stack != 0 => self.stack,
            _ => self.caller << 1,
        }
    }

    /// Its frames: those read, or the caller alone.
    pub fn frames(&self) -> Arc<[u64]> {
        match &self.frames {
            Some(f) if self.stack != 0 => f.clone(),
            _ => Arc::from([self.caller].as_slice()),
        }
    }
}
