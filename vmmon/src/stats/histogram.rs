//! A histogram of durations with fixed bounds, cumulative as Prometheus wants them, that the
//! agent keeps and publishes (the time between drains, the time to repair a ledger); and what
//! every histogram the owner keeps gives Prometheus ([`Cumulative`]).

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The bounds every duration histogram uses, in milliseconds.
pub const BOUNDS_MS: [u64; 12] = [
    5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 30_000,
];

/// Counts of durations by upper bound.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Durations counted.
    pub count: u64,
    pub sum_seconds: f64,
    /// The longest counted.
    pub longest_ms: u64,
    /// Cumulative counts: durations of at most `le_ms`.
    pub buckets: Vec<Bucket>,
}

/// One bucket of a [`Histogram`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bucket {
    pub le_ms: u64,
    pub count: u64,
}

impl Histogram {
    /// Counts one duration.
    pub fn record(&mut self, d: Duration) {
        if self.buckets.is_empty() {
            self.buckets = BOUNDS_MS
                .iter()
                .map(|&le_ms| Bucket { le_ms, count: 0 })
                .collect();
        }
        let ms = d.as_secs_f64() * 1e3;
        for b in &mut self.buckets {
            if ms <= b.le_ms as f64 {
                b.count += 1;
            }
        }
        self.count += 1;
        self.sum_seconds += d.as_secs_f64();
        self.longest_ms = self.longest_ms.max(d.as_millis() as u64);
    }

    /// The cumulative count at bound `le_ms` (0 for a bound not in [`BOUNDS_MS`]).
    pub fn at(&self, le_ms: u64) -> u64 {
        self.buckets
            .iter()
            .find(|b| b.le_ms == le_ms)
            .map_or(0, |b| b.count)
    }
}

/// A histogram as Prometheus takes it: cumulative counts at upper bounds, with the count and
/// the sum of what was counted, in the unit Prometheus wants (seconds, bytes). Every
/// histogram the owner keeps gives this, and `/metrics` exposes them all through it.
pub trait Cumulative {
    /// Each upper bound with the count of values at most it, smallest first.
    fn buckets(&self) -> Vec<(f64, u64)>;
    /// How many values were counted.
    fn sample_count(&self) -> u64;
    /// Their sum.
    fn sample_sum(&self) -> f64;
}

/// Seconds, with every bound of [`BOUNDS_MS`] (0 where nothing was counted yet).
impl Cumulative for Histogram {
    fn buckets(&self) -> Vec<(f64, u64)> {
        BOUNDS_MS
            .iter()
            .map(|&le| (le as f64 / 1e3, self.at(le)))
            .collect()
    }

    fn sample_count(&self) -> u64 {
        self.count
    }

    fn sample_sum(&self) -> f64 {
        self.sum_seconds
    }
}

#[cfg(test)]
mod tests;
