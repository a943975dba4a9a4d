use super::*;

fn call(tid: u32, ts_ns: u64) -> Call {
    Call {
        tid,
        ts_ns,
        site: 0,
    }
}

fn mmap() -> Kind {
    Kind::anon_mmap(0x1000, 0x1000)
}

#[test]
fn a_full_log_drops_its_oldest_half_and_says_which_reads_it_cannot_replay_onto() {
    let mut log = ReplayLog::default();
    for i in 0..LOG_MAX as u64 {
        log.push(call(1, 10 + i), &mmap());
    }
    assert!(log.covers(1));
    log.push(call(1, 10 + LOG_MAX as u64), &mmap());
    assert_eq!(log.len(), LOG_MAX / 2 + 1);
    let dropped_until = 10 + LOG_MAX as u64 / 2 - 1;
    assert!(!log.covers(dropped_until));
    assert!(log.covers(dropped_until + 1));
    assert_eq!(log.since(0).count(), LOG_MAX / 2 + 1);
}

#[test]
fn a_call_during_the_read_tears_it() {
    let mut log = ReplayLog::default();
    log.push(call(1, 5), &mmap());
    log.push(call(1, 20), &mmap());
    assert!(log.tears(10, 30));
    assert!(log.tears(20, 20));
    assert!(!log.tears(21, 30), "nothing during the read");
    assert!(!log.tears(6, 19));
}
