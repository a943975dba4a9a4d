//! Loading the eBPF object, sizing its ring buffer, attaching every program, and keeping it
//! all alive for as long as the [`Pipeline`] lives (dropping it detaches).

use super::reader::Reader;
use super::{Error, preflight};
use aya::maps::{MapData, PerCpuArray, RingBuf};
use aya::programs::TracePoint;
use aya::{Ebpf, EbpfLoader};
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use vmmon_common::{
    ATTACHMENTS, DEFAULT_RING_BYTES, FAST_SLOTS, GLOBAL_AGENT_TGID, GLOBAL_FAST_MASK,
    GLOBAL_RING_BYTES, MAP_COUNTERS, MAP_EVENTS,
};

static VMMON_OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/vmmon"));
static FLOOR_OBJECT: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/vmmon-floor"));

/// Which programs to load.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Object {
    /// vmmon's programs.
    Vmmon,
    /// Empty programs on the same tracepoints, for measuring what attaching alone costs.
    Floor,
}

/// How to load the programs.
#[derive(Clone, Debug)]
pub struct LoadOptions {
    /// Size of the ring buffer in bytes: a power of two, at least a page.
    pub ring_bytes: u64,
    /// How often the ring buffer is drained when the kernel does not wake the reader
    /// (records are submitted without a wakeup until the ring is a quarter full).
    pub poll_interval: Duration,
    /// Which object to load.
    pub object: Object,
    /// Fast per-thread slots to use (a power of two up to `FAST_SLOTS`). Fewer make threads
    /// share slots, which only tests want: it exercises the claim and fallback paths.
    pub fast_slots: u32,
}

impl Default for LoadOptions {
    fn default() -> Self {
        Self {
            ring_bytes: DEFAULT_RING_BYTES.into(),
            poll_interval: Duration::from_millis(10),
            object: Object::Vmmon,
            fast_slots: FAST_SLOTS,
        }
    }
}

/// Checks a ring-buffer size: the kernel wants a power-of-two multiple of the page size.
pub fn validate_ring_bytes(bytes: u64) -> Result<u32, Error> {
    if bytes.is_power_of_two() && (4096..=1 << 30).contains(&bytes) {
        Ok(bytes as u32)
    } else {
        Err(Error::RingSize(bytes))
    }
}

/// The loaded and attached programs and the reader of their events.
pub struct Pipeline {
    reader: Option<Reader>,
    // Keeps the programs attached and the log map open; dropped last.
    _logger: Option<tokio::task::JoinHandle<()>>,
    _ebpf: Ebpf,
}

impl Pipeline {
    /// Runs the preflight checks, then loads and attaches every program. Must be called
    /// inside a tokio runtime (the ring buffer is registered with it).
    pub fn load(opts: &LoadOptions) -> Result<Self, Error> {
        preflight()?;
        let ring_bytes = validate_ring_bytes(opts.ring_bytes)?;
        if !opts.fast_slots.is_power_of_two() || opts.fast_slots > FAST_SLOTS {
            return Err(Error::FastSlots(opts.fast_slots));
        }
        let fast_mask = opts.fast_slots - 1;
        let agent_tgid = std::process::id();
        let bytes = match opts.object {
            Object::Vmmon => VMMON_OBJECT,
            Object::Floor => FLOOR_OBJECT,
        };
        let mut ebpf = EbpfLoader::new()
            .override_global(GLOBAL_AGENT_TGID, &agent_tgid, false)
            .override_global(GLOBAL_RING_BYTES, &ring_bytes, false)
            .override_global(GLOBAL_FAST_MASK, &fast_mask, false)
            .map_max_entries(MAP_EVENTS, ring_bytes)
            .load(bytes)?;
        let logger = match aya_log::EbpfLogger::init(&mut ebpf) {
            Ok(logger) => Some(tokio::spawn(drive_logger(logger))),
            Err(e) => {
                log::debug!("no eBPF log map: {e}");
                None
            }
        };
        for a in ATTACHMENTS {
            tracepoint(&mut ebpf, a.program)?
                .load()
                .map_err(|source| Error::Program {
                    program: a.program,
                    source: Box::new(source),
                })?;
        }
        let reader = match opts.object {
            Object::Vmmon => Some(Reader::new(
                take_ring(&mut ebpf)?,
                take_counters(&mut ebpf)?,
                opts.poll_interval,
            )?),
            Object::Floor => None,
        };
        for a in ATTACHMENTS {
            tracepoint(&mut ebpf, a.program)?
                .attach(a.category, a.tracepoint)
                .map_err(|source| Error::Attach {
                    program: a.program,
                    category: a.category,
                    tracepoint: a.tracepoint,
                    source: Box::new(source),
                })?;
        }
        Ok(Self {
            reader,
            _logger: logger,
            _ebpf: ebpf,
        })
    }

    /// Number of programs attached.
    pub fn programs_attached(&self) -> usize {
        ATTACHMENTS.len()
    }

    /// The event reader (none for [`Object::Floor`]).
    pub fn reader(&mut self) -> Option<&mut Reader> {
        self.reader.as_mut()
    }
}

fn tracepoint<'a>(ebpf: &'a mut Ebpf, program: &'static str) -> Result<&'a mut TracePoint, Error> {
    ebpf.program_mut(program)
        .ok_or(Error::MissingProgram(program))?
        .try_into()
        .map_err(|source| Error::Program {
            program,
            source: Box::new(source),
        })
}

fn take_ring(ebpf: &mut Ebpf) -> Result<RingBuf<MapData>, Error> {
    let map = ebpf
        .take_map(MAP_EVENTS)
        .ok_or_else(|| Error::Map(MAP_EVENTS, "not found".into()))?;
    RingBuf::try_from(map).map_err(|e| Error::Map(MAP_EVENTS, e.to_string()))
}

fn take_counters(ebpf: &mut Ebpf) -> Result<PerCpuArray<MapData, u64>, Error> {
    let map = ebpf
        .take_map(MAP_COUNTERS)
        .ok_or_else(|| Error::Map(MAP_COUNTERS, "not found".into()))?;
    PerCpuArray::try_from(map).map_err(|e| Error::Map(MAP_COUNTERS, e.to_string()))
}

/// Forwards the programs' own log lines (rare: a full pending map) to the `log` crate.
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
mod tests {
    use super::*;

    #[test]
    fn ring_sizes() {
        assert_eq!(validate_ring_bytes(4096).unwrap(), 4096);
        assert_eq!(validate_ring_bytes(8 << 20).unwrap(), 8 << 20);
        assert!(validate_ring_bytes(0).is_err());
        assert!(validate_ring_bytes(2048).is_err());
        assert!(validate_ring_bytes(12288).is_err());
        assert!(validate_ring_bytes(1 << 31).is_err());
    }
}
