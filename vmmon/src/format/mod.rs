//! Naming the numbers in syscall events for people: protection and mapping flags, errno,
//! signals.

mod bytes;
mod errno;
mod flags;
mod signal;

pub use bytes::human_bytes;
pub use errno::errno_name;
pub use flags::{clone_flags, map_flags, mremap_flags, prot};
pub use signal::signal_name;
