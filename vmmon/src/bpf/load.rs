//! Loading the eBPF object: checking the ring's size, loading and attaching every program of
//! the table, taking its maps, attaching the sweep's iterator. The [`super::Pipeline`] keeps
//! it all alive.

use super::Error;
use aya::Ebpf;
use aya::programs::{BtfTracePoint, Iter, TracePoint};
use vmmon_common::{Hook, PROGRAMS};

/// vmmon's programs, built by `build.rs`.
pub(super) static VMMON_OBJECT: &[u8] =
    aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/vmmon"));

/// Checks a ring-buffer size: the kernel wants a power-of-two multiple of the page size, and
/// vmmon takes at most `vmmon_common::MAX_RING_BYTES`.
pub fn validate_ring_bytes(bytes: u64) -> Result<u32, Error> {
    if vmmon_common::ring_bytes_valid(bytes) {
        Ok(bytes as u32)
    } else {
        Err(Error::RingSize(bytes))
    }
}

/// Attaches the sweep's iterator afresh and opens it: reading the file runs it.
pub(super) fn open_sweep(ebpf: &mut Ebpf) -> Result<std::fs::File, Error> {
    let p = PROGRAMS
        .iter()
        .find(|p| matches!(p.hook, Hook::Iter { .. }))
        .ok_or(Error::MissingProgram("the sweep"))?;
    let program = |source| Error::Program {
        program: p.name,
        source: Box::new(source),
    };
    let iter: &mut Iter = program_mut(ebpf, p.name)?;
    let link = iter.attach().map_err(program)?;
    let link = iter.take_link(link).map_err(program)?;
    link.into_file().map_err(Error::Sweep)
}

fn program_mut<'a, T>(ebpf: &'a mut Ebpf, name: &'static str) -> Result<&'a mut T, Error>
where
    &'a mut T: TryFrom<&'a mut aya::programs::Program, Error = aya::programs::ProgramError>,
{
    ebpf.program_mut(name)
        .ok_or(Error::MissingProgram(name))?
        .try_into()
        .map_err(|source| Error::Program {
            program: name,
            source: Box::new(source),
        })
}

/// Loads every program of the table into the kernel.
pub(super) fn load_programs(ebpf: &mut Ebpf) -> Result<(), Error> {
    let btf = aya::Btf::from_sys_fs().map_err(Error::KernelBtf)?;
    for p in PROGRAMS {
        let loaded = match p.hook {
            Hook::TracePoint { .. } => program_mut::<TracePoint>(ebpf, p.name)?.load(),
            Hook::BtfTracePoint { name } => {
                program_mut::<BtfTracePoint>(ebpf, p.name)?.load(name, &btf)
            }
            Hook::Iter { target } => program_mut::<Iter>(ebpf, p.name)?.load(target, &btf),
        };
        loaded.map_err(|source| Error::Program {
            program: p.name,
            source: Box::new(source),
        })?;
    }
    Ok(())
}

/// Attaches every program of the table to its hook (the iterator is attached at each sweep),
/// but for the tracepoints of syscalls this kernel does not have. Returns how many are.
pub(super) fn attach_programs(ebpf: &mut Ebpf) -> Result<usize, Error> {
    let mut attached = 0;
    for p in PROGRAMS {
        let result = match p.hook {
            Hook::TracePoint {
                category,
                name,
                syscall,
            } => {
                if syscall.is_some() && !tracepoint_exists(category, name) {
                    log::debug!("no tracepoint {category}:{name}: this kernel lacks the syscall");
                    continue;
                }
                program_mut::<TracePoint>(ebpf, p.name)?
                    .attach(category, name)
                    .map(drop)
            }
            Hook::BtfTracePoint { .. } => program_mut::<BtfTracePoint>(ebpf, p.name)?
                .attach()
                .map(drop),
            Hook::Iter { .. } => Ok(()),
        };
        result.map_err(|source| Error::Attach {
            program: p.name,
            hook: p.hook,
            source: Box::new(source),
        })?;
        attached += 1;
    }
    Ok(attached)
}

/// Whether tracefs has tracepoint `category:name`.
fn tracepoint_exists(category: &str, name: &str) -> bool {
    super::preflight::tracefs().is_some_and(|fs| {
        std::path::Path::new(fs)
            .join("events")
            .join(category)
            .join(name)
            .exists()
    })
}

/// Takes map `name` out of the object, as a `T`.
pub(super) fn take_map<T>(ebpf: &mut Ebpf, name: &'static str) -> Result<T, Error>
where
    T: TryFrom<aya::maps::Map, Error = aya::maps::MapError>,
{
    let map = ebpf.take_map(name).ok_or(Error::MapMissing(name))?;
    T::try_from(map).map_err(|source| Error::Map { map: name, source })
}

#[cfg(test)]
mod tests;
