//! One JSON object per event, with stable field names (documented in the README):
//! `ts_ns`, `event`, `tgid`, `tid`, `comm`, the call's arguments under their man-page names,
//! and for syscalls `ret` and `error` (the errno name, or null).

use super::call_arg::{CallArg, Shown};
use crate::event::{Event, ExitStatus, Footprint, Kind, Resident};
use crate::format::{clone_flags, errno_name, map_flags, mremap_flags, prot};
use crate::symbolize::Frame;
use serde::ser::{Serialize, SerializeMap, Serializer};

struct Json<'a>(&'a Event);

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("ts_ns", &e.ts_ns)?;
        m.serialize_entry("event", e.kind.name())?;
        m.serialize_entry("tgid", &e.tgid)?;
        m.serialize_entry("tid", &e.tid)?;
        m.serialize_entry("comm", &e.comm.to_string_lossy())?;
        match &e.kind {
            Kind::Fork {
                child_tgid,
                child_tid,
                clone_flags,
            } => fork_fields(&mut m, e, (*child_tgid, *child_tid), *clone_flags)?,
            Kind::Exec { filename, old_tid } => {
                m.serialize_entry("filename", filename)?;
                m.serialize_entry("old_tid", old_tid)?;
            }
            Kind::Exit {
                group_dead,
                footprint,
                status,
            } => exit_fields(&mut m, e, *group_dead, footprint.as_deref(), *status)?,
            Kind::OomKill { resident } => oom_kill_fields(&mut m, e, resident)?,
            call => syscall_fields(&mut m, call)?,
        }
        m.end()
    }
}

/// The arguments under their man-page names (flags and protection bits with their names
/// too), then `ret` and `error`.
fn syscall_fields<M: SerializeMap>(m: &mut M, call: &Kind) -> Result<(), M::Error> {
    for arg in CallArg::all(call) {
        m.serialize_entry(arg.name, &arg.value)?;
        let bits = arg.value.bits() as u32;
        match arg.shown {
            Shown::Prot => m.serialize_entry("prot_names", &prot(bits))?,
            Shown::MapFlags => m.serialize_entry("flag_names", &map_flags(bits))?,
            Shown::MremapFlags => m.serialize_entry("flag_names", &mremap_flags(bits))?,
            _ => {}
        }
    }
    if let Some(ret) = call.ret() {
        m.serialize_entry("ret", &ret)?;
        m.serialize_entry("error", &call.errno().map(errno_name))?;
    }
    Ok(())
}

/// The child's ids and the clone flags (null when missed), and what the child is.
fn fork_fields<M: SerializeMap>(
    m: &mut M,
    e: &Event,
    (tgid, tid): (u32, u32),
    flags: Option<u64>,
) -> Result<(), M::Error> {
    m.serialize_entry("child_tgid", &tgid)?;
    m.serialize_entry("child_tid", &tid)?;
    m.serialize_entry("clone_flags", &flags)?;
    m.serialize_entry("clone_flag_names", &flags.map(clone_flags))?;
    m.serialize_entry("thread", &e.is_thread())?;
    m.serialize_entry("shares_vm", &e.shares_vm())
}

/// Whether it was the last thread and how it ended; for the last, what the process left
/// with (null where the kernel did not say).
fn exit_fields<M: SerializeMap>(
    m: &mut M,
    e: &Event,
    group_dead: bool,
    footprint: Option<&Footprint>,
    status: Option<ExitStatus>,
) -> Result<(), M::Error> {
    m.serialize_entry("group_dead", &group_dead)?;
    m.serialize_entry("cause", &status.map(|s| s.cause()))?;
    if !group_dead {
        return Ok(());
    }
    let f = e.figures.as_ref();
    m.serialize_entry("peak_virtual_bytes", &f.map(|f| f.peak_virtual_bytes))?;
    m.serialize_entry(
        "peak_resident_bytes",
        &footprint.map(|f| f.resident.peak_bytes),
    )?;
    m.serialize_entry("mapping_count", &f.map(|f| f.mappings))?;
    m.serialize_entry(
        "lifetime_ns",
        &footprint.map(|f| e.ts_ns.saturating_sub(f.start_ns)),
    )
}

/// The process's size when the OOM killer chose it.
fn oom_kill_fields<M: SerializeMap>(
    m: &mut M,
    e: &Event,
    resident: &Resident,
) -> Result<(), M::Error> {
    let f = e.figures.as_ref();
    m.serialize_entry("virtual_bytes", &f.map(|f| f.virtual_bytes))?;
    m.serialize_entry("mapping_count", &f.map(|f| f.mappings))?;
    m.serialize_entry("resident_bytes", &resident.total_bytes())?;
    m.serialize_entry("resident", resident)
}

/// Appends `e` as one JSON object (no newline).
pub fn write_json(out: &mut Vec<u8>, e: &Event) {
    serde_json::to_writer(out, &Json(e)).expect("writing JSON to memory cannot fail");
}

/// Appends `e` as one JSON object (no newline), with its call site's frames as `call_site`
/// when they were named.
pub fn write_json_with_site(out: &mut Vec<u8>, e: &Event, frames: Option<&[Frame]>) {
    let at = out.len();
    write_json(out, e);
    let Some(frames) = frames else {
        return;
    };
    if out.last() == Some(&b'}') && out.len() > at + 2 {
        out.pop();
        out.extend_from_slice(b",\"call_site\":");
        serde_json::to_writer(&mut *out, frames).expect("writing JSON to memory cannot fail");
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests;
