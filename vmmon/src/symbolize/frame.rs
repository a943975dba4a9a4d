//! A named frame and a named call site, as the API and `vmmon maps --by-site` show them.
//! Pure.

use serde::{Deserialize, Serialize};
use std::fmt::Write as _;

/// Why a frame has no function name, or what its module is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Marker {
    /// Anonymous executable memory: code made at run time (a JIT).
    Jit,
    /// The file was deleted after it was mapped.
    Deleted,
    /// The file has no symbol for the address (stripped).
    NoSymbols,
    /// No mapping holds the address (unmapped since, or not an address at all).
    Unmapped,
    /// The file behind the mapping could not be opened (`/proc/PID/map_files` unreadable,
    /// the process gone).
    Unreadable,
    /// A kernel-provided mapping (`[vdso]`).
    Kernel,
    /// The process left before its call site was named: only its addresses are known.
    Gone,
    /// The first frame is not in executable memory: the syscall's caller pushed something
    /// before the call, so the word at the stack pointer is not a return address.
    NotCode,
}

impl Marker {
    /// How the text output shows it.
    pub fn text(self) -> &'static str {
        match self {
            Marker::Jit => "[jit: anonymous executable memory]",
            Marker::Deleted => "[deleted file]",
            Marker::NoSymbols => "[no symbols]",
            Marker::Unmapped => "[unmapped]",
            Marker::Unreadable => "[file unreadable]",
            Marker::Kernel => "[kernel-provided]",
            Marker::NotCode => "[not code]",
            Marker::Gone => "[process gone]",
        }
    }
}

/// One frame of a call site.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Frame {
    /// The return address, as the process sees it.
    pub address: u64,
    /// The mapped file (or `[vdso]`, `[anon]`); null when no mapping holds the address.
    pub module: Option<String>,
    /// The module's GNU build id, hex, when it has one.
    pub build_id: Option<String>,
    /// The address's offset in the module's file.
    pub offset: Option<u64>,
    /// The function containing it, demangled, when the file has symbols.
    pub function: Option<String>,
    /// The address's offset from the function's start.
    pub function_offset: Option<u64>,
    /// What is special about it, when something is.
    pub marker: Option<Marker>,
}

impl Frame {
    /// A frame nothing is known of but its address.
    pub fn bare(address: u64, marker: Marker) -> Self {
        Self {
            address,
            module: None,
            build_id: None,
            offset: None,
            function: None,
            function_offset: None,
            marker: Some(marker),
        }
    }

    /// One line: `function+0x1f (module+0x1234)`, `module+0x1234 [no symbols]`, ...
    pub fn text(&self) -> String {
        let mut s = String::new();
        let place = match (&self.module, self.offset) {
            (Some(m), Some(o)) => format!("{m}+{o:#x}"),
            (Some(m), None) => format!("{m} {:#x}", self.address),
            (None, _) => format!("{:#x}", self.address),
        };
        match &self.function {
            Some(f) => {
                let _ = write!(s, "{f}+{:#x} ({place})", self.function_offset.unwrap_or(0));
            }
            None => s.push_str(&place),
        }
        if let Some(m) = self.marker {
            let _ = write!(s, " {}", m.text());
        }
        s
    }
}

/// What one call site of a process holds (`GET /api/v1/processes/{pid}/sites`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteView {
    /// The site's id (hex); null for the bytes no captured call made (mapped before the
    /// agent started, by exec, or by calls under the capture threshold).
    pub site: Option<String>,
    /// Bytes it mapped that are still mapped.
    pub bytes: u64,
    /// Mappings holding them.
    pub regions: usize,
    /// Innermost first: the caller of the syscall wrapper, then its callers.
    pub frames: Vec<Frame>,
}

/// A process's call sites (`GET /api/v1/processes/{pid}/sites`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessSites {
    pub pid: u32,
    pub comm: String,
    /// The container or systemd unit it runs in; null when unknown.
    #[serde(default)]
    pub unit: Option<String>,
    /// Which calls the agent captures the call site of (`off`, `all`, or a size).
    pub call_sites: String,
    pub virtual_bytes: u64,
    /// Most bytes first; the bytes of no captured call last (`site` null).
    pub sites: Vec<SiteView>,
}

/// A site's frames on one line each, indented.
pub fn frames_text(frames: &[Frame], indent: &str) -> String {
    let mut s = String::new();
    for f in frames {
        let _ = writeln!(s, "{indent}{}", f.text());
    }
    s
}

#[cfg(test)]
mod tests;
