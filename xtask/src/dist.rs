//! `cargo xtask dist`: a `.deb` and a tarball with the release binary, the systemd unit, the
//! default configuration and the man page, laid out for `/`.

use crate::cmd;
use crate::setup;
use anyhow::{Context, Result};
use std::fs;
use std::path::Path;
use std::process::Command;

const VERSION: &str = env!("CARGO_PKG_VERSION");

fn copy(from: &Path, to: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    fs::create_dir_all(to.parent().expect("a file path"))?;
    fs::copy(from, to)
        .with_context(|| format!("copying {} to {}", from.display(), to.display()))?;
    fs::set_permissions(to, fs::Permissions::from_mode(mode))?;
    Ok(())
}

pub fn run() -> Result<()> {
    let root = setup::release_build()?;
    let dist = root.join("target/dist");
    let stage = dist.join("stage");
    let _ = fs::remove_dir_all(&stage);
    copy(
        &root.join("target/release/vmmon"),
        &stage.join("usr/bin/vmmon"),
        0o755,
    )?;
    copy(
        &root.join("deploy/systemd/vmmon.service"),
        &stage.join("lib/systemd/system/vmmon.service"),
        0o644,
    )?;
    copy(
        &root.join("deploy/vmmon.toml"),
        &stage.join("etc/vmmon/vmmon.toml"),
        0o644,
    )?;
    copy(
        &root.join("README.md"),
        &stage.join("usr/share/doc/vmmon/README.md"),
        0o644,
    )?;
    let man = stage.join("usr/share/man/man1/vmmon.1.gz");
    fs::create_dir_all(man.parent().expect("a file path"))?;
    let gz = Command::new("gzip")
        .args(["-9n", "-c"])
        .arg(root.join("deploy/vmmon.1"))
        .output()
        .context("running gzip")?;
    fs::write(&man, gz.stdout)?;

    let tarball = dist.join(format!("vmmon-{VERSION}-x86_64-linux.tar.gz"));
    cmd::run(
        Command::new("tar")
            .arg("-C")
            .arg(&stage)
            .args(["--owner=0", "--group=0", "-czf"])
            .arg(&tarball)
            .arg("."),
    )?;

    let control = stage.join("DEBIAN");
    fs::create_dir_all(&control)?;
    fs::write(
        control.join("control"),
        format!(
            "Package: vmmon\nVersion: {VERSION}\nArchitecture: amd64\nMaintainer: vmmon developers <dev@vmmon.invalid>\n\
             Section: admin\nPriority: optional\nDepends: libc6\n\
             Description: live, exact monitor of every process's address space (eBPF)\n \
             Watches mmap, munmap, mremap, mprotect and brk on the whole machine and keeps a\n \
             per-process ledger of mappings, served as JSON and Prometheus metrics.\n"
        ),
    )?;
    // The configuration is the admin's: upgrades keep their edits.
    fs::write(control.join("conffiles"), "/etc/vmmon/vmmon.toml\n")?;
    let deb = dist.join(format!("vmmon_{VERSION}_amd64.deb"));
    cmd::run(
        Command::new("dpkg-deb")
            .args(["--root-owner-group", "--build"])
            .arg(&stage)
            .arg(&deb),
    )?;
    println!("{}", deb.display());
    println!("{}", tarball.display());
    println!(
        "install:  dpkg -i {}  &&  systemctl enable --now vmmon",
        deb.display()
    );
    Ok(())
}
