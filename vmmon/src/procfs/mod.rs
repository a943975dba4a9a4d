//! Parsers for `/proc/PID/maps`, `smaps`, `stat` and `cgroup` (pure), and the readers around them
//! (`read`: I/O, blocking; call it from a thread of its own, never from a tokio worker).

mod cgroup;
pub mod creds;
mod maps;
mod read;
mod smaps;
mod stat;

pub use cgroup::{unit_of, unit_of_path};
pub use maps::{MapsError, classify, parse_line, parse_maps};
pub use read::{ProcessRead, ReadError, list_pids, own_cpu_and_rss, read_process};
pub use smaps::{Rss, parse_smaps, read_smaps, rss_within};
pub use stat::{Stat, nice_of, parse_stat, thread_nice};
