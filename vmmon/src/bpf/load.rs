//! Loading the eBPF object, sizing its ring buffer, attaching every program, and keeping it
//! all alive for as long as the [`Pipeline`] lives (dropping it detaches).

use super::layout::{self, Resolved};
use super::reader::Reader;
use super::{Error, preflight};
use crate::config::PipelineConfig;
use crate::event::{DecodeError, Event};
use crate::source::{EventSource, KernelCounters, Sweep};
use aya::maps::{MapData, PerCpuArray, RingBuf};
use aya::programs::{BtfTracePoint, Iter, TracePoint};
use aya::{Btf, Ebpf, EbpfLoader};
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use vmmon_common::{
    GLOBAL_AGENT_TGID, GLOBAL_LAYOUT, GLOBAL_RING_BYTES, GLOBAL_SITE_DEPTH, GLOBAL_SITE_MIN_BYTES,
    GLOBAL_THREAD_MASK, Hook, MAP_COUNTERS, MAP_EVENTS, MAP_STACKS, PROGRAMS, SITE_FRAMES,
    SiteFrames, THREAD_SLOTS,
};

/// vmmon's programs, built by `build.rs`.
pub(super) static VMMON_OBJECT: &[u8] =
    aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/vmmon"));

/// How to load the programs.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Size of the ring buffer in bytes: a power of two, at least a page (see
    /// [`validate_ring_bytes`]).
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

/// Checks a ring-buffer size: the kernel wants a power-of-two multiple of the page size, and
/// vmmon takes at most `vmmon_common::MAX_RING_BYTES`.
pub fn validate_ring_bytes(bytes: u64) -> Result<u32, Error> {
    if vmmon_common::ring_bytes_valid(bytes) {
        Ok(bytes as u32)
    } else {
        Err(Error::RingSize(bytes))
    }
}

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

/// Attaches the sweep's iterator afresh and opens it: reading the file runs it.
fn open_sweep(ebpf: &mut Ebpf) -> Result<std::fs::File, Error> {
    let p = PROGRAMS
        .iter()
        .find(|p| matches!(p.hook, Hook::Iter { .. }))
        .ok_or(Error::MissingProgram("the sweep"))?;
    let program = |source| Error::Program {
        program: p.name,
        source: Box::new(source),
    };
    let iter: &mut Iter = program_mut(ebpf, p.name)?;
    let link = iter.attach().map_err(program)?;
    let link = iter.take_link(link).map_err(program)?;
    link.into_file().map_err(Error::Sweep)
}

fn program_mut<'a, T>(ebpf: &'a mut Ebpf, name: &'static str) -> Result<&'a mut T, Error>
where
    &'a mut T: TryFrom<&'a mut aya::programs::Program, Error = aya::programs::ProgramError>,
{
    ebpf.program_mut(name)
        .ok_or(Error::MissingProgram(name))?
        .try_into()
        .map_err(|source| Error::Program {
            program: name,
            source: Box::new(source),
        })
}

/// Loads every program of the table into the kernel.
pub(super) fn load_programs(ebpf: &mut Ebpf) -> Result<(), Error> {
    let btf = Btf::from_sys_fs().map_err(Error::KernelBtf)?;
    for p in PROGRAMS {
        let loaded = match p.hook {
            Hook::TracePoint { .. } => program_mut::<TracePoint>(ebpf, p.name)?.load(),
            Hook::BtfTracePoint { name } => {
                program_mut::<BtfTracePoint>(ebpf, p.name)?.load(name, &btf)
            }
            Hook::Iter { target } => program_mut::<Iter>(ebpf, p.name)?.load(target, &btf),
        };
        loaded.map_err(|source| Error::Program {
            program: p.name,
            source: Box::new(source),
        })?;
    }
    Ok(())
}

/// Attaches every program of the table to its hook (the iterator is attached at each sweep),
/// but for the tracepoints of syscalls this kernel does not have. Returns how many are.
pub(super) fn attach_programs(ebpf: &mut Ebpf) -> Result<usize, Error> {
    let mut attached = 0;
    for p in PROGRAMS {
        let result = match p.hook {
            Hook::TracePoint {
                category,
                name,
                syscall,
            } => {
                if syscall.is_some() && !tracepoint_exists(category, name) {
                    log::debug!("no tracepoint {category}:{name}: this kernel lacks the syscall");
                    continue;
                }
                program_mut::<TracePoint>(ebpf, p.name)?
                    .attach(category, name)
                    .map(drop)
            }
            Hook::BtfTracePoint { .. } => program_mut::<BtfTracePoint>(ebpf, p.name)?
                .attach()
                .map(drop),
            Hook::Iter { .. } => Ok(()),
        };
        result.map_err(|source| Error::Attach {
            program: p.name,
            hook: p.hook,
            source: Box::new(source),
        })?;
        attached += 1;
    }
    Ok(attached)
}

/// Whether tracefs has tracepoint `category:name`.
fn tracepoint_exists(category: &str, name: &str) -> bool {
    super::preflight::tracefs().is_some_and(|fs| {
        std::path::Path::new(fs)
            .join("events")
            .join(category)
            .join(name)
            .exists()
    })
}

/// Takes map `name` out of the object, as a `T`.
fn take_map<T>(ebpf: &mut Ebpf, name: &'static str) -> Result<T, Error>
where
    T: TryFrom<aya::maps::Map, Error = aya::maps::MapError>,
{
    let map = ebpf.take_map(name).ok_or(Error::MapMissing(name))?;
    T::try_from(map).map_err(|source| Error::Map { map: name, source })
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

#[cfg(test)]
mod tests;
