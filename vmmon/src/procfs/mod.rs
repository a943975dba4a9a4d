//! Parsers for `/proc/PID/maps` and `/proc/PID/stat` (pure), and the readers around them.

mod maps;
mod stat;

pub use maps::{MapsError, classify, parse_line, parse_maps};
pub use stat::{Stat, parse_stat};
