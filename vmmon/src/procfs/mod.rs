//! Parsers for `/proc/PID/maps` and `/proc/PID/stat` (pure), and the readers around them.

mod cgroup;
mod maps;
mod read;
mod stat;

pub use cgroup::{unit_of, unit_of_path};
pub use maps::{MapsError, classify, parse_line, parse_maps};
pub use read::{Read, ReadError, list_pids, monotonic_ns, read_process};
pub use stat::{Stat, parse_stat};
