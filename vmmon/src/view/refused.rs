//! The calls the kernel refused a process, as the API shows them (`refused` in a process and
//! in an exit). The numbers are for everyone who may see the process; the call site's
//! frames, addresses, only for who may read its maps (the API names them per peer). Pure.

use crate::ledger::{NO_SITE, Refused, RefusedCall, site_name};
use crate::symbolize::Frame;
use serde::{Deserialize, Serialize};

/// One refused call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedCallView {
    /// The syscall (`mmap`, `brk`, ...).
    pub call: String,
    /// What it asked for, in bytes (0 when the call does not say).
    pub bytes: u64,
    /// `ENOMEM`, or `refused` for a brk (which reports no errno).
    pub error: String,
    /// When (`CLOCK_MONOTONIC` ns).
    pub at_ns: u64,
    /// The kernel's `VmSize` and mapping count then; null without its figures.
    pub virtual_bytes: Option<u64>,
    pub mapping_count: Option<u32>,
    /// Its call site's id, as in `/sites`; null when it was not captured, or for a peer who
    /// may not read the process's maps.
    pub site: Option<String>,
    /// The call site's frames, named, innermost first (only where `site` is shown).
    #[serde(default)]
    pub frames: Vec<Frame>,
}

/// A process's refused calls: the first and the latest (the same when only one was).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedView {
    pub first: RefusedCallView,
    pub latest: RefusedCallView,
}

impl RefusedView {
    /// The view of what the ledger kept; `None` when nothing was refused.
    pub fn of(r: &Refused) -> Option<Self> {
        Some(Self {
            first: RefusedCallView::from(r.first.as_ref()?),
            latest: RefusedCallView::from(r.latest.as_ref()?),
        })
    }

    /// Without the call sites: what a peer who may not read the maps sees.
    pub fn numbers_only(&mut self) {
        for c in [&mut self.first, &mut self.latest] {
            c.site = None;
            c.frames.clear();
        }
    }

    /// Both calls, to name their frames.
    pub fn calls_mut(&mut self) -> [&mut RefusedCallView; 2] {
        [&mut self.first, &mut self.latest]
    }
}

impl From<&RefusedCall> for RefusedCallView {
    fn from(c: &RefusedCall) -> Self {
        Self {
            call: c.call.name().to_string(),
            bytes: c.bytes,
            error: c.errno.map_or_else(
                || "refused".to_string(),
                |e| crate::format::errno_name(e).into_owned(),
            ),
            at_ns: c.ts_ns,
            virtual_bytes: c.virtual_bytes,
            mapping_count: c.mappings,
            site: (c.site != NO_SITE).then(|| site_name(c.site)),
            frames: Vec::new(),
        }
    }
}

impl RefusedCallView {
    /// The site's id, when shown.
    pub fn site_id(&self) -> Option<u64> {
        u64::from_str_radix(self.site.as_deref()?, 16).ok()
    }
}

#[cfg(test)]
mod tests;
