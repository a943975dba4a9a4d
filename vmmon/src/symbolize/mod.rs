//! Naming call sites: each frame as its module (path, build id) and file offset, found in the
//! process's regions as the ledger holds them, and the function there when the file has
//! symbols (blazesym, demangled). Reads the mapped files, so it runs off the event path: in
//! the API's blocking pool, and in `vmmon trace`'s printer.
//!
//! What cannot be named is marked, never guessed: anonymous executable memory (JIT code),
//! files deleted since they were mapped (read through `/proc/PID/map_files` while the process
//! lives), binaries without symbols, and addresses no mapping holds.

mod frame;
mod symbols;

pub use frame::{Frame, Marker, ProcessSites, SiteView, frames_text};
pub use symbols::{Symbols, regions_now};
