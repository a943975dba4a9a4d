//! Empty programs on exactly vmmon's hooks, for `cargo xtask bench` to measure what attaching
//! alone costs. Built only with the `bench` feature: not part of the shipped agent.

use super::Error;
use super::load::{attach_programs, load_programs};
use aya::{Ebpf, EbpfLoader};

static FLOOR_OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/vmmon-floor"));

/// The empty programs, attached for as long as this lives.
pub struct Floor {
    _ebpf: Ebpf,
}

impl Floor {
    /// Loads and attaches the empty programs (after the same preflight checks as vmmon's).
    pub fn load() -> Result<Self, Error> {
        super::preflight()?;
        let mut ebpf = EbpfLoader::new().load(FLOOR_OBJECT)?;
        load_programs(&mut ebpf)?;
        let _attached = attach_programs(&mut ebpf)?;
        Ok(Self { _ebpf: ebpf })
    }
}
