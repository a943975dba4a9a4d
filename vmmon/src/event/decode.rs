//! Ring-buffer records into [`Event`]s. Every record is length-checked and copied out of the
//! buffer; a record that does not fit is an error value, never a panic.

use super::CallSite;
use super::{Comm, Event, Figures, Footprint, Kind, Resident, Swept, Syscall};
use vmmon_common::{
    EventKind, ExecRecord, ExitRecord, FIGURES_KNOWN, ForkRecord, Header, SweepRecord,
    SyscallRecord,
};

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
    let mut site = None;
    let (header, figures, kind) = match kind {
        EventKind::Fork => {
            let r: ForkRecord = read(bytes, raw_kind)?;
            let kind = Kind::Fork {
                child_tgid: r.child_tgid,
                child_tid: r.child_tid,
                clone_flags: Some(r.clone_flags),
            };
            (r.header, r.figures, kind)
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
            (r.header, r.figures, kind)
        }
        EventKind::Exit => {
            let r: ExitRecord = read(bytes, raw_kind)?;
            let group_dead = r.group_dead != 0;
            let footprint =
                (group_dead && r.figures.flags & FIGURES_KNOWN != 0).then(|| Footprint {
                    start_ns: r.start_ns,
                    resident: Resident::from_raw(&r.resident),
                });
            let kind = Kind::Exit {
                group_dead,
                footprint,
            };
            (r.header, r.figures, kind)
        }
        k => {
            let r: SyscallRecord = read(bytes, raw_kind)?;
            let call = Syscall::of(k).expect("every other kind is a syscall");
            site = CallSite::from_raw(&r.site);
            (r.header, r.figures, syscall_kind(call, &r.args, r.ret))
        }
    };
    Ok(Event {
        ts_ns: header.ts_ns,
        tgid: header.tgid,
        tid: header.tid,
        comm: Comm::new(header.comm),
        kind,
        figures: Figures::from_raw(&figures),
        site,
    })
}

/// Decodes what a sweep's iterator wrote: whole records, one per process. A trailing part
/// of a record (a read cut short) is an error.
pub fn decode_sweep(bytes: &[u8]) -> Result<Vec<Swept>, DecodeError> {
    let size = size_of::<SweepRecord>();
    if !bytes.len().is_multiple_of(size) {
        return Err(DecodeError::Length {
            kind: 0,
            len: bytes.len() % size,
            expected: size,
        });
    }
    bytes
        .chunks(size)
        .map(|c| {
            let r: SweepRecord = read(c, 0)?;
            Ok(Swept {
                tgid: r.tgid,
                ts_ns: r.ts_ns,
                start_ns: r.start_ns,
                figures: Figures::from_raw(&r.figures).unwrap_or_default(),
                resident: Resident::from_raw(&r.resident),
            })
        })
        .collect()
}

fn syscall_kind(call: Syscall, a: &[u64; 6], ret: i64) -> Kind {
    // Narrow arguments (prot, flags, fd, pkey) travel in 64-bit slots; the kernel reads only
    // their low 32 bits, and so do we.
    match call {
        Syscall::Mmap => Kind::Mmap {
            addr: a[0],
            len: a[1],
            prot: a[2] as u32,
            flags: a[3] as u32,
            fd: a[4] as i32,
            offset: a[5],
            ret,
        },
        Syscall::Munmap => Kind::Munmap {
            addr: a[0],
            len: a[1],
            ret,
        },
        Syscall::Mremap => Kind::Mremap {
            old_addr: a[0],
            old_len: a[1],
            new_len: a[2],
            flags: a[3] as u32,
            new_addr: a[4],
            ret,
        },
        Syscall::Mprotect => Kind::Mprotect {
            addr: a[0],
            len: a[1],
            prot: a[2] as u32,
            ret,
        },
        Syscall::PkeyMprotect => Kind::PkeyMprotect {
            addr: a[0],
            len: a[1],
            prot: a[2] as u32,
            pkey: a[3] as i32,
            ret,
        },
        Syscall::Brk => Kind::Brk { addr: a[0], ret },
        Syscall::Shmat => Kind::Shmat {
            shmid: a[0] as i32,
            addr: a[1],
            flags: a[2] as u32,
            ret,
        },
        Syscall::Shmdt => Kind::Shmdt { addr: a[0], ret },
        call => {
            // Only the named arguments mean anything; the rest of the registers are zeroed
            // so that equal calls compare equal.
            let mut args = [0; 6];
            let n = call.arg_names().len();
            args[..n].copy_from_slice(&a[..n]);
            Kind::Adjust { call, args, ret }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Comm;
    use vmmon_common::linux::{CLONE_THREAD, CLONE_VM};
    use vmmon_common::{COMM_LEN, FILENAME_LEN};

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
            figures: vmmon_common::Figures::default(),
            site: vmmon_common::SiteRecord::default(),
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
        assert_eq!(e.site, None, "no call site captured");
    }

    #[test]
    fn a_captured_call_site_is_its_caller_until_its_frames_are_read() {
        let mut r = mmap_record();
        r.site = vmmon_common::SiteRecord {
            caller: 0x5555_0000_1234,
            stack: 0xabcd_0001,
        };
        let site = decode(&bytes(&r)).unwrap().site.expect("a site");
        assert_eq!((site.caller, site.stack), (0x5555_0000_1234, 0xabcd_0001));
        assert_eq!(&*site.frames(), &[0x5555_0000_1234]);
        assert_eq!(site.id(), 0x5555_0000_1234 << 1, "the caller's id, even");
        let read = CallSite::with_frames(0xabcd_0001, &[0x5555_0000_1234, 0x5555_0000_2000]);
        assert_eq!(
            read.id(),
            0xabcd_0001,
            "the kernel's id once its frames are read"
        );
        assert_eq!(read.frames().len(), 2);
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
            figures: vmmon_common::Figures::default(),
            site: vmmon_common::SiteRecord::default(),
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
                expected: 152
            })
        ));
    }

    #[test]
    fn long_record_is_an_error() {
        let mut b = bytes(&mmap_record());
        b.extend_from_slice(&[0; 8]);
        assert!(matches!(
            decode(&b),
            Err(DecodeError::Length { len: 160, .. })
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
    fn decodes_forks_with_their_flags_and_the_childs_figures() {
        let figures = vmmon_common::Figures {
            total_vm: 100,
            hiwater_vm: 120,
            map_count: 9,
            flags: FIGURES_KNOWN,
            ..vmmon_common::Figures::default()
        };
        let r = ForkRecord {
            header: header(EventKind::Fork),
            child_tid: 20,
            child_tgid: 10,
            clone_flags: CLONE_VM | CLONE_THREAD,
            figures,
        };
        let e = decode(&bytes(&r)).unwrap();
        assert_eq!(e.is_thread(), Some(true));
        assert_eq!(e.shares_vm(), Some(true));
        let plain = ForkRecord {
            clone_flags: 0x11,
            child_tgid: 20,
            ..r
        };
        let e = decode(&bytes(&plain)).unwrap();
        assert_eq!((e.is_thread(), e.shares_vm()), (Some(false), Some(false)));
        let f = e.figures.unwrap();
        assert_eq!(
            (f.virtual_bytes, f.peak_virtual_bytes, f.mappings),
            (409600, 491520, 9)
        );
    }

    #[test]
    fn a_syscall_record_without_known_figures_has_none() {
        let e = decode(&bytes(&mmap_record())).unwrap();
        assert_eq!(e.figures, None);
    }

    #[test]
    fn decodes_the_calls_kept_as_raw_arguments_and_zeroes_the_unnamed_ones() {
        let r = SyscallRecord {
            header: header(EventKind::Madvise),
            args: [0x1000, 8192, 14, 77, 88, 99],
            ..mmap_record()
        };
        let e = decode(&bytes(&r)).unwrap();
        assert_eq!(
            e.kind,
            Kind::Adjust {
                call: Syscall::Madvise,
                args: [0x1000, 8192, 14, 0, 0, 0],
                ret: 0x7f00_0000_0000,
            }
        );
        assert_eq!(e.kind.name(), "madvise");
    }

    #[test]
    fn decodes_a_sweep_and_refuses_a_cut_one() {
        let rec = SweepRecord {
            tgid: 42,
            ts_ns: 5,
            start_ns: 1,
            figures: vmmon_common::Figures {
                total_vm: 3,
                map_count: 2,
                flags: FIGURES_KNOWN,
                ..vmmon_common::Figures::default()
            },
            resident: vmmon_common::Resident {
                anon: 1,
                ..vmmon_common::Resident::default()
            },
            ..SweepRecord::default()
        };
        let mut b = bytes(&rec);
        b.extend(bytes(&SweepRecord { tgid: 43, ..rec }));
        let swept = decode_sweep(&b).unwrap();
        assert_eq!(swept.len(), 2);
        assert_eq!((swept[0].tgid, swept[1].tgid), (42, 43));
        assert_eq!(swept[0].figures.virtual_bytes, 3 * 4096);
        assert_eq!(swept[0].resident.anon_bytes, 4096);
        assert!(decode_sweep(&b[..b.len() - 1]).is_err());
        assert_eq!(decode_sweep(&[]).unwrap(), Vec::new());
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
            figures: vmmon_common::Figures::default(),
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
            start_ns: 7,
            figures: vmmon_common::Figures {
                total_vm: 2,
                flags: FIGURES_KNOWN,
                ..vmmon_common::Figures::default()
            },
            resident: vmmon_common::Resident {
                hiwater_rss: 9,
                anon: 3,
                ..vmmon_common::Resident::default()
            },
        };
        let e = decode(&bytes(&r)).unwrap();
        assert!(e.is_process_exit());
        let Kind::Exit {
            footprint: Some(f), ..
        } = e.kind
        else {
            panic!("{e:?}")
        };
        assert_eq!((f.start_ns, f.resident.peak_bytes), (7, 9 * 4096));
        let thread = ExitRecord { group_dead: 0, ..r };
        assert_eq!(
            decode(&bytes(&thread)).unwrap().kind,
            Kind::Exit {
                group_dead: false,
                footprint: None
            }
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
