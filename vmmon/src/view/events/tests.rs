use super::*;
use crate::event::{Comm, Kind};

fn munmap(pid: u32, addr: u64) -> Event {
    let kind = Kind::Munmap {
        addr,
        len: 4096,
        ret: 0,
    };
    Event::new(addr, pid, pid, Comm::from_bytes(b"x"), kind)
}

#[test]
fn a_reader_gets_its_process_events_in_order_and_learns_when_it_missed_some() {
    let mut r = EventLog::new(4);
    r.push_batch(vec![munmap(1, 0x1000), munmap(2, 0x2000)]);
    r.push_batch(vec![munmap(1, 0x3000)]);
    let v = r.of(1, 0, 10);
    assert_eq!(v.events.len(), 2);
    assert_eq!(v.events[0].text, "munmap(0x1000, 4096) = 0");
    assert_eq!((v.events[1].seq, v.next, v.missed), (3, 3, false));
    // Nothing new.
    assert!(r.of(1, v.next, 10).events.is_empty());
    // Five more, in two batches: the log (4) lost seq 4, which a reader at 3 has not seen.
    r.push_batch((4..6).map(|a| munmap(1, a << 12)).collect());
    r.push_batch((6..9).map(|a| munmap(1, a << 12)).collect());
    let v2 = r.of(1, 3, 10);
    assert!(v2.missed);
    assert_eq!(v2.events.first().unwrap().seq, 5);
    assert_eq!(v2.next, 8);
    assert!(!r.of(1, 4, 10).missed, "seq 5 on are all kept");
    assert_eq!(r.of(1, 0, 2).events.len(), 2, "the newest two");
    assert_eq!(r.of(1, 0, 2).events[1].seq, 8);
}

#[test]
fn a_drain_keeps_no_more_than_the_log_and_numbers_what_it_skipped() {
    let mut r = EventLog::new(3);
    let mut recent = Recent::new(3);
    for a in 1..=5 {
        recent.push(munmap(1, a << 12));
    }
    assert_eq!(recent.events.len(), 3);
    recent.into_log(&mut r);
    let v = r.of(1, 0, 10);
    assert_eq!(
        v.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [3, 4, 5]
    );
    assert_eq!(v.events[0].text, "munmap(0x3000, 4096) = 0");
    assert_eq!(v.next, 5);
    assert!(r.of(1, 1, 10).missed);
}

#[test]
fn a_batch_larger_than_the_log_keeps_its_newest_and_a_clone_is_frozen() {
    let mut r = EventLog::new(3);
    r.push_batch((1..=5).map(|a| munmap(1, a << 12)).collect());
    let frozen = r.clone();
    r.push_batch(vec![munmap(1, 0x9000)]);
    let seqs = |v: EventsView| v.events.iter().map(|e| e.seq).collect::<Vec<_>>();
    assert_eq!(seqs(frozen.of(1, 0, 10)), [3, 4, 5]);
    assert_eq!(seqs(r.of(1, 0, 10)), [4, 5, 6]);
    assert!(r.of(1, 1, 10).missed);
}
