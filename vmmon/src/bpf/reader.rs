//! Reading the ring buffer: woken by the kernel only when the ring fills up, otherwise drained
//! on a timer, so that no record costs a wakeup.

use super::Error;
use crate::event::{DecodeError, Event, decode};
use crate::source::{EventSource, KernelCounters, Sweep};
use aya::maps::{MapData, PerCpuArray, RingBuf};
use std::time::Duration;
use tokio::io::unix::AsyncFd;
use tokio::time::{Interval, MissedTickBehavior};
use vmmon_common::Counter;

/// The reading end of the programs' ring buffer.
pub struct Reader {
    ring: AsyncFd<RingBuf<MapData>>,
    counters: PerCpuArray<MapData, u64>,
    ticker: Interval,
}

impl Reader {
    pub(super) fn new(
        ring: RingBuf<MapData>,
        counters: PerCpuArray<MapData, u64>,
        poll_interval: Duration,
    ) -> Result<Self, Error> {
        // SAFETY: the ring buffer owns its map's fd and keeps it open, unchanged, for as long
        // as it lives, and the AsyncFd owns the ring buffer.
        let ring = unsafe { AsyncFd::register_with_interest(ring, tokio::io::Interest::READABLE) }
            .map_err(|e| Error::Poll(std::io::Error::other(e.to_string())))?;
        let mut ticker = tokio::time::interval(poll_interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Ok(Self {
            ring,
            counters,
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

    /// Hands every record now in the ring to `f`, undecoded, in order, and returns how many
    /// there were.
    pub fn drain_raw(&mut self, mut f: impl FnMut(&[u8])) -> usize {
        let ring = self.ring.get_mut();
        let mut n = 0;
        while let Some(item) = ring.next() {
            f(&item);
            n += 1;
        }
        n
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
        }
    }
}

impl EventSource for Reader {
    async fn ready(&mut self) {
        self.wait().await;
    }

    fn drain(&mut self, f: &mut dyn FnMut(Result<Event, DecodeError>)) -> usize {
        self.drain_raw(|raw| f(decode(raw)))
    }

    fn counters(&self) -> KernelCounters {
        self.sum_counters()
    }

    /// The reader alone cannot sweep: the pipeline, which holds the iterator, does.
    fn sweep(&mut self) -> Option<Sweep> {
        None
    }
}
