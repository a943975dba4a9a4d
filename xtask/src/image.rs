//! `cargo xtask image`: the DaemonSet's container image, built offline. A static vmmon
//! (glibc linked in: the image has no libc) is built for the host's triple, then
//! `deploy/Containerfile` (`FROM scratch`) with podman, or buildah when podman is absent.
//! The image is tagged `vmmon:VERSION` and saved as an OCI archive under the target
//! directory's `dist/`.

use crate::cmd::{self, workspace_root};
use crate::setup;
use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::Command;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const TRIPLE: &str = "x86_64-unknown-linux-gnu";

/// The image's name, as the DaemonSet refers to it.
pub fn tag() -> String {
    format!("vmmon:{VERSION}")
}

/// podman, else buildah: the first that is installed.
fn builder() -> Result<&'static str> {
    for tool in ["podman", "buildah"] {
        if cmd::output(Command::new(tool).arg("--version")).is_some() {
            return Ok(tool);
        }
    }
    bail!(
        "building the image needs podman or buildah: run `cargo xtask setup` (it installs them) or `apt-get install podman`"
    )
}

/// Where cargo puts build output (`CARGO_TARGET_DIR` or the workspace's `target`).
pub fn target_dir(root: &Path) -> Result<PathBuf> {
    let out = cmd::output(Command::new("cargo").current_dir(root).args([
        "metadata",
        "--format-version",
        "1",
        "--no-deps",
    ]))
    .context("running cargo metadata")?;
    let v: serde_json::Value = serde_json::from_str(&out).context("cargo metadata's output")?;
    v["target_directory"]
        .as_str()
        .map(PathBuf::from)
        .context("cargo metadata gave no target_directory")
}

/// Whether the ELF file at `path` has no program interpreter (it is statically linked).
fn is_static(path: &Path) -> Result<bool> {
    let b = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let u16_at = |o: usize| u16::from_le_bytes([b[o], b[o + 1]]) as usize;
    let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes")) as usize;
    if b.len() < 64 || &b[..4] != b"\x7fELF" || b[4] != 2 {
        bail!("{} is not a 64-bit ELF file", path.display());
    }
    let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
    const PT_INTERP: u32 = 3;
    Ok((0..phnum).all(|i| {
        let o = phoff + i * phentsize;
        u32::from_le_bytes(b[o..o + 4].try_into().expect("4 bytes")) != PT_INTERP
    }))
}

pub fn run() -> Result<()> {
    setup::run()?;
    setup::image_tools()?;
    let tool = builder()?;
    let root = workspace_root();
    let target = target_dir(&root)?;
    cmd::run(
        Command::new("cargo")
            .current_dir(&root)
            .env("RUSTFLAGS", "-C target-feature=+crt-static")
            .args([
                "build",
                "--release",
                "--package",
                "vmmon",
                "--target",
                TRIPLE,
            ]),
    )?;
    let binary = target.join(TRIPLE).join("release/vmmon");
    if !is_static(&binary)? {
        bail!("{} is not statically linked", binary.display());
    }
    let context = target.join("image-context");
    let _ = std::fs::remove_dir_all(&context);
    std::fs::create_dir_all(&context)?;
    for (from, to) in [
        (binary.clone(), "vmmon"),
        (root.join("deploy/vmmon.toml"), "vmmon.toml"),
        (root.join("deploy/Containerfile"), "Containerfile"),
    ] {
        std::fs::copy(&from, context.join(to))
            .with_context(|| format!("copying {}", from.display()))?;
    }
    let file = context.join("Containerfile");
    let mut build = Command::new(tool);
    match tool {
        "podman" => build.args(["build", "--pull=never"]),
        _ => build.args(["bud", "--pull-never"]),
    };
    cmd::run(
        build
            .args(["--tag", &tag(), "--file"])
            .arg(&file)
            .arg(&context),
    )?;
    let dist = target.join("dist");
    std::fs::create_dir_all(&dist)?;
    let archive = dist.join(format!("vmmon-{VERSION}.oci.tar"));
    let _ = std::fs::remove_file(&archive);
    let mut save = Command::new(tool);
    match tool {
        "podman" => save
            .args(["save", "--format", "oci-archive", "--output"])
            .arg(&archive)
            .arg(tag()),
        _ => save
            .arg("push")
            .arg(tag())
            .arg(format!("oci-archive:{}", archive.display())),
    };
    cmd::run(&mut save)?;
    println!("{}", tag());
    println!("{}", archive.display());
    Ok(())
}

#[cfg(test)]
mod tests;
