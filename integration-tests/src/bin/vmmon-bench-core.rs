//! The agent's cost per event, stage by stage, without root: `vmmon-bench-core [EVENTS]`
//! replays the records two producer loops make (a 28 KiB anonymous mmap then its munmap, each
//! process alone in its call, figures as the kernel reports them) through each stage and
//! through the whole owner, in drains of the ring's quarter, and prints one line per stage:
//! `stage ns_per_event`.
//!
//! - `decode`: ring bytes to events;
//! - `apply`: the ledger without the kernel's figures (no check);
//! - `check`: what holding the ledger to the figures adds (the self-check);
//! - `owner`: what the owner's drain adds (counting, the event log, the reads asked for);
//! - `sites`: what a call site on every mmap adds (the site table, the regions' runs);
//! - `publish`: a snapshot after every drain, as the owner's loop makes;
//! - `tally`: the one-second tick (growth, groups, the round robin), once per second of the
//!   stream's clock;
//! - `read`: folding one `/proc` read of a producer in, as after a loss (its replay of the
//!   calls since included), per read in µs and as the events it costs as much as.
//!
//! `vmmon-bench-core EVENTS STAGE` runs one stage alone, for a profiler.

use std::hint::black_box;
use std::time::{Duration, Instant};
use vmmon::agent::{Core, CoreOptions, FromProc, Reads, Resynced};
use vmmon::event::{Comm, DecodeError, Event, decode};
use vmmon::ledger::{Ledger, MapsRead, Mismatch, ReadReason};
use vmmon::procfs::{ProcessRead, parse_maps};
use vmmon::source::{EventSource, KernelCounters, Sweep};
use vmmon_common::{
    COMM_LEN, EventKind, FIGURES_KNOWN, FIGURES_OWN_CALL, Figures, Header, SiteRecord,
    SyscallRecord,
};

const PAGE: u64 = 4096;
const LEN: u64 = 28 * 1024;
/// Records per drain: a quarter of the default ring, where the kernel wakes the agent.
const DRAIN: usize = 8 << 20 >> 2 >> 8;
/// One event every this many ns of the stream's clock (two loops, 1.3M events/s each).
const EVERY_NS: u64 = 385;

/// A process as `/proc/PID/maps` shows one of the loops (a 28 KiB mapping merges into the
/// anonymous one above it).
const MAPS: &str = "\
5610494b2000-5610494b3000 r--p 00000000 fe:00 10010745 /tmp/loop
5610494b3000-5610494b4000 r-xp 00001000 fe:00 10010745 /tmp/loop
5610494b4000-5610494b6000 r--p 00002000 fe:00 10010745 /tmp/loop
5610494b6000-5610494b7000 rw-p 00003000 fe:00 10010745 /tmp/loop
56104e0db000-56104e0fc000 rw-p 00000000 00:00 0 [heap]
7f991974b000-7f991974e000 rw-p 00000000 00:00 0
7f991974e000-7f9919774000 r--p 00000000 fe:00 326279 /usr/lib/x86_64-linux-gnu/libc.so.6
7f9919774000-7f99198ca000 r-xp 00026000 fe:00 326279 /usr/lib/x86_64-linux-gnu/libc.so.6
7f99198ca000-7f991991d000 r--p 0017c000 fe:00 326279 /usr/lib/x86_64-linux-gnu/libc.so.6
7f991991d000-7f9919921000 r--p 001cf000 fe:00 326279 /usr/lib/x86_64-linux-gnu/libc.so.6
7f9919921000-7f9919923000 rw-p 001d3000 fe:00 326279 /usr/lib/x86_64-linux-gnu/libc.so.6
7f9919923000-7f9919930000 rw-p 00000000 00:00 0
7f9919939000-7f991993b000 rw-p 00000000 00:00 0
7f991993b000-7f991993f000 r--p 00000000 00:00 0 [vvar]
7f991993f000-7f9919941000 r--p 00000000 00:00 0 [vvar_vclock]
7f9919941000-7f9919943000 r-xp 00000000 00:00 0 [vdso]
7f9919943000-7f9919944000 r--p 00000000 fe:00 325843 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7f9919944000-7f991996a000 r-xp 00001000 fe:00 325843 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7f991996a000-7f9919974000 r--p 00027000 fe:00 325843 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7f9919974000-7f9919976000 r--p 00031000 fe:00 325843 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7f9919976000-7f9919978000 rw-p 00033000 fe:00 325843 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2
7ffef4b05000-7ffef4b26000 rw-p 00000000 00:00 0 [stack]
";
/// Where the loops' mmap lands: just below the anonymous mapping at 0x7f9919939000.
const AT: u64 = 0x7f99_1993_9000 - LEN;
const PIDS: [u32; 2] = [4001, 4002];

/// The kernel's figures for the maps above, in pages and mappings.
fn base() -> (u64, u32) {
    let (regions, _) = parse_maps(MAPS);
    let pages = regions.iter().map(|r| (r.end - r.start) / PAGE).sum();
    (pages, regions.len() as u32)
}

/// One record as the kernel writes it, appended to `out`.
fn record(
    out: &mut Vec<u8>,
    (pages, maps): (u64, u32),
    pid: u32,
    n: u64,
    ts_ns: u64,
    sites: bool,
    lost: u32,
) {
    let mapped = n.is_multiple_of(2);
    let (kind, args, ret, total_vm) = if mapped {
        let args = [0, LEN, 3, 0x22, u64::MAX, 0];
        (EventKind::Mmap, args, AT as i64, pages + LEN / PAGE)
    } else {
        (EventKind::Munmap, [AT, LEN, 0, 0, 0, 0], 0, pages)
    };
    let mut comm = [0u8; COMM_LEN];
    comm[..4].copy_from_slice(b"loop");
    let enters = (n + 1) as u32;
    let r = SyscallRecord {
        header: Header {
            kind: kind as u32,
            tgid: pid,
            tid: pid,
            _pad: 0,
            ts_ns,
            comm,
        },
        args,
        ret,
        figures: Figures {
            total_vm,
            hiwater_vm: pages + LEN / PAGE,
            map_count: maps,
            flags: FIGURES_KNOWN | FIGURES_OWN_CALL,
            inflight: 1,
            enters_before: enters,
            enters_after: enters,
            lost,
        },
        site: if sites && mapped {
            SiteRecord {
                caller: 0x5610_494b_3100 + pid as u64,
                stack: 0x9e37_0000 + pid as u64,
            }
        } else {
            SiteRecord::default()
        },
    };
    // SAFETY: a `#[repr(C)]` record of integers with explicit padding, read as its bytes.
    out.extend_from_slice(unsafe {
        std::slice::from_raw_parts((&raw const r).cast::<u8>(), size_of::<SyscallRecord>())
    });
}

/// The two loops' records, interleaved as they reach the ring, made a drain at a time into
/// one buffer (as the ring holds them).
struct Stream {
    base: (u64, u32),
    next: usize,
    total: usize,
    buf: Vec<u8>,
    /// Every mmap with a call site.
    sites: bool,
    /// Records of the first producer lost so far (as its records' figures say).
    lost: u32,
    /// Added to every stamp.
    skew_ns: u64,
}

const RECORD: usize = size_of::<SyscallRecord>();

impl Stream {
    fn new(total: usize, sites: bool) -> Self {
        Self {
            base: base(),
            next: 0,
            total,
            buf: Vec::with_capacity(DRAIN * RECORD),
            sites,
            lost: 0,
            skew_ns: 0,
        }
    }

    /// The next drain's records; none when the stream is over.
    fn fill(&mut self) -> bool {
        self.buf.clear();
        let end = (self.next + DRAIN).min(self.total);
        for i in self.next..end {
            let pid = PIDS[i % 2];
            let ts = self.ts_ns(i);
            let lost = if pid == PIDS[0] { self.lost } else { 0 };
            record(
                &mut self.buf,
                self.base,
                pid,
                (i / 2) as u64,
                ts,
                self.sites,
                lost,
            );
        }
        self.next = end;
        !self.buf.is_empty()
    }

    /// The stamp of record `i`.
    fn ts_ns(&self, i: usize) -> u64 {
        1_000_000_000 + self.skew_ns + i as u64 * EVERY_NS
    }

    /// Seconds of the stream's clock so far.
    fn now_s(&self) -> u64 {
        (self.next as u64 * EVERY_NS) / 1_000_000_000
    }
}

/// Hands out one drain's records.
struct Replay<'a> {
    records: &'a [u8],
}

impl EventSource for Replay<'_> {
    async fn ready(&mut self) {}

    fn drain(&mut self, f: &mut dyn FnMut(Result<Event, DecodeError>)) -> usize {
        let n = self.records.len() / RECORD;
        for r in self.records.chunks_exact(RECORD) {
            f(decode(r));
        }
        self.records = &[];
        n
    }

    fn counters(&self) -> KernelCounters {
        KernelCounters::default()
    }

    fn sweep(&mut self) -> Option<Sweep> {
        None
    }
}

/// Reads are answered by hand below; nothing else is read.
struct NoReads;

impl Reads for NoReads {
    fn request(&self, _: u32, _: ReadReason) {}
    fn set_rate(&self, _: u32) {}
    fn sweep(&self, _: Sweep, _: u64) {}
}

fn opts() -> CoreOptions {
    let config = vmmon::config::Config::default();
    CoreOptions {
        resyncs_per_second: 0,
        ..CoreOptions::from_config(&config)
    }
}

fn maps_read() -> MapsRead {
    MapsRead {
        regions: parse_maps(MAPS).0,
        start_brk: 0x5610_4e0d_b000,
        taken_ns: 0,
        done_ns: 1,
    }
}

/// An owner that knows both loops.
fn owner() -> Core {
    let mut core = Core::new(opts(), Box::new(NoReads), PIDS.to_vec());
    for tgid in PIDS {
        core.hold(FromProc::Read(Resynced {
            tgid,
            reason: ReadReason::Unknown,
            result: Ok(ProcessRead {
                snapshot: maps_read(),
                comm: "loop".into(),
                unit: Some("bench.service".into()),
                uid: Some(1000),
                malformed: 0,
                kernel_thread: false,
            }),
        }));
    }
    core.drain(&mut Replay { records: &[] });
    core
}

/// Runs `work` on every drain of a stream of `events`; returns ns per event of `work` alone.
fn timed(events: usize, work: impl FnMut(&[u8], u64)) -> f64 {
    timed_stream(Stream::new(events, false), work)
}

fn timed_stream(mut stream: Stream, mut work: impl FnMut(&[u8], u64)) -> f64 {
    let events = stream.total;
    let mut spent = Duration::ZERO;
    while stream.fill() {
        let start = Instant::now();
        work(&stream.buf, stream.now_s());
        spent += start.elapsed();
    }
    spent.as_nanos() as f64 / events as f64
}

fn decode_only(events: usize) -> f64 {
    timed(events, |buf, _| {
        for r in buf.chunks_exact(RECORD) {
            let _ = black_box(decode(black_box(r)));
        }
    })
}

/// The ledger alone (records decoded), with or without the kernel's figures.
fn ledger(events: usize, figures: bool) -> f64 {
    let mut ledger = Ledger::new();
    for pid in PIDS {
        ledger.insert_snapshot(pid, Comm::from_bytes(b"loop"), maps_read());
    }
    let ns = timed(events, |buf, _| {
        for r in buf.chunks_exact(RECORD) {
            let mut e = decode(r).expect("a well-formed record");
            if !figures {
                e.figures = None;
            }
            black_box(ledger.apply(&e));
        }
    });
    let checks = &ledger.counters().checks;
    assert!(
        !figures || (checks.mismatches.is_empty() && checks.exact > 0),
        "the stream must keep the ledger exact: {checks:?}"
    );
    ns
}

/// How the owner runs in [`owner_drains`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Owner {
    /// Drains only.
    Drains,
    /// Drains of a stream with a call site on every mmap.
    Sites,
    /// A snapshot after every drain.
    Publish,
    /// And the one-second tick.
    Tally,
}

/// The owner's drains, with what `how` adds.
fn owner_drains(events: usize, how: Owner) -> f64 {
    let mut core = owner();
    let mut second = 0;
    let stream = Stream::new(events, how == Owner::Sites);
    let ns = timed_stream(stream, |records, now_s| {
        core.drain(&mut Replay { records });
        if how == Owner::Tally && now_s > second {
            second = now_s;
            core.tick(now_s);
        }
        if how == Owner::Publish || how == Owner::Tally {
            black_box(core.snapshot(now_s as f64));
        }
    });
    let checks = &core.ledger().counters().checks;
    assert!(
        checks.mismatches.is_empty() && checks.exact > 0,
        "the stream must keep the ledger exact: {checks:?}"
    );
    ns
}

/// A record of the first producer lost, then `behind` of its calls, then the read the loss
/// made the owner ask for, folded in (its calls since replayed on top): µs per read.
fn read_after_loss(behind: usize, reads: usize) -> f64 {
    let mut core = owner();
    let mut stream = Stream::new(usize::MAX, false);
    let mut spent = Duration::ZERO;
    for _ in 0..reads {
        // A second apart: a process found wrong is read at most every 200 ms.
        stream.skew_ns += 1_000_000_000;
        stream.lost += 1;
        let taken_ns = stream.ts_ns(stream.next);
        let mut left = behind * 2;
        while left > 0 {
            stream.fill();
            let n = left.min(DRAIN);
            core.drain(&mut Replay {
                records: &stream.buf[..n * RECORD],
            });
            left -= n;
        }
        core.hold(FromProc::Read(Resynced {
            tgid: PIDS[0],
            reason: ReadReason::Mismatch(Mismatch::Lost),
            result: Ok(ProcessRead {
                // When the read ended is not given: it is taken (not refused as torn by the
                // calls made since), its cost the replay of those calls.
                snapshot: MapsRead {
                    taken_ns,
                    done_ns: 0,
                    ..maps_read()
                },
                comm: "loop".into(),
                unit: Some("bench.service".into()),
                uid: Some(1000),
                malformed: 0,
                kernel_thread: false,
            }),
        }));
        let start = Instant::now();
        core.drain(&mut Replay { records: &[] });
        spent += start.elapsed();
    }
    // Taken and found exact, or refused as torn (a build that refuses every read the
    // process changed during): the cost is per read folded either way.
    let c = core.ledger().counters();
    assert_eq!(
        c.targeted_resyncs + c.torn_snapshots,
        reads as u64,
        "every loss read once"
    );
    assert_eq!(
        c.targeted_exact, c.targeted_resyncs,
        "what was read was exact"
    );
    eprintln!(
        "reads after a loss: {} taken, {} refused as torn",
        c.targeted_resyncs, c.torn_snapshots
    );
    spent.as_secs_f64() * 1e6 / reads as f64
}

fn main() {
    let events: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2_000_000);
    if let Some(stage) = std::env::args().nth(2) {
        let ns = match stage.as_str() {
            "decode" => decode_only(events),
            "apply" => ledger(events, false),
            "check" => ledger(events, true),
            "owner" => owner_drains(events, Owner::Drains),
            "sites" => owner_drains(events, Owner::Sites),
            "publish" => owner_drains(events, Owner::Publish),
            _ => owner_drains(events, Owner::Tally),
        };
        println!("{stage} {ns:.0}");
        return;
    }
    let decode = decode_only(events);
    let apply = ledger(events, false);
    let checked = ledger(events, true);
    let owner = owner_drains(events, Owner::Drains);
    let sites = owner_drains(events, Owner::Sites);
    let publish = owner_drains(events, Owner::Publish);
    let tally = owner_drains(events, Owner::Tally);
    let read_us = read_after_loss(1000, 200);
    println!("decode {decode:.0}");
    println!("apply {:.0}", apply - decode);
    println!("check {:.0}", checked - apply);
    println!("owner {:.0}", owner - checked);
    println!("sites {:.0}", sites - owner);
    println!("publish {:.0}", publish - owner);
    println!("tally {:.0}", tally - publish);
    println!("total {tally:.0}");
    println!("read_us {read_us:.1}");
    println!("read_events {:.0}", read_us * 1000.0 / tally);
}
