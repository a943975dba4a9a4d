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
    /// Which growing calls have their call site captured: off, all, or those adding at
    /// least a size (64KiB, 1MiB).
    #[arg(long, value_name = "off|all|SIZE")]
    pub call_sites: Option<vmmon::config::SiteCapture>,
    /// The most frames of a call site (its caller, then a frame-pointer walk above it).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=vmmon_common::SITE_FRAMES as i64), value_name = "N")]
    pub call_site_depth: Option<u32>,
    /// How much the thread draining the ring is favoured by the scheduler: it runs at nice
    /// -N (0: not at all). Needs CAP_SYS_NICE, or the systemd unit's Nice=.
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=19), value_name = "N")]
    pub priority_boost: Option<u8>,
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
        if let Some(c) = self.call_sites {
            config.call_sites = c;
        }
        if let Some(d) = self.call_site_depth {
            config.call_site_depth = d;
        }
        if let Some(b) = self.priority_boost {
            config.priority_boost = b;
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
