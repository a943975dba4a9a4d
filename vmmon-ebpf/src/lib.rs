//! Only here so that `vmmon` can name this crate as a build-dependency (aya-build builds
//! the binaries, which are the eBPF objects).
#![no_std]
