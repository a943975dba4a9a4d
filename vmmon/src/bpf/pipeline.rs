//! [`Pipeline`]: the loaded and attached programs, alive for as long as it lives (dropping it
//! detaches), and the eBPF [`EventSource`].

use super::layout::{self, Resolved};
use super::load::{
    VMMON_OBJECT, attach_programs, load_programs, open_sweep, take_map, validate_ring_bytes,
};
use super::reader::Reader;
use super::{Error, LoadOptions, preflight};
use crate::event::{DecodeError, Event};
use crate::source::{EventSource, KernelCounters, Sweep};
use aya::maps::{MapData, PerCpuArray, RingBuf};
use aya::{Ebpf, EbpfLoader};
use tokio::io::unix::AsyncFd;
use vmmon_common::{
    GLOBAL_AGENT_TGID, GLOBAL_LAYOUT, GLOBAL_RING_BYTES, GLOBAL_SITE_DEPTH, GLOBAL_SITE_MIN_BYTES,
    GLOBAL_THREAD_MASK, MAP_COUNTERS, MAP_EVENTS, MAP_STACKS, SiteFrames, THREAD_SLOTS,
};

/// The loaded and attached programs and the reader of their events.
pub struct Pipeline {
    reader: Reader,
    layout: Resolved,
    /// Programs attached (the iterator among them, attached at each sweep).
    attached: usize,
    // Keeps the log map open.
    _logger: Option<tokio::task::JoinHandle<()>>,
    // Keeps the programs attached (and holds the sweep's iterator); dropped last.
    ebpf: Ebpf,
}

impl Pipeline {
    /// Runs the preflight checks, then loads and attaches every program. Must be called
    /// inside a tokio runtime (the ring buffer is registered with it).
    pub fn load(opts: &LoadOptions) -> Result<Self, Error> {
        preflight()?;
        let ring_bytes = validate_ring_bytes(opts.ring_bytes)?;
        let mut resolved = layout::resolve(&opts.btf_path)?;
        // Each per-CPU counter has a part per possible CPU.
        resolved.layout.nr_cpus = aya::util::nr_cpus()
            .map(|n| n as u32)
            .unwrap_or(vmmon_common::MAX_CPUS)
            .min(vmmon_common::MAX_CPUS);
        let agent_tgid = std::process::id();
        let thread_mask = opts.thread_slots.clamp(1, THREAD_SLOTS).next_power_of_two() - 1;
        let mut ebpf = EbpfLoader::new()
            .override_global(GLOBAL_AGENT_TGID, &agent_tgid, false)
            .override_global(GLOBAL_RING_BYTES, &ring_bytes, false)
            .override_global(GLOBAL_THREAD_MASK, &thread_mask, true)
            .override_global(GLOBAL_LAYOUT, &resolved.layout, true)
            .override_global(GLOBAL_SITE_MIN_BYTES, &opts.site_min_bytes, true)
            .override_global(GLOBAL_SITE_DEPTH, &opts.site_depth, true)
            .map_max_entries(MAP_EVENTS, ring_bytes)
            .load(VMMON_OBJECT)?;
        let logger = match aya_log::EbpfLogger::init(&mut ebpf) {
            Ok(logger) => Some(tokio::spawn(drive_logger(logger))),
            Err(e) => {
                log::debug!("no eBPF log map: {e}");
                None
            }
        };
        load_programs(&mut ebpf)?;
        let reader = Reader::new(
            take_map::<RingBuf<MapData>>(&mut ebpf, MAP_EVENTS)?,
            take_map::<PerCpuArray<MapData, u64>>(&mut ebpf, MAP_COUNTERS)?,
            take_map::<aya::maps::HashMap<MapData, u64, SiteFrames>>(&mut ebpf, MAP_STACKS)?,
            opts.poll_interval,
        )?;
        let attached = attach_programs(&mut ebpf)?;
        Ok(Self {
            reader,
            layout: resolved,
            attached,
            _logger: logger,
            ebpf,
        })
    }

    /// Number of programs attached (the iterator among them, attached at each sweep): the
    /// table's, less the tracepoints of syscalls this kernel does not have.
    pub fn programs_attached(&self) -> usize {
        self.attached
    }

    /// The struct layout resolved from the kernel's BTF, and what it lacks.
    pub fn layout(&self) -> &Resolved {
        &self.layout
    }
}

impl EventSource for Pipeline {
    async fn ready(&mut self) {
        self.reader.ready().await;
    }

    fn drain(&mut self, f: &mut dyn FnMut(Result<Event, DecodeError>)) -> usize {
        self.reader.drain(f)
    }

    fn counters(&self) -> KernelCounters {
        self.reader.counters()
    }

    fn sweep(&mut self) -> Option<Sweep> {
        if !self.layout.has_figures() {
            return None;
        }
        match open_sweep(&mut self.ebpf) {
            Ok(file) => Some(Sweep::new(file)),
            Err(e) => {
                log::warn!("cannot start a sweep: {e}");
                None
            }
        }
    }
}

/// Forwards the programs' own log lines (aya-log's) to the `log` crate. The programs log
/// nothing today (the object has no log map, and no logger starts): this is for debugging.
async fn drive_logger(logger: aya_log::EbpfLogger<&'static dyn log::Log>) {
    // SAFETY: the logger owns its ring buffer's fd for as long as it lives, and the AsyncFd
    // owns the logger.
    let Ok(mut fd) =
        (unsafe { AsyncFd::register_with_interest(logger, tokio::io::Interest::READABLE) })
    else {
        return;
    };
    loop {
        let Ok(mut guard) = fd.readable_mut().await else {
            return;
        };
        guard.get_inner_mut().flush();
        guard.clear_ready();
    }
}
