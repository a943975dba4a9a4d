//! What `vmmon trace` shows: which events pass its filters and how each is written.

mod call_arg;
mod filter;
mod json;
mod line;

pub use filter::{EventName, Filter};
pub use json::{write_json, write_json_with_site};
pub use line::{WallClock, write_call, write_line};
