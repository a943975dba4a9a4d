//! Flags shared by the subcommands that load the eBPF programs.

use std::time::Duration;
use vmmon::bpf::{LoadOptions, Object};
use vmmon_common::DEFAULT_RING_BYTES;

#[derive(clap::Args, Clone, Debug)]
pub struct PipelineArgs {
    /// Size of the kernel ring buffer in bytes (a power of two, at least 4096).
    #[arg(long, default_value_t = DEFAULT_RING_BYTES.into(), value_name = "BYTES")]
    pub ring_buffer_bytes: u64,
    /// How often to drain the ring buffer, in milliseconds (the kernel wakes vmmon early
    /// only when the ring is a quarter full).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=10_000), value_name = "MS")]
    pub poll_interval_ms: u64,
}

impl PipelineArgs {
    /// Checks what clap cannot, then the load options.
    pub fn load_options(&self) -> anyhow::Result<LoadOptions> {
        use anyhow::Context as _;
        vmmon::bpf::validate_ring_bytes(self.ring_buffer_bytes).context("--ring-buffer-bytes")?;
        Ok(LoadOptions {
            ring_bytes: self.ring_buffer_bytes,
            poll_interval: Duration::from_millis(self.poll_interval_ms),
            object: Object::Vmmon,
            ..LoadOptions::default()
        })
    }
}
