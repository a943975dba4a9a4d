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

#[test]
fn every_kind_writes_its_fields() {
    let objects: Vec<String> = crate::fixtures::events_of_every_kind()
        .iter()
        .map(|e| {
            let mut out = Vec::new();
            write_json(&mut out, e);
            String::from_utf8(out).unwrap()
        })
        .collect();
    assert_eq!(objects, EVERY_KIND);
}

/// The JSON of [`crate::fixtures::events_of_every_kind`], byte for byte, in order.
const EVERY_KIND: [&str; 31] = [
    "{\"ts_ns\":1500000000,\"event\":\"mmap\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"addr\":0,\"len\":4096,\"prot\":3,\"prot_names\":\"PROT_READ|PROT_WRITE\",\"flags\":34,\"flag_names\":\"MAP_PRIVATE|MAP_ANONYMOUS\",\"fd\":-1,\"offset\":0,\"ret\":139637976731648,\"error\":null}",
    "{\"ts_ns\":1500000000,\"event\":\"mmap\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"addr\":139637976727552,\"len\":8192,\"prot\":5,\"prot_names\":\"PROT_READ|PROT_EXEC\",\"flags\":18,\"flag_names\":\"MAP_PRIVATE|MAP_FIXED\",\"fd\":3,\"offset\":8192,\"ret\":-12,\"error\":\"ENOMEM\"}",
    "{\"ts_ns\":1500000000,\"event\":\"munmap\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"addr\":4096,\"len\":4096,\"ret\":0,\"error\":null}",
    "{\"ts_ns\":1500000000,\"event\":\"mremap\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"old_addr\":4096,\"old_len\":4096,\"new_len\":8192,\"flags\":1,\"flag_names\":\"MREMAP_MAYMOVE\",\"new_addr\":0,\"ret\":20480,\"error\":null}",
    "{\"ts_ns\":1500000000,\"event\":\"mremap\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"old_addr\":4096,\"old_len\":4096,\"new_len\":8192,\"flags\":3,\"flag_names\":\"MREMAP_MAYMOVE|MREMAP_FIXED\",\"new_addr\":36864,\"ret\":-22,\"error\":\"EINVAL\"}",
    "{\"ts_ns\":1500000000,\"event\":\"mprotect\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"addr\":4096,\"len\":4096,\"prot\":0,\"prot_names\":\"PROT_NONE\",\"ret\":0,\"error\":null}",
    "{\"ts_ns\":1500000000,\"event\":\"pkey_mprotect\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"addr\":4096,\"len\":4096,\"prot\":1,\"prot_names\":\"PROT_READ\",\"pkey\":2,\"ret\":-1,\"error\":\"EPERM\"}",
    "{\"ts_ns\":1500000000,\"event\":\"brk\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"addr\":0,\"ret\":5570560,\"error\":null}",
    "{\"ts_ns\":1500000000,\"event\":\"brk\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"addr\":5636096,\"ret\":-12,\"error\":null}",
    "{\"ts_ns\":1500000000,\"event\":\"shmat\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"shmid\":7,\"addr\":0,\"flags\":36896,\"ret\":139637976727552,\"error\":null}",
    "{\"ts_ns\":1500000000,\"event\":\"shmat\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"shmid\":8,\"addr\":28672,\"flags\":0,\"ret\":-13,\"error\":\"EACCES\"}",
    "{\"ts_ns\":1500000000,\"event\":\"shmdt\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"addr\":28672,\"ret\":0,\"error\":null}",
    "{\"ts_ns\":1500000000,\"event\":\"madvise\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"addr\":4096,\"len\":4096,\"advice\":14,\"ret\":0,\"error\":null}",
    "{\"ts_ns\":1500000000,\"event\":\"madvise\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"addr\":4096,\"len\":4096,\"advice\":4,\"ret\":-22,\"error\":\"EINVAL\"}",
    "{\"ts_ns\":1500000000,\"event\":\"mlock2\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"addr\":4096,\"len\":4096,\"flags\":1,\"ret\":0,\"error\":null}",
    "{\"ts_ns\":1500000000,\"event\":\"munlockall\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"ret\":0,\"error\":null}",
    "{\"ts_ns\":1500000000,\"event\":\"mbind\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"addr\":4096,\"len\":4096,\"mode\":2,\"nodemask\":2147221504,\"maxnode\":3,\"flags\":2,\"ret\":0,\"error\":null}",
    "{\"ts_ns\":1500000000,\"event\":\"prctl\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"option\":1398164801,\"arg2\":0,\"arg3\":4096,\"arg4\":4096,\"arg5\":2147221520,\"ret\":0,\"error\":null}",
    "{\"ts_ns\":1500000000,\"event\":\"prctl\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"option\":15,\"arg2\":1,\"arg3\":2,\"arg4\":3,\"arg5\":4,\"ret\":0,\"error\":null}",
    "{\"ts_ns\":1500000000,\"event\":\"fork\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"child_tgid\":10,\"child_tid\":12,\"clone_flags\":65792,\"clone_flag_names\":\"CLONE_VM|CLONE_THREAD\",\"thread\":true,\"shares_vm\":true}",
    "{\"ts_ns\":1500000000,\"event\":\"fork\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"child_tgid\":13,\"child_tid\":13,\"clone_flags\":17,\"clone_flag_names\":\"0\",\"thread\":false,\"shares_vm\":false}",
    "{\"ts_ns\":1500000000,\"event\":\"fork\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"child_tgid\":14,\"child_tid\":14,\"clone_flags\":null,\"clone_flag_names\":null,\"thread\":null,\"shares_vm\":null}",
    "{\"ts_ns\":1500000000,\"event\":\"exec\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"filename\":\"/bin/true\",\"old_tid\":11}",
    "{\"ts_ns\":1500000000,\"event\":\"exec\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"filename\":\"/usr/bin/a \\\"b\\\"\",\"old_tid\":12}",
    "{\"ts_ns\":1500000000,\"event\":\"exit\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"group_dead\":false,\"cause\":{\"kind\":\"exit\",\"code\":0}}",
    "{\"ts_ns\":1500000000,\"event\":\"exit\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"group_dead\":true,\"cause\":null,\"peak_virtual_bytes\":null,\"peak_resident_bytes\":null,\"mapping_count\":null,\"lifetime_ns\":null}",
    "{\"ts_ns\":1500000000,\"event\":\"exit\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"group_dead\":true,\"cause\":{\"kind\":\"exit\",\"code\":3},\"peak_virtual_bytes\":null,\"peak_resident_bytes\":12582912,\"mapping_count\":null,\"lifetime_ns\":500000000}",
    "{\"ts_ns\":3500000000,\"event\":\"exit\",\"tgid\":10,\"tid\":10,\"comm\":\"prog\",\"group_dead\":true,\"cause\":{\"kind\":\"oom_kill\",\"signal\":9,\"name\":\"SIGKILL\"},\"peak_virtual_bytes\":314572800,\"peak_resident_bytes\":12582912,\"mapping_count\":57,\"lifetime_ns\":2500000000}",
    "{\"ts_ns\":1500000000,\"event\":\"oom_kill\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"virtual_bytes\":null,\"mapping_count\":null,\"resident_bytes\":9441280,\"resident\":{\"peak_bytes\":10485760,\"file_bytes\":1048576,\"anon_bytes\":8388608,\"shmem_bytes\":4096,\"swap_bytes\":2097152}}",
    "{\"ts_ns\":1500000000,\"event\":\"exit\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"group_dead\":true,\"cause\":{\"kind\":\"signal\",\"signal\":11,\"name\":\"SIGSEGV\",\"core_dumped\":true},\"peak_virtual_bytes\":314572800,\"peak_resident_bytes\":null,\"mapping_count\":57,\"lifetime_ns\":null}",
    "{\"ts_ns\":1500000000,\"event\":\"oom_kill\",\"tgid\":10,\"tid\":11,\"comm\":\"prog\",\"virtual_bytes\":209715200,\"mapping_count\":57,\"resident_bytes\":9441280,\"resident\":{\"peak_bytes\":10485760,\"file_bytes\":1048576,\"anon_bytes\":8388608,\"shmem_bytes\":4096,\"swap_bytes\":2097152}}",
];
