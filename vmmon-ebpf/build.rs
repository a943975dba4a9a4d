use which::which;

/// Building this crate needs `bpf-linker`; rebuild when it changes. `cargo xtask setup`
/// installs it.
fn main() {
    let bpf_linker = which("bpf-linker").expect(
        "bpf-linker is not on PATH: run `cargo xtask setup` (it installs bpf-linker 0.13.0)",
    );
    println!("cargo:rerun-if-changed={}", bpf_linker.to_str().unwrap());
}
