//! Flags shared by the subcommands that load the eBPF programs. Unset flags leave the
//! configuration's value.

use vmmon::bpf::LoadOptions;
use vmmon::config::PipelineConfig;

#[derive(clap::Args, Clone, Debug)]
pub struct PipelineArgs {
    /// Size of the kernel ring buffer in bytes, a power of two of at least 4096.
    #[arg(long, value_name = "BYTES")]
    pub ring_buffer_bytes: Option<u64>,
    /// How often to drain the ring buffer, in milliseconds; the kernel wakes vmmon early only
    /// when the ring is a quarter full.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=10_000), value_name = "MS")]
    pub poll_interval_ms: Option<u64>,
}

impl PipelineArgs {
    /// Puts the flags that were given over `config`.
    pub fn apply(&self, config: &mut PipelineConfig) {
        if let Some(b) = self.ring_buffer_bytes {
            config.ring_buffer_bytes = b;
        }
        if let Some(ms) = self.poll_interval_ms {
            config.poll_interval_ms = ms;
        }
    }

    /// The load options from the defaults and these flags (for commands without a config).
    pub fn load_options(&self) -> anyhow::Result<LoadOptions> {
        use anyhow::Context as _;
        let mut config = PipelineConfig::default();
        self.apply(&mut config);
        vmmon::bpf::validate_ring_bytes(config.ring_buffer_bytes).context("--ring-buffer-bytes")?;
        Ok(LoadOptions::from_config(&config))
    }
}
