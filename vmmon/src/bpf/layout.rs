//! Where the running kernel keeps the fields the programs read, resolved from its BTF
//! (`/sys/kernel/btf/vmlinux`, with btf-rs) when the programs are loaded: one binary works on
//! kernels whose structs differ. What cannot be resolved is said, and left out.

use btf_rs::{Btf, Type};
use fallible_iterator::FallibleIterator as _;
use vmmon_common::Layout;

/// Where the kernel's BTF is.
pub const VMLINUX_BTF: &str = "/sys/kernel/btf/vmlinux";

/// The layout, and what could not be resolved.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    pub layout: Layout,
    /// Fields not found (or not of the expected size), as `struct.field`.
    pub missing: Vec<String>,
}

impl Resolved {
    /// Whether the records carry the kernel's figures (the address space's fields resolved).
    pub fn has_figures(&self) -> bool {
        self.layout.mm_known == 1
    }
}

/// Why the layout could not be resolved: the BTF could not be read, or it lacks the task's
/// own fields, without which nothing can be reported.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error("cannot read the kernel's BTF at {VMLINUX_BTF}: {0}")]
    Read(#[source] btf_rs::Error),
    #[error("this kernel's BTF lacks {0}, which vmmon needs to name the tasks it reports")]
    Task(String),
}

/// A member found: its byte offset from the start of the outer struct, and its type.
struct Found {
    offset: u32,
    ty: Type,
}

/// The struct named `name` (the first one with members, not a forward declaration).
fn strukt(btf: &Btf, name: &str) -> Option<btf_rs::Struct> {
    btf.resolve_types_by_name(name)
        .ok()?
        .into_iter()
        .find_map(|t| match t {
            Type::Struct(s) if !s.members.is_empty() => Some(s),
            _ => None,
        })
}

/// Member `name` of `s`, looking into anonymous structs and unions (where the kernel keeps
/// most of `mm_struct`).
fn member(btf: &Btf, s: &btf_rs::Struct, name: &str) -> Option<Found> {
    for m in &s.members {
        let here = m.bit_offset() / 8;
        let m_name = btf.resolve_name(m).unwrap_or_default();
        let ty = btf.resolve_chained_type(m).ok()?;
        if m_name == name {
            return Some(Found { offset: here, ty });
        }
        if m_name.is_empty()
            && let Type::Struct(inner) | Type::Union(inner) = &ty
            && let Some(f) = member(btf, inner, name)
        {
            return Some(Found {
                offset: here + f.offset,
                ty: f.ty,
            });
        }
    }
    None
}

/// The size in bytes of `ty`, through typedefs and qualifiers, for the kinds the programs
/// read (integers, pointers, enums).
fn size_of(btf: &Btf, ty: &Type) -> Option<usize> {
    match ty {
        Type::Int(i) => Some(i.size()),
        Type::Ptr(_) => Some(8),
        Type::Enum(e) => Some(e.size()),
        Type::Typedef(_) | Type::Volatile(_) | Type::Const(_) | Type::Restrict(_) => {
            size_of(btf, &btf.resolve_chained_type(ty.as_btf_type()?).ok()?)
        }
        Type::Array(a) => {
            let elem = btf.resolve_chained_type(a).ok()?;
            Some(size_of(btf, &elem)? * a.len())
        }
        Type::Struct(s) | Type::Union(s) => Some(s.size()),
        _ => None,
    }
}

/// The value of enumerator `name` (e.g. `MM_ANONPAGES`).
fn enumerator(btf: &Btf, name: &str) -> Option<u32> {
    let mut types = btf.type_iter();
    while let Ok(Some(t)) = types.next() {
        if let Type::Enum(e) = t
            && let Some(m) = e
                .members
                .iter()
                .find(|m| btf.resolve_name(*m).ok().as_deref() == Some(name))
        {
            return Some(m.val());
        }
    }
    None
}

/// Resolves paths of members for one struct, recording what is missing.
struct Resolver<'a> {
    btf: &'a Btf,
    missing: Vec<String>,
}

impl Resolver<'_> {
    /// The offset of `strukt.field`, checked to be `size` bytes long.
    fn field(&mut self, s: Option<&btf_rs::Struct>, strukt: &str, field: &str, size: usize) -> u32 {
        let found = s.and_then(|s| member(self.btf, s, field));
        match found {
            Some(f) if size_of(self.btf, &f.ty) == Some(size) => f.offset,
            _ => {
                self.missing.push(format!("{strukt}.{field}"));
                0
            }
        }
    }
}

/// Resolves the layout from the BTF at `path`.
pub fn resolve(path: &str) -> Result<Resolved, LayoutError> {
    let btf = Btf::from_file(path).map_err(LayoutError::Read)?;
    resolve_from(&btf)
}

/// Resolves the layout from parsed BTF.
pub fn resolve_from(btf: &Btf) -> Result<Resolved, LayoutError> {
    let mut r = Resolver {
        btf,
        missing: Vec::new(),
    };
    let task = strukt(btf, "task_struct");
    let mut l = Layout {
        task_pid: r.field(task.as_ref(), "task_struct", "pid", 4),
        task_tgid: r.field(task.as_ref(), "task_struct", "tgid", 4),
        task_comm: r.field(task.as_ref(), "task_struct", "comm", 16),
        task_mm: r.field(task.as_ref(), "task_struct", "mm", 8),
        task_start_time: r.field(task.as_ref(), "task_struct", "start_time", 8),
        ..Layout::default()
    };
    if let Some(first) = r.missing.first() {
        return Err(LayoutError::Task(first.clone()));
    }
    l.task_known = 1;
    let before = r.missing.len();
    let mm = strukt(btf, "mm_struct");
    l.mm_total_vm = r.field(mm.as_ref(), "mm_struct", "total_vm", 8);
    l.mm_hiwater_vm = r.field(mm.as_ref(), "mm_struct", "hiwater_vm", 8);
    l.mm_map_count = r.field(mm.as_ref(), "mm_struct", "map_count", 4);
    l.mm_hiwater_rss = r.field(mm.as_ref(), "mm_struct", "hiwater_rss", 8);
    // rss_stat: an array of per-CPU counters indexed by MM_FILEPAGES, ...; each counter's
    // approximate total is its `count` (what /proc/PID/status reports).
    let rss = mm.as_ref().and_then(|s| member(btf, s, "rss_stat"));
    let counter = strukt(btf, "percpu_counter");
    let count = counter.as_ref().and_then(|c| member(btf, c, "count"));
    let parts = counter.as_ref().and_then(|c| member(btf, c, "counters"));
    match (&rss, &count, &parts, counter.as_ref().map(|c| c.size())) {
        (Some(rss), Some(count), Some(parts), Some(elem))
            if size_of(btf, &count.ty) == Some(8) && size_of(btf, &parts.ty) == Some(8) =>
        {
            let at = |name: &str, field: u32, missing: &mut Vec<String>| match enumerator(btf, name)
            {
                Some(i) => rss.offset + i * elem as u32 + field,
                None => {
                    missing.push(format!("enum {name}"));
                    0
                }
            };
            l.rss_file = at("MM_FILEPAGES", count.offset, &mut r.missing);
            l.rss_anon = at("MM_ANONPAGES", count.offset, &mut r.missing);
            l.rss_swap = at("MM_SWAPENTS", count.offset, &mut r.missing);
            l.rss_shmem = at("MM_SHMEMPAGES", count.offset, &mut r.missing);
            l.rss_file_cpu = at("MM_FILEPAGES", parts.offset, &mut r.missing);
            l.rss_anon_cpu = at("MM_ANONPAGES", parts.offset, &mut r.missing);
            l.rss_swap_cpu = at("MM_SWAPENTS", parts.offset, &mut r.missing);
            l.rss_shmem_cpu = at("MM_SHMEMPAGES", parts.offset, &mut r.missing);
        }
        _ => r.missing.push("mm_struct.rss_stat[].count/counters".into()),
    }
    if r.missing.len() == before {
        l.mm_known = 1;
    }
    // Optional: without it resident memory is the counters' folded totals only.
    if let Some(array) = strukt(btf, "bpf_array")
        && let Some(pptrs) = member(btf, &array, "pptrs")
    {
        l.bpf_array_pptrs = pptrs.offset;
    }
    let bprm = strukt(btf, "linux_binprm");
    l.bprm_filename = r.field(bprm.as_ref(), "linux_binprm", "filename", 8);
    resolve_creds(&mut r, &mut l, task.as_ref(), mm.as_ref());
    resolve_exit(&mut r, &mut l, task.as_ref());
    Ok(Resolved {
        layout: l,
        missing: r.missing,
    })
}

/// The credentials an exit carries (optional: without them an exited process's details are
/// for root only).
fn resolve_creds(
    r: &mut Resolver<'_>,
    l: &mut Layout,
    task: Option<&btf_rs::Struct>,
    mm: Option<&btf_rs::Struct>,
) {
    let before = r.missing.len();
    let cred = strukt(r.btf, "cred");
    let c = cred.as_ref();
    l.task_real_cred = r.field(task, "task_struct", "real_cred", 8);
    l.cred_uid = r.field(c, "cred", "uid", 4);
    l.cred_euid = r.field(c, "cred", "euid", 4);
    l.cred_suid = r.field(c, "cred", "suid", 4);
    l.cred_gid = r.field(c, "cred", "gid", 4);
    l.cred_egid = r.field(c, "cred", "egid", 4);
    l.cred_sgid = r.field(c, "cred", "sgid", 4);
    // `unsigned long` before 6.18, `mm_flags_t` (a one-word bitmap) since: the dumpable
    // mode is the low two bits of the first word either way.
    l.mm_flags = r.field(mm, "mm_struct", "flags", 8);
    if r.missing.len() == before {
        l.creds_known = 1;
    }
}

/// How a process ended (optional: without it exits carry no cause).
fn resolve_exit(r: &mut Resolver<'_>, l: &mut Layout, task: Option<&btf_rs::Struct>) {
    let before = r.missing.len();
    let signal = strukt(r.btf, "signal_struct");
    let s = signal.as_ref();
    l.task_exit_code = r.field(task, "task_struct", "exit_code", 4);
    l.task_signal = r.field(task, "task_struct", "signal", 8);
    l.signal_flags = r.field(s, "signal_struct", "flags", 4);
    l.signal_group_exit_code = r.field(s, "signal_struct", "group_exit_code", 4);
    l.signal_oom_mm = r.field(s, "signal_struct", "oom_mm", 8);
    if r.missing.len() == before {
        l.exit_known = 1;
    }
}

#[cfg(test)]
mod tests;
