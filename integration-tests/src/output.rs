//! What a command the tests ran said.

use std::process::Output;

/// Its standard output then its standard error, as text.
pub fn said(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
