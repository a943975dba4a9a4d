use super::*;
use crate::event::Calls;

fn figures(bytes: u64, mappings: u32, calls: Calls) -> Figures {
    Figures {
        virtual_bytes: bytes,
        peak_virtual_bytes: bytes,
        mappings,
        calls,
    }
}

/// A record's own call, alone in flight, nothing entering meanwhile.
fn alone(enters: u32) -> Calls {
    Calls {
        inflight: 1,
        own: true,
        enters_before: enters,
        enters_after: enters,
        lost: 0,
    }
}

#[test]
fn figures_read_while_the_call_was_alone_judge_size_then_mappings() {
    let mut s = CheckState::default();
    assert_eq!(
        s.judge(&figures(8192, 2, alone(1)), 8192, 2),
        Verdict::Exact
    );
    assert_eq!(
        s.judge(&figures(12288, 2, alone(2)), 8192, 2),
        Verdict::Mismatch(Mismatch::Grown)
    );
    assert_eq!(
        s.judge(&figures(4096, 2, alone(3)), 8192, 2),
        Verdict::Mismatch(Mismatch::Shrunk)
    );
    assert_eq!(
        s.judge(&figures(8192, 3, alone(4)), 8192, 2),
        Verdict::Mismatch(Mismatch::Layout)
    );
}

#[test]
fn another_call_in_flight_or_entering_meanwhile_leaves_the_figures_unjudged() {
    let mut s = CheckState::default();
    let busy = Calls {
        inflight: 2,
        ..alone(5)
    };
    assert_eq!(s.judge(&figures(1, 1, busy), 2, 2), Verdict::Unchecked);
    let entering = Calls {
        enters_after: 6,
        ..alone(5)
    };
    assert_eq!(s.judge(&figures(1, 1, entering), 2, 2), Verdict::Unchecked);
    // A record whose enter was not seen counts only the others: alone means none.
    let unmarked = Calls {
        inflight: 0,
        own: false,
        ..alone(5)
    };
    assert_eq!(s.judge(&figures(2, 2, unmarked), 2, 2), Verdict::Exact);
}

#[test]
fn figures_older_than_an_applied_call_cannot_judge() {
    let mut s = CheckState::default();
    // Another thread's call entered (enters 8) and its record was applied before this
    // record, whose figures were read at enters 7: that change may not be in them.
    s.applied(&figures(0, 0, alone(8)));
    assert_eq!(s.judge(&figures(1, 1, alone(7)), 2, 2), Verdict::Unchecked);
    assert_eq!(s.judge(&figures(2, 2, alone(8)), 2, 2), Verdict::Exact);
    // The counts wrap.
    let mut w = CheckState::default();
    w.applied(&figures(0, 0, alone(u32::MAX)));
    assert_eq!(w.judge(&figures(2, 2, alone(1)), 2, 2), Verdict::Exact);
}

#[test]
fn lost_records_are_a_mismatch_whatever_the_figures() {
    let mut s = CheckState::default();
    let mut c = alone(1);
    assert_eq!(s.judge(&figures(2, 2, c), 2, 2), Verdict::Exact);
    c.lost = 3;
    assert_eq!(
        s.judge(&figures(2, 2, c), 2, 2),
        Verdict::Mismatch(Mismatch::Lost)
    );
    assert_eq!(s.judge(&figures(2, 2, c), 2, 2), Verdict::Exact, "once");
    // Records lost before the first figures seen: the ledger may predate the losses.
    let mut first = CheckState::default();
    assert_eq!(
        first.judge(&figures(2, 2, c), 2, 2),
        Verdict::Mismatch(Mismatch::Lost)
    );
    assert_eq!(first.judge(&figures(2, 2, c), 2, 2), Verdict::Exact);
    let mut counters = CheckCounters::default();
    counters.count(Verdict::Mismatch(Mismatch::Lost));
    counters.count(Verdict::Exact);
    assert_eq!(counters.mismatches[&Mismatch::Lost], 1);
}
