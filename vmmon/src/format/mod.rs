//! Naming the numbers in syscall events for people: protection and mapping flags, errno.

mod errno;
mod flags;

pub use errno::errno_name;
pub use flags::{clone_flags, map_flags, mremap_flags, prot};
