//! Who may see what (pure): the agent answers each local client as `/proc` would answer it.
//! Numbers (sizes, counts, the kernel's figures) are for everyone, as `/proc/PID/status`
//! is, unless `/proc` is mounted with `hidepid=`; addresses, paths and call sites only for a
//! peer the kernel's ptrace read check would let read the process's `/proc/PID/maps`.
//!
//! The I/O that feeds it (a peer's credentials, a process's ids, the `/proc` mount's
//! options) is in [`crate::procfs::creds`].

mod ids;
mod peer;
mod proc_mount;

pub use ids::Ids;
pub use peer::{Local, Peer};
pub use proc_mount::{Hidepid, ProcMount};
