//! Jiffies to time (pure). The kernel marks when a traced call began in jiffies (the cheapest
//! clock a syscall's enter can read); a sweep reports the jiffies and `CLOCK_MONOTONIC` at one
//! instant. Jiffies start at `INITIAL_JIFFIES` (`-300 * HZ` as a 32-bit value, so that they
//! wrap five minutes after boot), which gives `HZ` from that one instant.

/// The tick rates kernels are built with.
const RATES: [u64; 4] = [100, 250, 300, 1000];

/// `HZ`, from jiffies `now` read at `CLOCK_MONOTONIC` `ts_ns`: the rate whose
/// `INITIAL_JIFFIES + uptime * HZ` is nearest, when it is clearly the nearest (not within
/// about 10 s of the 300 s mark where every rate gives the same jiffies). Monotonic time is
/// uptime less time suspended, when jiffies do not tick either.
pub fn hz(now: u64, ts_ns: u64) -> Option<u64> {
    let since_mark = ts_ns as f64 / 1e9 - 300.0;
    if since_mark.abs() < 10.0 {
        return None;
    }
    let ticks = now as f64 - 4_294_967_296.0;
    let measured = ticks / since_mark;
    let nearest = RATES.iter().copied().min_by(|a, b| {
        (*a as f64 - measured)
            .abs()
            .total_cmp(&(*b as f64 - measured).abs())
    })?;
    ((nearest as f64 - measured).abs() < nearest as f64 * 0.02).then_some(nearest)
}

/// When (`CLOCK_MONOTONIC` ns) jiffy `since` was, given jiffies `now` at `ts_ns`; `None` while
/// `HZ` cannot be told.
pub fn at_ns(since: u64, now: u64, ts_ns: u64) -> Option<u64> {
    let hz = hz(now, ts_ns)?;
    let ago = now.saturating_sub(since).saturating_mul(1_000_000_000 / hz);
    Some(ts_ns.saturating_sub(ago))
}

#[cfg(test)]
mod tests;
