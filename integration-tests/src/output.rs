//! What a command the tests ran said, and running the workspace's own tasks.

use std::process::{Command, Output};

/// Its standard output then its standard error, as text.
pub fn said(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs `cargo xtask TASK` in the workspace, as a user would; its standard output. Fails the
/// test, with everything it said, when the task fails.
pub fn xtask(task: &str) -> String {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new("cargo")
        .current_dir(&root)
        .args(["xtask", task])
        .output()
        .unwrap_or_else(|e| panic!("cannot run cargo xtask {task}: {e}"));
    assert!(
        out.status.success(),
        "cargo xtask {task} failed:\n{}",
        said(&out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
