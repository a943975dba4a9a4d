use super::*;
use core::mem::size_of;

#[test]
fn records_have_no_implicit_padding() {
    assert_eq!(size_of::<Header>(), 40);
    assert_eq!(size_of::<Figures>(), 40);
    assert_eq!(size_of::<Resident>(), 40);
    assert_eq!(size_of::<SyscallRecord>(), 40 + 48 + 8 + 40 + 16);
    assert_eq!(size_of::<SiteFrames>(), 8 + 8 * crate::SITE_FRAMES);
    assert_eq!(size_of::<ForkRecord>(), 40 + 16 + 40);
    assert_eq!(size_of::<ExecRecord>(), 40 + 8 + FILENAME_LEN + 40);
    assert_eq!(size_of::<ExitRecord>(), 40 + 16 + 40 + 40 + 32);
    assert_eq!(size_of::<SweepRecord>(), 24 + 40 + 40);
    assert_eq!(size_of::<OomRecord>(), 40 + 40 + 40);
    assert_eq!(size_of::<SweepThread>(), size_of::<SweepRecord>());
    assert_eq!(size_of::<InFlight>(), 16);
    assert_eq!(size_of::<ThreadSlot>(), 16);
}

#[test]
fn one_word_counts_calls_entered_and_in_flight() {
    let mut calls = 0u64;
    calls = calls.wrapping_add(CALL_ENTERED);
    calls = calls.wrapping_add(CALL_UNMARKED);
    calls = calls.wrapping_add(CALL_ENTERED);
    assert_eq!(
        (InFlight::in_flight(calls), InFlight::entered(calls)),
        (2, 3)
    );
    // An exit takes one away from the calls in flight only.
    calls = calls.wrapping_add(u64::MAX);
    assert_eq!(
        (InFlight::in_flight(calls), InFlight::entered(calls)),
        (1, 3)
    );
    // The count of calls entered wraps without touching those in flight.
    let near = (u64::from(u32::MAX) << 32) | 1;
    let wrapped = near.wrapping_add(CALL_ENTERED);
    assert_eq!(
        (InFlight::in_flight(wrapped), InFlight::entered(wrapped)),
        (2, 0)
    );
}

#[test]
fn kind_numbers_round_trip() {
    for n in 0..64 {
        if let Some(k) = EventKind::from_u32(n) {
            assert_eq!(k as u32, n);
        }
    }
    assert_eq!(EventKind::from_u32(0), None);
    assert_eq!(EventKind::from_u32(24), Some(EventKind::OomKill));
    assert_eq!(EventKind::from_u32(25), None);
    assert_eq!(EventKind::of_syscall(nr::MMAP), Some(EventKind::Mmap));
    assert_eq!(EventKind::of_syscall(nr::SHMAT), Some(EventKind::Shmat));
    assert_eq!(EventKind::of_syscall(39), None, "getpid is not traced");
}
