//! The symbolizer: regions and frames in, named frames out, with the mapped files' symbols
//! and build ids cached per file.

use super::frame::{Frame, Marker, ProcessSites, SiteView};
use crate::ledger::{NO_SITE, Region, RegionKind, RegionMap, SiteTable, SiteTotal, region_at};
use blazesym::symbolize::source::{Elf, Source};
use blazesym::symbolize::{Input, Symbolized, Symbolizer};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc;

/// Process `pid`'s mappings as `/proc` shows them now; `None` when it is gone.
pub fn regions_now(pid: u32) -> Option<RegionMap> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    if text.is_empty() {
        return None;
    }
    let (regions, _) = crate::procfs::parse_maps(&text);
    Some(regions.into_iter().map(|r| (r.start, r)).collect())
}

/// The device and inode of the file process `pid` maps at `addr`, as its `/proc/PID/maps`
/// shows them now.
fn mapped_file(pid: u32, addr: u64) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    text.lines().find_map(|line| {
        let mut f = line.split_whitespace();
        let (start, end) = f.next()?.split_once('-')?;
        let (start, end) = (
            u64::from_str_radix(start, 16).ok()?,
            u64::from_str_radix(end, 16).ok()?,
        );
        if !(start..end).contains(&addr) {
            return None;
        }
        let dev = f.nth(2)?;
        let (major, minor) = dev.split_once(':')?;
        let dev = libc::makedev(
            u32::from_str_radix(major, 16).ok()?,
            u32::from_str_radix(minor, 16).ok()?,
        );
        Some((dev, f.next()?.parse().ok()?))
    })
}

/// The file to read for region `r` of process `pid` (none when it cannot be opened), and
/// the module to call it: its path, when the file there is still the one mapped and can be
/// opened from here; else the process's own link to the mapped file while it lives, which
/// also says whether the file was deleted.
fn file_to_read(pid: u32, r: &Region) -> (Option<PathBuf>, Option<String>) {
    let named = r.path.as_deref().filter(|p| p.starts_with('/'));
    let was_deleted = named.is_some_and(deleted);
    let through = PathBuf::from(format!("/proc/{pid}/map_files/{:x}-{:x}", r.start, r.end));
    let opens = |p: &Path| std::fs::File::open(p).is_ok();
    // The file at the path must still be the one mapped (not replaced by an upgrade, nor
    // by a link to a file the process's user may not read): its device and inode must be
    // those the kernel shows for the mapping now.
    // Once the process is gone (a call site kept at its exit), the file it mapped there
    // as `/proc` showed it when the ledger last read it.
    let same = |p: &Path| {
        use std::os::unix::fs::MetadataExt as _;
        let mapped = mapped_file(pid, r.start).or_else(|| {
            let (dev, ino) = r.inode?;
            Some((libc::makedev(dev >> 20, dev & 0xf_ffff), ino))
        });
        std::fs::metadata(p).is_ok_and(|m| mapped == Some((m.dev(), m.ino())))
    };
    match named {
        Some(p) if !was_deleted && same(Path::new(p)) && opens(Path::new(p)) => {
            (Some(PathBuf::from(p)), Some(p.into()))
        }
        _ => {
            // Deleted, replaced, unnamed, or not reachable from here (another mount
            // namespace): the process's own link to the mapped file.
            let module = std::fs::read_link(&through)
                .ok()
                .map(|l| l.to_string_lossy().into_owned())
                .or_else(|| named.map(str::to_string));
            (opens(&through).then_some(through), module)
        }
    }
}

/// Whether a path as `/proc` shows it names a file deleted since it was mapped.
fn deleted(path: &str) -> bool {
    path.ends_with(" (deleted)")
}

/// Names cached at most; past it the cache starts again.
const NAMES_KEPT: usize = 1 << 16;

/// Names call sites. The symbolizer keeps its caches on a thread of its own (its files are
/// not to be shared between threads); callers hand it work and wait for the answer.
pub struct Symbols {
    jobs: mpsc::Sender<Job>,
}

type Job = Box<dyn FnOnce(&mut Inner) + Send>;

struct Inner {
    symbolizer: Symbolizer,
    /// (file, file offset) -> function and offset in it (None: no symbol there).
    names: HashMap<(Identity, u64), Option<(String, u64)>>,
    build_ids: HashMap<Identity, Option<String>>,
}

/// Which file, whatever the path that reached it: a path can name another file later (an
/// upgrade, a reused `/proc/PID/map_files` link), a file's identity cannot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Identity {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
}

impl Identity {
    fn of(m: &std::fs::Metadata) -> Self {
        use std::os::unix::fs::MetadataExt as _;
        Self {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mtime_ns: i128::from(m.mtime()) * 1_000_000_000 + i128::from(m.mtime_nsec()),
        }
    }
}

impl Default for Symbols {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for Symbols {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Symbols")
    }
}

impl Symbols {
    /// Starts the symbolizer's thread.
    pub fn new() -> Self {
        let (jobs, rx) = mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("vmmon-symbols".into())
            .spawn(move || {
                let mut inner = Inner::new();
                for job in rx {
                    // A panic in one file's parsing must not end naming for good.
                    let run = std::panic::AssertUnwindSafe(|| job(&mut inner));
                    if std::panic::catch_unwind(run).is_err() {
                        inner = Inner::new();
                    }
                }
            });
        if let Err(e) = spawned {
            log::warn!("cannot start the symbolizer's thread: {e}; call sites stay unnamed");
        }
        Self { jobs }
    }

    /// Runs `f` on the symbolizer's thread and waits for it; `None` if that thread is gone.
    fn run<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Inner) -> R + Send + 'static,
    ) -> Option<R> {
        let (tx, rx) = mpsc::sync_channel(1);
        self.jobs
            .send(Box::new(move |inner| {
                let _ = tx.send(f(inner));
            }))
            .ok()?;
        rx.recv().ok()
    }

    /// The frames of a call site of process `pid`, whose regions are `regions`. Frames past
    /// the first that no executable mapping holds end the list: a frame-pointer walk through
    /// code built without frame pointers reads words that are not return addresses.
    pub fn frames(&self, pid: u32, regions: &RegionMap, frames: &[u64]) -> Vec<Frame> {
        let (regions, owned) = (regions.clone(), frames.to_vec());
        self.run(move |inner| inner.frames(pid, &regions, &owned))
            .unwrap_or_else(|| {
                frames
                    .iter()
                    .map(|&a| Frame::bare(a, Marker::Unreadable))
                    .collect()
            })
    }

    /// Process `pid`'s call sites as of `snapshot`, at most `limit` of them named; `None`
    /// when the snapshot does not have the process.
    pub fn process_sites(
        &self,
        snapshot: &crate::view::Snapshot,
        pid: u32,
        limit: usize,
    ) -> Option<ProcessSites> {
        let entry = snapshot.processes.get(&pid)?;
        let totals = crate::ledger::sites::totals(entry.regions.values());
        Some(ProcessSites {
            pid,
            comm: entry.view.comm.clone(),
            unit: entry.view.unit.clone(),
            call_sites: snapshot.status.call_sites.clone(),
            virtual_bytes: entry.view.virtual_bytes,
            sites: self.sites(pid, &entry.regions, &snapshot.sites, &totals, limit),
        })
    }

    /// The frames of a call site of process `pid` against `regions`, its mappings as
    /// [`regions_now`] read them: for a tool without a ledger (`vmmon trace --stacks`). `None`:
    /// the process is gone, only the caller's address is known.
    pub fn frames_in(&self, pid: u32, regions: Option<&RegionMap>, frames: &[u64]) -> Vec<Frame> {
        match regions {
            Some(map) => self.frames(pid, map, frames),
            None => frames
                .iter()
                .take(1)
                .map(|&a| Frame::bare(a, Marker::Gone))
                .collect(),
        }
    }

    /// Names the call sites of `refused`, process `pid`'s refused calls, from the frames in
    /// `table` against `regions`.
    pub fn name_refused(
        &self,
        pid: u32,
        regions: &RegionMap,
        table: &SiteTable,
        refused: &mut crate::view::RefusedView,
    ) {
        for call in refused.calls_mut() {
            if let Some(frames) = call.site_id().and_then(|id| table.get(&id)) {
                call.frames = self.frames(pid, regions, frames);
            }
        }
    }

    /// Names what an exit kept of its call sites (its top sites and its refused calls'). A
    /// frame in no mapping the ledger held is marked gone: a process that left before its
    /// first `/proc` read had mappings the ledger never saw. Named once per exit.
    pub fn name_exit(&self, exit: &mut crate::view::ExitView) {
        let Some(held) = exit.held.clone() else {
            return;
        };
        let named = held.named.get_or_init(|| {
            let mut fresh = exit.clone();
            self.name_held(&mut fresh, &held);
            (fresh.sites, fresh.refused)
        });
        (exit.sites, exit.refused) = named.clone();
    }

    fn name_held(&self, exit: &mut crate::view::ExitView, held: &crate::view::ExitSites) {
        exit.sites = self.sites(
            exit.pid,
            &held.regions,
            &held.table,
            &held.totals,
            crate::ledger::EXIT_SITES,
        );
        if let Some(refused) = &mut exit.refused {
            self.name_refused(exit.pid, &held.regions, &held.table, refused);
        }
        let refused = exit.refused.iter_mut().flat_map(|r| r.calls_mut());
        let frames = exit
            .sites
            .iter_mut()
            .flat_map(|s| s.frames.iter_mut())
            .chain(refused.flat_map(|c| c.frames.iter_mut()));
        for f in frames.filter(|f| f.marker == Some(Marker::Unmapped)) {
            f.marker = Some(Marker::Gone);
        }
    }

    /// What each call site of process `pid` holds, most bytes first, named: at most `limit`
    /// sites, then the bytes no captured call made (if any).
    pub fn sites(
        &self,
        pid: u32,
        regions: &RegionMap,
        table: &SiteTable,
        totals: &[SiteTotal],
        limit: usize,
    ) -> Vec<SiteView> {
        let mut out: Vec<SiteView> = totals
            .iter()
            .filter(|t| t.site != NO_SITE)
            .take(limit)
            .map(|t| SiteView {
                site: Some(crate::ledger::site_name(t.site)),
                bytes: t.bytes,
                regions: t.regions,
                frames: table
                    .get(&t.site)
                    .map(|f| self.frames(pid, regions, f))
                    .unwrap_or_default(),
            })
            .collect();
        if let Some(t) = totals.iter().find(|t| t.site == NO_SITE) {
            out.push(SiteView {
                site: None,
                bytes: t.bytes,
                regions: t.regions,
                frames: Vec::new(),
            });
        }
        out
    }
}

impl Inner {
    fn new() -> Self {
        Self {
            symbolizer: Symbolizer::builder()
                .enable_code_info(false)
                .enable_inlined_fns(false)
                .enable_demangling(true)
                .build(),
            names: HashMap::new(),
            build_ids: HashMap::new(),
        }
    }

    fn frames(&mut self, pid: u32, regions: &RegionMap, frames: &[u64]) -> Vec<Frame> {
        let mut out = Vec::with_capacity(frames.len());
        for (i, &addr) in frames.iter().enumerate() {
            match region_at(regions, addr) {
                Some(r) if r.perms.exec => out.push(self.frame(pid, r, addr, true)),
                // Not code: where it points is told, but no symbol is looked up (a data
                // symbol there is no function).
                Some(r) if i == 0 => out.push(Frame {
                    marker: Some(Marker::NotCode),
                    ..self.frame(pid, r, addr, false)
                }),
                None if i == 0 => out.push(Frame::bare(addr, Marker::Unmapped)),
                _ => break,
            }
        }
        out
    }

    /// The frame at `addr` in region `r` of process `pid`: where it is (a kernel-provided
    /// mapping, anonymous code, or a file and the offset in it), and for a file its build id
    /// and, when `name`, the function there.
    fn frame(&mut self, pid: u32, r: &Region, addr: u64, name: bool) -> Frame {
        let mut f = Frame::bare(addr, Marker::Unmapped);
        f.marker = None;
        match r.kind {
            RegionKind::Vdso | RegionKind::Vvar | RegionKind::Vsyscall | RegionKind::Special => {
                f.module = r.path.as_deref().map(str::to_string);
                f.offset = Some(addr - r.start);
                f.marker = Some(Marker::Kernel);
                return f;
            }
            RegionKind::Anon | RegionKind::Heap | RegionKind::Stack => {
                f.module = Some("[anon]".into());
                f.marker = Some(Marker::Jit);
                return f;
            }
            RegionKind::File | RegionKind::DeletedFile | RegionKind::Shm => {}
        }
        f.offset = Some(r.offset + (addr - r.start));
        let (file, module) = file_to_read(pid, r);
        f.module = Some(module.unwrap_or_else(|| "[unnamed file]".into()));
        if r.path
            .as_deref()
            .is_some_and(|p| p.starts_with('/') && deleted(p))
            || f.module.as_deref().is_some_and(deleted)
        {
            f.marker = Some(Marker::Deleted);
        }
        match file {
            Some(file) => self.read_file(&mut f, &file, name),
            None => {
                f.marker.get_or_insert(Marker::Unreadable);
            }
        }
        f
    }

    /// What `file` (the one mapped) says of frame `f`: its build id, and when `name` the
    /// function holding the frame's offset.
    fn read_file(&mut self, f: &mut Frame, file: &Path, name: bool) {
        let Ok(meta) = std::fs::metadata(file) else {
            f.marker.get_or_insert(Marker::Unreadable);
            return;
        };
        let id = Identity::of(&meta);
        f.build_id = self.build_id(file, id);
        if !name {
            return;
        }
        // A return address is just past its call: name the call.
        match self.name(file, id, f.offset.unwrap_or(0).saturating_sub(1)) {
            Some((name, off)) => {
                f.function = Some(name);
                f.function_offset = Some(off + 1);
            }
            None => {
                f.marker.get_or_insert(Marker::NoSymbols);
            }
        }
    }

    fn build_id(&mut self, file: &Path, id: Identity) -> Option<String> {
        if let Some(b) = self.build_ids.get(&id) {
            return b.clone();
        }
        let build = blazesym::helper::read_elf_build_id(file)
            .ok()
            .flatten()
            .map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>());
        self.build_ids.insert(id, build.clone());
        build
    }

    fn name(&mut self, file: &Path, id: Identity, offset: u64) -> Option<(String, u64)> {
        let key = (id, offset);
        if let Some(n) = self.names.get(&key) {
            return n.clone();
        }
        let src = Source::Elf(Elf::new(file));
        let named = match self
            .symbolizer
            .symbolize_single(&src, Input::FileOffset(offset))
        {
            Ok(Symbolized::Sym(sym)) => Some((sym.name.into_owned(), sym.offset as u64)),
            Ok(Symbolized::Unknown(_)) | Err(_) => None,
        };
        if self.names.len() >= NAMES_KEPT {
            // Start again, the symbolizer too: it keeps every file it opened (deleted ones
            // among them) open.
            *self = Inner::new();
        }
        self.names.insert(key, named.clone());
        named
    }
}

#[cfg(test)]
mod tests;
