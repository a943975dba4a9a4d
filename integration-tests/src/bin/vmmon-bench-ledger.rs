//! The ledger's cost per applied event: `vmmon-bench-ledger EVENTS` generates a stream like
//! a busy machine's (64 processes mapping, unmapping, protecting, remapping and moving the
//! heap, with forks and exits) and applies it; prints nanoseconds per event.

use std::time::Instant;
use vmmon::event::{Comm, Event, Kind};
use vmmon::ledger::{Ledger, MapsRead};
use vmmon::procfs::parse_maps;

const P: u64 = 4096;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let image = "\
55f711a62000-55f711a64000 r--p 00000000 00:1f 5 /usr/bin/x
55f711a64000-55f711a68000 r-xp 00002000 00:1f 5 /usr/bin/x
55f711a68000-55f711a6a000 rw-p 00006000 00:1f 5 /usr/bin/x
55f712000000-55f712021000 rw-p 00000000 00:00 0 [heap]
7f6b06883000-7f6b068a9000 r--p 00000000 00:1f 6 /usr/lib/libc.so.6
7f6b068a9000-7f6b069ff000 r-xp 00026000 00:1f 6 /usr/lib/libc.so.6
7ffd1c3e1000-7ffd1c402000 rw-p 00000000 00:00 0 [stack]
";
    let (regions, _) = parse_maps(image);
    let mut ledger = Ledger::new();
    let procs = 64u32;
    for pid in 1..=procs {
        ledger.insert_snapshot(
            pid,
            Comm::default(),
            MapsRead {
                regions: regions.clone(),
                start_brk: 0x55f7_1200_0000,
                taken_ns: 0,
                done_ns: 0,
            },
        );
    }
    // Generate first, so that only applying is timed.
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut live: Vec<Vec<(u64, u64)>> = vec![Vec::new(); procs as usize + 1];
    let mut brk = vec![0x55f7_1202_1000u64; procs as usize + 1];
    let mut cursor = vec![0x7f00_0000_0000u64; procs as usize + 1];
    let mut events = Vec::with_capacity(n);
    for i in 0..n {
        let pid = 1 + (next() % u64::from(procs)) as u32;
        let p = pid as usize;
        let r = next();
        let kind = match r % 10 {
            0..=3 => {
                let pages = 1 + (r >> 8) % 64;
                cursor[p] += (pages + 1) * P;
                live[p].push((cursor[p], pages));
                Kind::anon_mmap(cursor[p], pages * P)
            }
            4..=6 if !live[p].is_empty() => {
                let j = (r >> 8) as usize % live[p].len();
                let (a, pages) = live[p].swap_remove(j);
                Kind::Munmap {
                    addr: a,
                    len: pages * P,
                    ret: 0,
                }
            }
            7 if !live[p].is_empty() => {
                let (a, pages) = live[p][(r >> 8) as usize % live[p].len()];
                Kind::Mprotect {
                    addr: a,
                    len: pages.div_ceil(2) * P,
                    prot: 1,
                    ret: 0,
                }
            }
            8 if !live[p].is_empty() => {
                let j = (r >> 8) as usize % live[p].len();
                let (a, pages) = live[p][j];
                cursor[p] += (2 * pages + 1) * P;
                live[p][j] = (cursor[p], 2 * pages);
                Kind::Mremap {
                    old_addr: a,
                    old_len: pages * P,
                    new_len: 2 * pages * P,
                    flags: 1,
                    new_addr: 0,
                    ret: cursor[p] as i64,
                }
            }
            _ => {
                brk[p] = 0x55f7_1200_0000 + ((r >> 8) % 256) * P;
                Kind::Brk {
                    addr: brk[p],
                    ret: brk[p] as i64,
                }
            }
        };
        events.push(Event::new(i as u64, pid, pid, Comm::default(), kind));
    }
    let start = Instant::now();
    for e in &events {
        std::hint::black_box(ledger.apply(e));
    }
    let ns = start.elapsed().as_nanos() as f64 / n as f64;
    let regions: usize = (1..=procs)
        .filter_map(|p| ledger.space(p))
        .map(|s| s.len())
        .sum();
    eprintln!(
        "vmmon-bench-ledger: {n} events over {procs} processes, {regions} regions at the end"
    );
    println!("{ns:.1}");
}
