//! `cargo xtask setup`: the toolchain pieces the eBPF build needs, installed when missing.
//!
//! The recipe: nightly with `rust-src`, LLVM 22's development packages (apt.llvm.org), and
//! `bpf-linker` 0.13.0 built against them (its newer releases and the aya crates after
//! `aya` 0.14 need a newer rustc). Each step checks first and says
//! whether it is skipping or installing, so running it again is cheap.

use crate::cmd::{self, output};
use anyhow::{Result, bail};
use std::process::Command;

const BPF_LINKER_VERSION: &str = "0.13.0";
const LLVM_PREFIX: &str = "/usr/lib/llvm-22";
const APT_PACKAGES: &[&str] = &[
    "llvm-22-dev",
    "libpolly-22-dev",
    "libzstd-dev",
    "zlib1g-dev",
];
/// What the test suite uses beyond the build: promtool and the server (Debian's prometheus
/// package) check the agent's /metrics; tmux runs `vmmon top` in a real terminal.
/// systemd-nspawn (systemd-container) and debootstrap boot the `.deb` under a real systemd.
/// curl asks the API as other users (`--unix-socket`) and over TLS; openssl makes the test
/// certificates; `bench --part exact` runs stress-ng's memory stressors; golang-go's `go tool
/// pprof` reads the profiles the agent writes, as their users read them.
const TEST_PACKAGES: &[&str] = &[
    "prometheus",
    "tmux",
    "systemd-container",
    "debootstrap",
    "curl",
    "openssl",
    "stress-ng",
    "golang-go",
];

pub fn run() -> Result<()> {
    nightly_rust_src()?;
    apt_packages("LLVM 22 development packages", APT_PACKAGES)?;
    bpf_linker()?;
    cargo_deb()?;
    eprintln!("xtask: setup complete");
    Ok(())
}

/// Setup, then `cargo build --release --package vmmon`; returns the workspace root.
pub fn release_build() -> Result<std::path::PathBuf> {
    run()?;
    let root = cmd::workspace_root();
    cmd::run(Command::new("cargo").current_dir(&root).args([
        "build",
        "--release",
        "--package",
        "vmmon",
    ]))?;
    Ok(root)
}

/// Setup, plus what the tests need.
pub fn run_for_tests() -> Result<()> {
    run()?;
    apt_packages(
        "test tools (prometheus, tmux, systemd-container, debootstrap, golang-go)",
        TEST_PACKAGES,
    )?;
    image_tools()
}

/// What builds and runs the container image: Debian's podman and buildah.
pub fn image_tools() -> Result<()> {
    apt_packages("container tools (podman, buildah)", &["podman", "buildah"])
}

fn nightly_rust_src() -> Result<()> {
    let Some(installed) = output(Command::new("rustup").args([
        "component",
        "list",
        "--toolchain",
        "nightly",
        "--installed",
    ])) else {
        eprintln!("xtask: setup: installing the nightly toolchain with rust-src");
        return cmd::run(Command::new("rustup").args([
            "toolchain",
            "install",
            "nightly",
            "--profile",
            "minimal",
            "--component",
            "rust-src",
        ]));
    };
    if installed.lines().any(|l| l.starts_with("rust-src")) {
        eprintln!("xtask: setup: nightly rust-src present, skipping");
        return Ok(());
    }
    eprintln!("xtask: setup: adding rust-src to the nightly toolchain");
    cmd::run(Command::new("rustup").args([
        "component",
        "add",
        "rust-src",
        "--toolchain",
        "nightly",
    ]))
}

fn package_installed(name: &str) -> bool {
    output(Command::new("dpkg-query").args(["-W", "-f=${Status}", name]))
        .is_some_and(|s| s.contains("install ok installed"))
}

fn apt_packages(what: &str, packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !package_installed(p))
        .collect();
    if missing.is_empty() {
        eprintln!("xtask: setup: {what} present, skipping");
        return Ok(());
    }
    if !cmd::is_root() {
        bail!(
            "setup needs these Debian packages: {}; run `cargo xtask setup` as root, or install them with apt-get",
            missing.join(" ")
        );
    }
    eprintln!("xtask: setup: installing {}", missing.join(" "));
    cmd::run(Command::new("apt-get").arg("update").arg("-q"))?;
    cmd::run(
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&missing)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// The Rust ecosystem's Debian packager, which `cargo xtask dist` runs.
const CARGO_DEB_VERSION: &str = "3.8.0";

fn cargo_deb() -> Result<()> {
    if let Some(v) = output(Command::new("cargo").args(["deb", "--version"]))
        && v.contains(CARGO_DEB_VERSION)
    {
        eprintln!("xtask: setup: cargo-deb {CARGO_DEB_VERSION} present, skipping");
        return Ok(());
    }
    eprintln!("xtask: setup: installing cargo-deb {CARGO_DEB_VERSION}");
    cmd::run(Command::new("cargo").args([
        "install",
        "cargo-deb",
        "--locked",
        "--version",
        CARGO_DEB_VERSION,
    ]))
}

fn bpf_linker() -> Result<()> {
    if let Some(v) = output(Command::new("bpf-linker").arg("--version"))
        && v.contains(BPF_LINKER_VERSION)
    {
        eprintln!("xtask: setup: bpf-linker {BPF_LINKER_VERSION} present, skipping");
        return Ok(());
    }
    eprintln!(
        "xtask: setup: building bpf-linker {BPF_LINKER_VERSION} against LLVM 22 (a few minutes)"
    );
    let path = format!(
        "{LLVM_PREFIX}/bin:{}",
        std::env::var("PATH").unwrap_or_default()
    );
    cmd::run(
        Command::new("cargo")
            .args(["install", "bpf-linker", "--version", BPF_LINKER_VERSION])
            .args(["--no-default-features", "--features", "llvm-22"])
            .env("LLVM_PREFIX", LLVM_PREFIX)
            .env("PATH", path),
    )
}
