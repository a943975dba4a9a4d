//! Reading the ring buffer: woken by the kernel only when the ring is filling up (a quarter
//! full, as the programs check every `FILL_CHECK_EVERY` records per CPU), otherwise drained on
//! a timer, so that no record costs a wakeup.

use super::Error;
use crate::event::{CallSite, DecodeError, Event, decode};
use crate::source::{EventSource, KernelCounters, Sweep};
use aya::maps::{HashMap as BpfHashMap, MapData, PerCpuArray, RingBuf};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::time::{Interval, MissedTickBehavior};
use vmmon_common::{Counter, SiteFrames};

/// Call sites' frames kept at most; past it the reader forgets them all and reads again
/// those it meets (the kernel keeps the most recently used).
const FRAMES_KEPT: usize = 1 << 16;

/// The reading end of the programs' ring buffer.
pub struct Reader {
    ring: AsyncFd<RingBuf<MapData>>,
    counters: PerCpuArray<MapData, u64>,
    /// Call sites' frames, by the id records carry.
    stacks: BpfHashMap<MapData, u64, SiteFrames>,
    frames: HashMap<u64, Arc<[u64]>>,
    ticker: Interval,
}

impl Reader {
    pub(super) fn new(
        ring: RingBuf<MapData>,
        counters: PerCpuArray<MapData, u64>,
        stacks: BpfHashMap<MapData, u64, SiteFrames>,
        poll_interval: Duration,
    ) -> Result<Self, Error> {
        // SAFETY: the ring buffer owns its map's fd and keeps it open, unchanged, for as long
        // as it lives, and the AsyncFd owns the ring buffer.
        let ring = unsafe { AsyncFd::register_with_interest(ring, tokio::io::Interest::READABLE) }
            .map_err(|e| Error::Poll(e.into()))?;
        let mut ticker = tokio::time::interval(poll_interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Ok(Self {
            ring,
            counters,
            stacks,
            frames: HashMap::new(),
            ticker,
        })
    }

    /// Waits until there may be records: the kernel woke us (the ring is filling) or the
    /// poll interval passed.
    async fn wait(&mut self) {
        tokio::select! {
            guard = self.ring.readable_mut() => {
                if let Ok(mut guard) = guard {
                    guard.clear_ready();
                }
            }
            _ = self.ticker.tick() => {}
        }
    }

    /// The kernel-side counters, summed over CPUs.
    fn sum_counters(&self) -> KernelCounters {
        let sum = |c: Counter| {
            self.counters
                .get(&(c as u32), 0)
                .map(|values| values.iter().sum())
                .unwrap_or(0)
        };
        KernelCounters {
            ring_full: sum(Counter::RingFull),
            offered: sum(Counter::Offered),
            unmarked: sum(Counter::Unmarked),
            shared_marks: sum(Counter::SharedMark),
            marks_full: sum(Counter::MarksFull),
            sites_captured: sum(Counter::SitesCaptured),
            sites_unstored: sum(Counter::SitesUnstored),
        }
    }

    /// Gives a call site its frames: those read before, else those the kernel stored under
    /// its id (one map lookup per new call site). Without them the site is its caller alone.
    fn resolve_in(
        frames: &mut HashMap<u64, Arc<[u64]>>,
        stacks: &BpfHashMap<MapData, u64, SiteFrames>,
        site: &mut CallSite,
    ) {
        if site.stack == 0 {
            return;
        }
        if let Some(f) = frames.get(&site.stack) {
            site.frames = Some(f.clone());
            return;
        }
        let Ok(stored) = stacks.get(&site.stack, 0) else {
            return;
        };
        let len = (stored.len as usize).min(stored.frames.len());
        if len == 0 || stored.frames[0] != site.caller {
            return;
        }
        if frames.len() >= FRAMES_KEPT {
            frames.clear();
        }
        let f: Arc<[u64]> = stored.frames[..len].into();
        frames.insert(site.stack, f.clone());
        site.frames = Some(f);
    }
}

impl EventSource for Reader {
    async fn ready(&mut self) {
        self.wait().await;
    }

    fn drain(&mut self, f: &mut dyn FnMut(Result<Event, DecodeError>)) -> usize {
        let ring = self.ring.get_mut();
        let mut n = 0;
        while let Some(item) = ring.next() {
            let mut decoded = decode(&item);
            drop(item);
            n += 1;
            if let Ok(Event {
                site: Some(site), ..
            }) = &mut decoded
            {
                Self::resolve_in(&mut self.frames, &self.stacks, site);
            }
            f(decoded);
        }
        n
    }

    fn counters(&self) -> KernelCounters {
        self.sum_counters()
    }

    /// The reader alone cannot sweep: the pipeline, which holds the iterator, does.
    fn sweep(&mut self) -> Option<Sweep> {
        None
    }
}
