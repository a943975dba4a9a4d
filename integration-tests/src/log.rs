//! What the workload says it did: one JSON object per call, in the order it made them.

use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The marker call that opens the scripted section: an `mmap` of this length with a bad fd,
/// which fails with EBADF and which nothing else on the machine makes.
pub const MARKER_LEN: u64 = 0x7e57_0000;

/// One thing the workload did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// A raw syscall, `name` as vmmon names it (`mmap`, `pkey_mprotect`, ...).
    Call {
        tgid: u32,
        tid: u32,
        name: Cow<'static, str>,
        args: [u64; 6],
        ret: i64,
    },
    /// A new process or thread.
    Fork {
        tgid: u32,
        tid: u32,
        child_tgid: u32,
        child_tid: u32,
        thread: bool,
    },
    /// A task that left.
    Exit {
        tgid: u32,
        tid: u32,
        group_dead: bool,
    },
    /// The exec that ends the section.
    Exec {
        tgid: u32,
        tid: u32,
        filename: Cow<'static, str>,
    },
}

/// Parses the workload's output, one [`Op`] per line.
pub fn parse(stdout: &str) -> Vec<Op> {
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad workload line {l:?}: {e}")))
        .collect()
}
