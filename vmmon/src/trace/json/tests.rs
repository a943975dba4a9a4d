use super::*;
use crate::event::Comm;
use serde_json::{Value, json};

fn to_value(kind: Kind, comm: &[u8]) -> Value {
    let mut raw = [0u8; 16];
    raw[..comm.len()].copy_from_slice(comm);
    let e = Event {
        ts_ns: 5,
        tgid: 1,
        tid: 2,
        comm: Comm::new(raw),
        kind,
        figures: None,
        site: None,
    };
    let mut out = Vec::new();
    write_json(&mut out, &e);
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn mmap_fields() {
    let v = to_value(
        Kind::Mmap {
            addr: 0,
            len: 8192,
            prot: 1,
            flags: 0x22,
            fd: -1,
            offset: 0,
            ret: -12,
        },
        b"x",
    );
    assert_eq!(
        v,
        json!({"ts_ns": 5, "event": "mmap", "tgid": 1, "tid": 2, "comm": "x",
                "addr": 0, "len": 8192, "prot": 1, "prot_names": "PROT_READ",
                "flags": 34, "flag_names": "MAP_PRIVATE|MAP_ANONYMOUS", "fd": -1, "offset": 0,
                "ret": -12, "error": "ENOMEM"})
    );
}

#[test]
fn fork_and_exit_fields() {
    let v = to_value(
        Kind::Fork {
            child_tgid: 9,
            child_tid: 9,
            clone_flags: None,
        },
        b"sh",
    );
    assert_eq!(v["thread"], Value::Null);
    assert_eq!(v["child_tgid"], 9);
    assert!(v.get("ret").is_none());
    let v = to_value(
        Kind::Exit {
            status: None,
            group_dead: false,
            footprint: None,
        },
        b"sh",
    );
    assert_eq!(v["group_dead"], false);
}

#[test]
fn the_last_exit_carries_the_footprint() {
    let e = crate::fixtures::last_exit(b"");
    let mut out = Vec::new();
    write_json(&mut out, &e);
    let v: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(v["peak_virtual_bytes"], 300 << 20);
    assert_eq!(v["peak_resident_bytes"], 12 << 20);
    assert_eq!(v["mapping_count"], 57);
    assert_eq!(v["lifetime_ns"], 2_500_000_000u64);
    assert_eq!(
        v["cause"],
        serde_json::json!({"kind": "oom_kill", "signal": 9, "name": "SIGKILL"})
    );
}

#[test]
fn hostile_comm_stays_valid_json() {
    let v = to_value(Kind::Brk { addr: 0, ret: 4096 }, b"a\"\n\x00\xffz");
    assert_eq!(v["comm"], "a\"\n");
    assert_eq!(v["error"], Value::Null);
    let v = to_value(Kind::Brk { addr: 0, ret: 4096 }, b"\xff\"\\\x1b");
    assert_eq!(v["comm"], "\u{fffd}\"\\\u{1b}");
}
