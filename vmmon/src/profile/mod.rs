//! What call sites still hold, in the formats the ecosystem's tools read: pprof's
//! `profile.proto` as a heap profile (`inuse_objects` in mappings, `inuse_space` in bytes), and
//! folded stacks drawn as a flame graph. Pure: named sites in, bytes out.

mod flame;
mod pprof;

pub use flame::{flame_graph, folded};
pub use pprof::{PprofBuilder, decode_pprof, encode_pprof};

use crate::ledger::RegionMap;
use crate::symbolize::SiteView;

/// One process's named call sites, with what a profile labels them by and the mappings
/// their frames are in.
#[derive(Clone, Copy, Debug)]
pub struct ProcessProfile<'a> {
    pub pid: u32,
    pub comm: &'a str,
    /// The container or systemd unit, when known.
    pub unit: Option<&'a str>,
    /// Its mappings (a frame's mapping gives the profile's `Mapping`: its range, file offset
    /// and file); `None` when not at hand, then frames carry their addresses alone.
    pub regions: Option<&'a RegionMap>,
    /// Most bytes first; the bytes of no captured call as the entry with no site.
    pub sites: &'a [SiteView],
}

/// The name a frame has in a profile: its function, else its place in its module, else its
/// address.
pub fn frame_name(f: &crate::symbolize::Frame) -> String {
    match (&f.function, &f.module, f.offset) {
        (Some(name), _, _) => name.clone(),
        (None, Some(m), Some(o)) => format!("{m}+{o:#x}"),
        (None, Some(m), None) => format!("{m} {:#x}", f.address),
        (None, None, _) => format!("{:#x}", f.address),
    }
}

/// What stands for the bytes no captured call made (mapped before the agent started, by
/// exec, or by calls under the capture threshold).
pub const NO_CAPTURED_CALL: &str = "[no captured call]";
