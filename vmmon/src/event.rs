//! Decoding ring-buffer records into typed [`Event`]s. Pure: bytes in, values out. Every record
//! is length-checked and copied out of the buffer; a record that does not fit is an error value.

use std::fmt;
use vmmon_common::{
    CLONE_THREAD, CLONE_VM, COMM_LEN, EventKind, ExecRecord, ExitRecord, ForkRecord, Header,
    SyscallRecord,
};

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

/// One thing that happened to an address space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// `CLOCK_MONOTONIC` nanoseconds.
    pub ts_ns: u64,
    /// Process id.
    pub tgid: u32,
    /// Thread id.
    pub tid: u32,
    /// The task's comm at the time.
    pub comm: Comm,
    /// What happened.
    pub kind: Kind,
}

/// What happened, with the syscall's arguments and result where it was a syscall.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    Mmap {
        addr: u64,
        len: u64,
        prot: u32,
        flags: u32,
        fd: i32,
        offset: u64,
        ret: i64,
    },
    Munmap {
        addr: u64,
        len: u64,
        ret: i64,
    },
    Mremap {
        old_addr: u64,
        old_len: u64,
        new_len: u64,
        flags: u32,
        new_addr: u64,
        ret: i64,
    },
    Mprotect {
        addr: u64,
        len: u64,
        prot: u32,
        ret: i64,
    },
    PkeyMprotect {
        addr: u64,
        len: u64,
        prot: u32,
        pkey: i32,
        ret: i64,
    },
    Brk {
        addr: u64,
        ret: i64,
    },
    /// A new task. `clone_flags` is `None` when the programs missed them (then `child_tgid`
    /// is a guess: the child's tid).
    Fork {
        child_tgid: u32,
        child_tid: u32,
        clone_flags: Option<u64>,
    },
    /// A successful exec; the event's comm is the new image's.
    Exec {
        filename: String,
        old_tid: u32,
    },
    /// A task left; `group_dead` when it was the process's last thread.
    Exit {
        group_dead: bool,
    },
}

/// The syscalls vmmon traces, by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Syscall {
    Mmap,
    Munmap,
    Mremap,
    Mprotect,
    PkeyMprotect,
    Brk,
}

impl Kind {
    /// The event's name as used in output and filters.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Mmap { .. } => "mmap",
            Kind::Munmap { .. } => "munmap",
            Kind::Mremap { .. } => "mremap",
            Kind::Mprotect { .. } => "mprotect",
            Kind::PkeyMprotect { .. } => "pkey_mprotect",
            Kind::Brk { .. } => "brk",
            Kind::Fork { .. } => "fork",
            Kind::Exec { .. } => "exec",
            Kind::Exit { .. } => "exit",
        }
    }

    /// The syscall, for syscall events.
    pub fn syscall(&self) -> Option<Syscall> {
        Some(match self {
            Kind::Mmap { .. } => Syscall::Mmap,
            Kind::Munmap { .. } => Syscall::Munmap,
            Kind::Mremap { .. } => Syscall::Mremap,
            Kind::Mprotect { .. } => Syscall::Mprotect,
            Kind::PkeyMprotect { .. } => Syscall::PkeyMprotect,
            Kind::Brk { .. } => Syscall::Brk,
            _ => return None,
        })
    }

    /// The syscall's return value, for syscall events.
    pub fn ret(&self) -> Option<i64> {
        match *self {
            Kind::Mmap { ret, .. }
            | Kind::Munmap { ret, .. }
            | Kind::Mremap { ret, .. }
            | Kind::Mprotect { ret, .. }
            | Kind::PkeyMprotect { ret, .. }
            | Kind::Brk { ret, .. } => Some(ret),
            _ => None,
        }
    }

    /// The errno of a failed syscall. `brk` reports failure by not moving the break, so it
    /// never has one.
    pub fn errno(&self) -> Option<i32> {
        match self {
            Kind::Brk { .. } => None,
            _ => self
                .ret()
                .filter(|r| (-4095..0).contains(r))
                .map(|r| -r as i32),
        }
    }
}

impl Event {
    /// For a fork: whether the child shares the parent's address space (a thread, or a
    /// `CLONE_VM` child such as vfork's until it execs).
    pub fn shares_vm(&self) -> Option<bool> {
        match self.kind {
            Kind::Fork {
                clone_flags: Some(f),
                ..
            } => Some(f & CLONE_VM != 0),
            _ => None,
        }
    }

    /// For a fork: whether the child is a thread of the parent's process.
    pub fn is_thread(&self) -> Option<bool> {
        match self.kind {
            Kind::Fork {
                clone_flags: Some(f),
                ..
            } => Some(f & CLONE_THREAD != 0),
            _ => None,
        }
    }
}

/// Why a record could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("record of {0} bytes is shorter than a header")]
    Short(usize),
    #[error("record of kind {kind} has {len} bytes, expected {expected}")]
    Length {
        kind: u32,
        len: usize,
        expected: usize,
    },
    #[error("record of unknown kind {0}")]
    UnknownKind(u32),
}

/// Copies a `T` out of `bytes`, which must be exactly its size.
fn read<T: Copy>(bytes: &[u8], kind: u32) -> Result<T, DecodeError> {
    let expected = size_of::<T>();
    if bytes.len() != expected {
        return Err(DecodeError::Length {
            kind,
            len: bytes.len(),
            expected,
        });
    }
    // SAFETY: the length is checked above, `T` is one of the `#[repr(C)]` plain-data records
    // for which any bytes are a valid value, and `read_unaligned` copies without assuming
    // the buffer's alignment.
    Ok(unsafe { std::ptr::read_unaligned(bytes.as_ptr().cast::<T>()) })
}

/// Decodes one ring-buffer record.
pub fn decode(bytes: &[u8]) -> Result<Event, DecodeError> {
    if bytes.len() < size_of::<Header>() {
        return Err(DecodeError::Short(bytes.len()));
    }
    let raw_kind = u32::from_ne_bytes(bytes[..4].try_into().expect("4 bytes"));
    let kind = EventKind::from_u32(raw_kind).ok_or(DecodeError::UnknownKind(raw_kind))?;
    let (header, kind) = match kind {
        EventKind::Mmap
        | EventKind::Munmap
        | EventKind::Mremap
        | EventKind::Mprotect
        | EventKind::PkeyMprotect
        | EventKind::Brk => {
            let r: SyscallRecord = read(bytes, raw_kind)?;
            (r.header, syscall_kind(kind, &r.args, r.ret))
        }
        EventKind::Fork => {
            let r: ForkRecord = read(bytes, raw_kind)?;
            let known = r.flags_known != 0;
            let kind = Kind::Fork {
                child_tgid: r.child_tgid,
                child_tid: r.child_tid,
                clone_flags: known.then_some(r.clone_flags),
            };
            (r.header, kind)
        }
        EventKind::Exec => {
            let r: ExecRecord = read(bytes, raw_kind)?;
            let len = (r.filename_len as usize).min(r.filename.len());
            let name = &r.filename[..len];
            let name = name.split(|&b| b == 0).next().unwrap_or_default();
            let kind = Kind::Exec {
                filename: String::from_utf8_lossy(name).into_owned(),
                old_tid: r.old_tid,
            };
            (r.header, kind)
        }
        EventKind::Exit => {
            let r: ExitRecord = read(bytes, raw_kind)?;
            let kind = Kind::Exit {
                group_dead: r.group_dead != 0,
            };
            (r.header, kind)
        }
    };
    Ok(Event {
        ts_ns: header.ts_ns,
        tgid: header.tgid,
        tid: header.tid,
        comm: Comm::new(header.comm),
        kind,
    })
}

fn syscall_kind(kind: EventKind, a: &[u64; 6], ret: i64) -> Kind {
    // Narrow arguments (prot, flags, fd, pkey) travel in 64-bit slots; the kernel reads only
    // their low 32 bits, and so do we.
    match kind {
        EventKind::Mmap => Kind::Mmap {
            addr: a[0],
            len: a[1],
            prot: a[2] as u32,
            flags: a[3] as u32,
            fd: a[4] as i32,
            offset: a[5],
            ret,
        },
        EventKind::Munmap => Kind::Munmap {
            addr: a[0],
            len: a[1],
            ret,
        },
        EventKind::Mremap => Kind::Mremap {
            old_addr: a[0],
            old_len: a[1],
            new_len: a[2],
            flags: a[3] as u32,
            new_addr: a[4],
            ret,
        },
        EventKind::Mprotect => Kind::Mprotect {
            addr: a[0],
            len: a[1],
            prot: a[2] as u32,
            ret,
        },
        EventKind::PkeyMprotect => Kind::PkeyMprotect {
            addr: a[0],
            len: a[1],
            prot: a[2] as u32,
            pkey: a[3] as i32,
            ret,
        },
        EventKind::Brk => Kind::Brk { addr: a[0], ret },
        EventKind::Fork | EventKind::Exec | EventKind::Exit => {
            unreachable!("only syscall kinds reach here")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vmmon_common::FILENAME_LEN;

    fn header(kind: EventKind) -> Header {
        let mut comm = [0u8; COMM_LEN];
        comm[..4].copy_from_slice(b"test");
        Header {
            kind: kind as u32,
            tgid: 10,
            tid: 11,
            _pad: 0,
            ts_ns: 12345,
            comm,
        }
    }

    fn bytes<T: Copy>(r: &T) -> Vec<u8> {
        // SAFETY: test records are plain data of known size.
        unsafe { std::slice::from_raw_parts((r as *const T).cast::<u8>(), size_of::<T>()) }.to_vec()
    }

    fn mmap_record() -> SyscallRecord {
        SyscallRecord {
            header: header(EventKind::Mmap),
            args: [0, 4096, 3, 0x22, u64::MAX, 0],
            ret: 0x7f00_0000_0000,
        }
    }

    #[test]
    fn decodes_mmap() {
        let e = decode(&bytes(&mmap_record())).unwrap();
        assert_eq!((e.tgid, e.tid, e.ts_ns), (10, 11, 12345));
        assert_eq!(e.comm.as_bytes(), b"test");
        assert_eq!(
            e.kind,
            Kind::Mmap {
                addr: 0,
                len: 4096,
                prot: 3,
                flags: 0x22,
                fd: -1,
                offset: 0,
                ret: 0x7f00_0000_0000
            }
        );
        assert_eq!(e.kind.errno(), None);
    }

    #[test]
    fn failed_call_has_errno_but_brk_never_does() {
        let mut r = mmap_record();
        r.ret = -12;
        assert_eq!(decode(&bytes(&r)).unwrap().kind.errno(), Some(12));
        let brk = SyscallRecord {
            header: header(EventKind::Brk),
            args: [0; 6],
            ret: 0x5555_0000,
        };
        let e = decode(&bytes(&brk)).unwrap();
        assert_eq!(
            e.kind,
            Kind::Brk {
                addr: 0,
                ret: 0x5555_0000
            }
        );
        assert_eq!(e.kind.errno(), None);
    }

    #[test]
    fn short_record_is_an_error() {
        let b = bytes(&mmap_record());
        assert_eq!(decode(&b[..10]), Err(DecodeError::Short(10)));
        assert_eq!(decode(&[]), Err(DecodeError::Short(0)));
        assert!(matches!(
            decode(&b[..50]),
            Err(DecodeError::Length {
                kind: 1,
                len: 50,
                expected: 96
            })
        ));
    }

    #[test]
    fn long_record_is_an_error() {
        let mut b = bytes(&mmap_record());
        b.extend_from_slice(&[0; 8]);
        assert!(matches!(
            decode(&b),
            Err(DecodeError::Length { len: 104, .. })
        ));
    }

    #[test]
    fn unknown_kind_is_an_error() {
        let mut b = bytes(&mmap_record());
        b[..4].copy_from_slice(&99u32.to_ne_bytes());
        assert_eq!(decode(&b), Err(DecodeError::UnknownKind(99)));
        b[..4].copy_from_slice(&0u32.to_ne_bytes());
        assert_eq!(decode(&b), Err(DecodeError::UnknownKind(0)));
    }

    #[test]
    fn decodes_fork_with_and_without_flags() {
        let r = ForkRecord {
            header: header(EventKind::Fork),
            child_tid: 20,
            child_tgid: 10,
            clone_flags: CLONE_VM | CLONE_THREAD,
            flags_known: 1,
            _pad: 0,
        };
        let e = decode(&bytes(&r)).unwrap();
        assert_eq!(e.is_thread(), Some(true));
        assert_eq!(e.shares_vm(), Some(true));
        let unknown = ForkRecord {
            flags_known: 0,
            ..r
        };
        let e = decode(&bytes(&unknown)).unwrap();
        assert_eq!(e.is_thread(), None);
        assert!(matches!(
            e.kind,
            Kind::Fork {
                clone_flags: None,
                ..
            }
        ));
    }

    #[test]
    fn decodes_exec_filename_within_bounds() {
        let mut filename = [0u8; FILENAME_LEN];
        filename[..9].copy_from_slice(b"/bin/true");
        let r = ExecRecord {
            header: header(EventKind::Exec),
            old_tid: 11,
            filename_len: 9,
            filename,
        };
        let e = decode(&bytes(&r)).unwrap();
        assert_eq!(
            e.kind,
            Kind::Exec {
                filename: "/bin/true".into(),
                old_tid: 11
            }
        );
        // A length past the buffer is clamped, not trusted.
        let lying = ExecRecord {
            filename_len: 10_000,
            ..r
        };
        assert!(
            matches!(decode(&bytes(&lying)).unwrap().kind, Kind::Exec { ref filename, .. } if filename == "/bin/true")
        );
    }

    #[test]
    fn decodes_exit() {
        let r = ExitRecord {
            header: header(EventKind::Exit),
            group_dead: 1,
            _pad: 0,
        };
        assert_eq!(
            decode(&bytes(&r)).unwrap().kind,
            Kind::Exit { group_dead: true }
        );
    }

    #[test]
    fn hostile_comm_is_escaped_for_display() {
        let mut raw = [0u8; COMM_LEN];
        raw[..7].copy_from_slice(b"a\x1b[2Jb\xff");
        let c = Comm::new(raw);
        assert_eq!(c.to_string(), "a\\u{1b}[2Jb\\xff");
        assert_eq!(Comm::new(*b"exactly16bytes!!").as_bytes().len(), 16);
    }
}
