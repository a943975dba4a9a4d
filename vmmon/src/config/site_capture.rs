//! Which calls have their call site captured: `off`, `all`, or those that grow an address
//! space by at least a size (`64KiB`, `1MiB`, `4096`). Pure: text in, a setting out.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// Which growing calls have their call site captured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SiteCapture {
    Off,
    /// Calls growing an address space by at least this many bytes (0: every growing call).
    AtLeast(u64),
}

impl SiteCapture {
    /// Every growing call.
    pub const ALL: SiteCapture = SiteCapture::AtLeast(0);

    /// The setting of a threshold the programs take.
    pub fn from_min_bytes(n: u64) -> Self {
        if n == vmmon_common::SITES_OFF {
            SiteCapture::Off
        } else {
            SiteCapture::AtLeast(n)
        }
    }

    /// The threshold the programs take (`SITES_OFF` for off).
    pub fn min_bytes(self) -> u64 {
        match self {
            SiteCapture::Off => vmmon_common::SITES_OFF,
            SiteCapture::AtLeast(n) => n,
        }
    }
}

/// A call-site setting that is none of `off`, `all` or a size.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not off, all, or a size such as 65536, 64KiB or 1MiB")]
pub struct BadSiteCapture(pub String);

const UNITS: [(&str, u64); 7] = [
    ("GiB", 1 << 30),
    ("MiB", 1 << 20),
    ("KiB", 1 << 10),
    ("G", 1 << 30),
    ("M", 1 << 20),
    ("K", 1 << 10),
    ("B", 1),
];

impl FromStr for SiteCapture {
    type Err = BadSiteCapture;

    fn from_str(s: &str) -> Result<Self, BadSiteCapture> {
        let t = s.trim();
        match t {
            "off" => return Ok(SiteCapture::Off),
            "all" => return Ok(SiteCapture::ALL),
            _ => {}
        }
        let (digits, unit) = UNITS
            .iter()
            .find_map(|&(u, m)| t.strip_suffix(u).map(|d| (d.trim(), m)))
            .unwrap_or((t, 1));
        digits
            .parse::<u64>()
            .ok()
            .and_then(|n| n.checked_mul(unit))
            .filter(|&n| n < vmmon_common::SITES_OFF)
            .map(SiteCapture::AtLeast)
            .ok_or_else(|| BadSiteCapture(s.to_string()))
    }
}

impl fmt::Display for SiteCapture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SiteCapture::Off => f.write_str("off"),
            SiteCapture::AtLeast(0) => f.write_str("all"),
            SiteCapture::AtLeast(n) => match UNITS[..3].iter().find(|&&(_, m)| n % m == 0) {
                Some(&(u, m)) => write!(f, "{}{u}", n / m),
                None => write!(f, "{n}"),
            },
        }
    }
}

impl Serialize for SiteCapture {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SiteCapture {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
