//! One JSON object per event, with stable field names (documented in the README):
//! `ts_ns`, `event`, `tgid`, `tid`, `comm`, the call's arguments under their man-page names,
//! and for syscalls `ret` and `error` (the errno name, or null).

use crate::event::{Event, Kind};
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
            Kind::Mmap {
                addr,
                len,
                prot: p,
                flags,
                fd,
                offset,
                ..
            } => {
                m.serialize_entry("addr", addr)?;
                m.serialize_entry("len", len)?;
                m.serialize_entry("prot", p)?;
                m.serialize_entry("prot_names", &prot(*p))?;
                m.serialize_entry("flags", flags)?;
                m.serialize_entry("flag_names", &map_flags(*flags))?;
                m.serialize_entry("fd", fd)?;
                m.serialize_entry("offset", offset)?;
            }
            Kind::Munmap { addr, len, .. } => {
                m.serialize_entry("addr", addr)?;
                m.serialize_entry("len", len)?;
            }
            Kind::Mremap {
                old_addr,
                old_len,
                new_len,
                flags,
                new_addr,
                ..
            } => {
                m.serialize_entry("old_addr", old_addr)?;
                m.serialize_entry("old_len", old_len)?;
                m.serialize_entry("new_len", new_len)?;
                m.serialize_entry("flags", flags)?;
                m.serialize_entry("flag_names", &mremap_flags(*flags))?;
                m.serialize_entry("new_addr", new_addr)?;
            }
            Kind::Mprotect {
                addr, len, prot: p, ..
            } => {
                m.serialize_entry("addr", addr)?;
                m.serialize_entry("len", len)?;
                m.serialize_entry("prot", p)?;
                m.serialize_entry("prot_names", &prot(*p))?;
            }
            Kind::PkeyMprotect {
                addr,
                len,
                prot: p,
                pkey,
                ..
            } => {
                m.serialize_entry("addr", addr)?;
                m.serialize_entry("len", len)?;
                m.serialize_entry("prot", p)?;
                m.serialize_entry("prot_names", &prot(*p))?;
                m.serialize_entry("pkey", pkey)?;
            }
            Kind::Brk { addr, .. } => {
                m.serialize_entry("addr", addr)?;
            }
            Kind::Fork {
                child_tgid,
                child_tid,
                clone_flags: flags,
            } => {
                m.serialize_entry("child_tgid", child_tgid)?;
                m.serialize_entry("child_tid", child_tid)?;
                m.serialize_entry("clone_flags", flags)?;
                m.serialize_entry("clone_flag_names", &flags.map(clone_flags))?;
                m.serialize_entry("thread", &e.is_thread())?;
                m.serialize_entry("shares_vm", &e.shares_vm())?;
            }
            Kind::Exec { filename, old_tid } => {
                m.serialize_entry("filename", filename)?;
                m.serialize_entry("old_tid", old_tid)?;
            }
            Kind::Shmat {
                shmid, addr, flags, ..
            } => {
                m.serialize_entry("shmid", shmid)?;
                m.serialize_entry("addr", addr)?;
                m.serialize_entry("flags", flags)?;
            }
            Kind::Shmdt { addr, .. } => {
                m.serialize_entry("addr", addr)?;
            }
            Kind::Adjust { call, args, .. } => {
                for (name, v) in call.arg_names().iter().zip(args) {
                    m.serialize_entry(name, v)?;
                }
            }
            Kind::Exit {
                group_dead,
                footprint,
                status,
            } => {
                m.serialize_entry("group_dead", group_dead)?;
                m.serialize_entry("cause", &status.map(|s| s.cause()))?;
                if *group_dead {
                    let f = e.figures.as_ref();
                    m.serialize_entry("peak_virtual_bytes", &f.map(|f| f.peak_virtual_bytes))?;
                    m.serialize_entry(
                        "peak_resident_bytes",
                        &footprint.as_ref().map(|f| f.resident.peak_bytes),
                    )?;
                    m.serialize_entry("mapping_count", &f.map(|f| f.mappings))?;
                    m.serialize_entry(
                        "lifetime_ns",
                        &footprint
                            .as_ref()
                            .map(|f| e.ts_ns.saturating_sub(f.start_ns)),
                    )?;
                }
            }
            Kind::OomKill { resident } => {
                let f = e.figures.as_ref();
                m.serialize_entry("virtual_bytes", &f.map(|f| f.virtual_bytes))?;
                m.serialize_entry("mapping_count", &f.map(|f| f.mappings))?;
                m.serialize_entry("resident_bytes", &resident.total_bytes())?;
                m.serialize_entry("resident", resident)?;
            }
        }
        if let Some(ret) = e.kind.ret() {
            m.serialize_entry("ret", &ret)?;
            m.serialize_entry("error", &e.kind.errno().map(errno_name))?;
        }
        m.end()
    }
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
