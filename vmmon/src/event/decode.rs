//! Ring-buffer records into [`Event`]s. Every record is length-checked and copied out of the
//! buffer; a record that does not fit is an error value, never a panic.

use super::CallSite;
use super::{Comm, Event, ExitStatus, Figures, Footprint, Kind, Resident, Swept, Syscall};
use vmmon_common::{
    EXIT_KNOWN, EXIT_OOM_VICTIM, EventKind, ExecRecord, ExitRecord, FIGURES_KNOWN, ForkRecord,
    Header, IDS_DUMPABLE, IDS_KNOWN, OomRecord, SWEPT_THREAD, SweepRecord, SweepThread,
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
            let footprint = (group_dead && r.figures.flags & FIGURES_KNOWN != 0).then(|| {
                Box::new(Footprint {
                    start_ns: r.start_ns,
                    resident: Resident::from_raw(&r.resident),
                    ids: exit_ids(&r),
                })
            });
            let kind = Kind::Exit {
                group_dead,
                footprint,
                status: (r.ids_flags & EXIT_KNOWN != 0).then_some(ExitStatus {
                    wait_status: r.exit_code,
                    oom_victim: r.ids_flags & EXIT_OOM_VICTIM != 0,
                }),
            };
            (r.header, r.figures, kind)
        }
        EventKind::OomKill => {
            let r: OomRecord = read(bytes, raw_kind)?;
            let kind = Kind::OomKill {
                resident: Resident::from_raw(&r.resident),
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

/// The ids an exit carries, when the kernel's layout gave them.
fn exit_ids(r: &ExitRecord) -> Option<crate::access::Ids> {
    (r.ids_flags & IDS_KNOWN != 0).then_some(crate::access::Ids {
        uids: r.uids,
        gids: r.gids,
        dumpable: r.ids_flags & IDS_DUMPABLE != 0,
    })
}

/// Decodes what a sweep's iterator wrote: whole records, one per process, and one per thread
/// inside a traced call (folded into its process's [`Swept::oldest_call_ns`]). A trailing part
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
    let mut swept = Vec::with_capacity(bytes.len() / size);
    let mut oldest: rustc_hash::FxHashMap<u32, u64> = Default::default();
    for c in bytes.chunks(size) {
        let r: SweepRecord = read(c, 0)?;
        if r.kind == SWEPT_THREAD {
            let t: SweepThread = read(c, 0)?;
            if let Some(at) = super::jiffies::at_ns(t.since_jiffies, t.now_jiffies, t.ts_ns) {
                let o = oldest.entry(t.tgid).or_insert(at);
                *o = (*o).min(at);
            }
            continue;
        }
        swept.push(Swept {
            tgid: r.tgid,
            ts_ns: r.ts_ns,
            start_ns: r.start_ns,
            figures: Figures::from_raw(&r.figures).unwrap_or_default(),
            resident: Resident::from_raw(&r.resident),
            oldest_call_ns: None,
        });
    }
    for s in &mut swept {
        s.oldest_call_ns = oldest.get(&s.tgid).copied();
    }
    Ok(swept)
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
mod tests;
