//! Naming the numbers in syscall events for people: protection and mapping flags, errno.

mod bytes;
mod errno;
mod flags;

pub use bytes::human_bytes;
pub use errno::errno_name;
pub use flags::{clone_flags, map_flags, mremap_flags, prot};
