use super::*;

/// Jiffies at `uptime_s` on a kernel ticking at `hz`.
fn jiffies(hz: u64, uptime_s: f64) -> u64 {
    ((1u64 << 32) as f64 - 300.0 * hz as f64 + uptime_s * hz as f64) as u64
}

#[test]
fn every_rate_is_told_from_one_instant() {
    for hz_built in RATES {
        for uptime in [12.0, 250.0, 400.0, 14_277.4, 9e6] {
            let ts = (uptime * 1e9) as u64;
            assert_eq!(
                hz(jiffies(hz_built, uptime), ts),
                Some(hz_built),
                "{hz_built} at {uptime}"
            );
        }
    }
}

#[test]
fn near_the_wrap_no_rate_is_claimed() {
    assert_eq!(hz(jiffies(250, 301.0), 301_000_000_000), None);
    assert_eq!(hz(12345, 20_000_000_000), None, "jiffies of no known rate");
}

#[test]
fn a_mark_becomes_its_time() {
    let ts = 14_277_000_000_000;
    let now = jiffies(250, 14_277.0);
    assert_eq!(at_ns(now - 500, now, ts), Some(ts - 2_000_000_000));
    assert_eq!(at_ns(now, now, ts), Some(ts));
}
