//! The kernel side seen from userspace (I/O): checks that the machine can run vmmon, loading and
//! attaching the programs, and reading the ring buffer and the kernel-side counters. The
//! loaded [`Pipeline`] is the eBPF [`crate::source::EventSource`]: its reader drains the ring,
//! and the pipeline runs the sweep.

mod error;
#[cfg(feature = "bench")]
mod floor;
pub mod layout;
mod load;
mod load_options;
mod pipeline;
mod preflight;
mod reader;

pub use error::Error;
#[cfg(feature = "bench")]
pub use floor::Floor;
pub use load::validate_ring_bytes;
pub use load_options::LoadOptions;
pub use pipeline::Pipeline;
pub use preflight::preflight;
