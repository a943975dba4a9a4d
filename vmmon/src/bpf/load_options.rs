//! [`LoadOptions`]: how the programs are loaded.

use super::layout;
use crate::config::PipelineConfig;
use std::time::Duration;
use vmmon_common::{SITE_FRAMES, THREAD_SLOTS};

/// How to load the programs.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Size of the ring buffer in bytes: a power of two, at least a page (see
    /// [`super::validate_ring_bytes`]).
    pub ring_bytes: u64,
    /// How often the ring buffer is drained when the kernel does not wake the reader
    /// (records are submitted without a wakeup until the ring is a quarter full).
    pub poll_interval: Duration,
    /// Where the kernel's BTF is read for the struct layout (the running kernel's, unless a
    /// test points at a doctored copy).
    pub btf_path: String,
    /// How many slots of the per-thread marks threads use (a power of two, at most
    /// `THREAD_SLOTS`): fewer only in tests, to make threads share them.
    pub thread_slots: u32,
    /// The least bytes a growing call adds for its call site to be captured
    /// (`vmmon_common::SITES_OFF`: none).
    pub site_min_bytes: u64,
    /// The most frames of a call site.
    pub site_depth: u32,
    /// The nice the thread draining the ring lowers itself to (0: none); see
    /// `PipelineConfig::priority_boost`.
    pub priority_boost: u8,
}

impl LoadOptions {
    /// The options a pipeline configuration gives.
    pub fn from_config(config: &PipelineConfig) -> Self {
        Self {
            ring_bytes: config.ring_buffer_bytes,
            poll_interval: Duration::from_millis(config.poll_interval_ms),
            btf_path: std::env::var("VMMON_KERNEL_BTF")
                .unwrap_or_else(|_| layout::VMLINUX_BTF.to_string()),
            thread_slots: THREAD_SLOTS,
            site_min_bytes: config.call_sites.min_bytes(),
            site_depth: config.call_site_depth.clamp(1, SITE_FRAMES as u32),
            priority_boost: config.priority_boost,
        }
    }
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self::from_config(&PipelineConfig::default())
    }
}
