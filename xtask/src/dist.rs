//! `cargo xtask dist`: the `.deb` (built by cargo-deb from `[package.metadata.deb]` in
//! `vmmon/Cargo.toml`) and a tarball of the same files for other systems, both from the
//! binary this run builds, wherever the target directory is (`CARGO_TARGET_DIR` included).

use crate::cmd;
use crate::image::target_dir;
use crate::setup;
use anyhow::{Context, Result, bail};
use std::fs;
use std::path::Path;
use std::process::Command;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The files the package holds beside the binary, generated from it and the sources into
/// `<target>/release/package/`: the compressed man page and the shell completions.
fn generate(root: &Path, release: &Path) -> Result<()> {
    let out = release.join("package");
    fs::create_dir_all(&out)?;
    for (shell, file) in [
        ("bash", "vmmon.bash"),
        ("zsh", "_vmmon"),
        ("fish", "vmmon.fish"),
    ] {
        let o = Command::new(release.join("vmmon"))
            .args(["completions", shell])
            .output()
            .context("running vmmon completions")?;
        if !o.status.success() {
            bail!("vmmon completions {shell} failed");
        }
        fs::write(out.join(file), o.stdout)?;
    }
    let gz = Command::new("gzip")
        .args(["-9n", "-c"])
        .arg(root.join("deploy/vmmon.1"))
        .output()
        .context("running gzip")?;
    if !gz.status.success() {
        bail!("gzip of the man page failed");
    }
    fs::write(out.join("vmmon.1.gz"), gz.stdout)?;
    Ok(())
}

pub fn run() -> Result<()> {
    let root = setup::release_build()?;
    let target = target_dir(&root)?;
    let release = target.join("release");
    generate(&root, &release)?;
    let dist = target.join("dist");
    fs::create_dir_all(&dist)?;
    // The .deb: the binary just built (--no-build), its dependencies from its libraries.
    let out = Command::new("cargo")
        .current_dir(&root)
        .args(["deb", "--package", "vmmon", "--no-build", "--output"])
        .arg(&dist)
        .output()
        .context("running cargo deb (cargo xtask setup installs cargo-deb)")?;
    if !out.status.success() {
        bail!(
            "cargo deb failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let deb = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !Path::new(&deb).is_file() {
        bail!("cargo deb did not say where the package is: {deb:?}");
    }
    // The tarball: the same files, laid out for `/`, from the package's own contents.
    let stage = dist.join("stage");
    let _ = fs::remove_dir_all(&stage);
    fs::create_dir_all(&stage)?;
    cmd::run(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&stage))?;
    let tarball = dist.join(format!("vmmon-{VERSION}-x86_64-linux.tar.gz"));
    cmd::run(
        Command::new("tar")
            .arg("-C")
            .arg(&stage)
            .args(["--owner=0", "--group=0", "-czf"])
            .arg(&tarball)
            .arg("."),
    )?;
    let _ = fs::remove_dir_all(&stage);
    println!("{deb}");
    println!("{}", tarball.display());
    println!("install:  dpkg -i {deb}  (the unit is enabled and started per the system's preset)");
    Ok(())
}
