use super::*;
use crate::event::{Comm, Kind};

fn event(tgid: u32, comm: &str, kind: Kind) -> Event {
    let mut raw = [0u8; 16];
    raw[..comm.len()].copy_from_slice(comm.as_bytes());
    Event {
        ts_ns: 0,
        tgid,
        tid: tgid,
        comm: Comm::new(raw),
        kind,
        figures: None,
        site: None,
    }
}

#[test]
fn empty_filter_passes_everything() {
    let e = event(
        1,
        "init",
        Kind::Exit {
            status: None,
            group_dead: true,
            footprint: None,
        },
    );
    assert!(Filter::default().matches(&e));
}

#[test]
fn filters_combine() {
    let brk = event(7, "cat", Kind::Brk { addr: 0, ret: 1 });
    let f = Filter {
        pids: vec![7, 8],
        comms: vec!["cat".into()],
        events: vec![EventName::Brk, EventName::Mmap],
    };
    assert!(f.matches(&brk));
    assert!(!f.matches(&event(9, "cat", Kind::Brk { addr: 0, ret: 1 })));
    assert!(!f.matches(&event(7, "ca", Kind::Brk { addr: 0, ret: 1 })));
    assert!(!f.matches(&event(
        7,
        "cat",
        Kind::Exit {
            status: None,
            group_dead: false,
            footprint: None,
        }
    )));
}
