//! How fast each process's address space grows: one sample of its virtual size a tick, kept
//! for a window, giving growth per second (last two samples) and over the window.

use std::collections::{HashMap, VecDeque};

/// Virtual-size samples per process.
#[derive(Debug)]
pub struct Growth {
    window_s: u64,
    samples: HashMap<u32, VecDeque<(u64, u64)>>,
}

impl Growth {
    /// Keeps `window_s` seconds of samples.
    pub fn new(window_s: u64) -> Self {
        Self {
            window_s: window_s.max(1),
            samples: HashMap::new(),
        }
    }

    /// Records each `(pid, virtual_bytes)` at `now_s`; forgets processes not in the list.
    pub fn record(&mut self, now_s: u64, sizes: impl IntoIterator<Item = (u32, u64)>) {
        let mut seen = HashMap::with_capacity(self.samples.len());
        for (pid, bytes) in sizes {
            let q = self.samples.remove(&pid).unwrap_or_default();
            seen.insert(pid, q);
            let q = seen.get_mut(&pid).expect("just inserted");
            q.push_back((now_s, bytes));
            // Keep one sample at or before the window's start, so the window is fully covered.
            while q.len() > 2 && q[1].0 + self.window_s <= now_s {
                q.pop_front();
            }
        }
        self.samples = seen;
    }

    /// Bytes per second between the last two samples (0 with fewer).
    pub fn per_second(&self, pid: u32) -> f64 {
        let Some(q) = self.samples.get(&pid) else {
            return 0.0;
        };
        match (q.len().checked_sub(2).map(|i| q[i]), q.back()) {
            (Some((t0, b0)), Some(&(t1, b1))) if t1 > t0 => {
                (b1 as f64 - b0 as f64) / (t1 - t0) as f64
            }
            _ => 0.0,
        }
    }

    /// Bytes gained (negative: lost) over the window.
    pub fn over_window(&self, pid: u32) -> i64 {
        match self.samples.get(&pid) {
            Some(q) if q.len() >= 2 => q.back().expect("len").1 as i64 - q[0].1 as i64,
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests;
