//! A task's name as the kernel keeps it, from an untrusted process.

use std::fmt;
use vmmon_common::COMM_LEN;

/// A task's `comm`: up to 16 bytes, from an untrusted process (any bytes at all).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Comm([u8; COMM_LEN]);

impl Comm {
    /// The comm from the kernel's NUL-padded bytes.
    pub fn new(raw: [u8; COMM_LEN]) -> Self {
        Self(raw)
    }

    /// A comm from text (truncated to 16 bytes), e.g. from `/proc/PID/stat`.
    pub fn from_bytes(b: &[u8]) -> Self {
        let mut raw = [0u8; COMM_LEN];
        let n = b.len().min(COMM_LEN);
        raw[..n].copy_from_slice(&b[..n]);
        Self(raw)
    }

    /// The bytes before the first NUL.
    pub fn as_bytes(&self) -> &[u8] {
        let len = self.0.iter().position(|&b| b == 0).unwrap_or(COMM_LEN);
        &self.0[..len]
    }

    /// The comm as text, invalid UTF-8 replaced.
    pub fn to_string_lossy(&self) -> std::borrow::Cow<'_, str> {
        String::from_utf8_lossy(self.as_bytes())
    }
}

/// Shows the comm safe for a terminal: control characters and invalid UTF-8 escaped.
impl fmt::Display for Comm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for chunk in self.as_bytes().utf8_chunks() {
            for c in chunk.valid().chars() {
                if c.is_control() {
                    write!(f, "{}", c.escape_default())?;
                } else {
                    write!(f, "{c}")?;
                }
            }
            for b in chunk.invalid() {
                write!(f, "\\x{b:02x}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Comm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}
