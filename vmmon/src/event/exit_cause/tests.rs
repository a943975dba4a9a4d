use super::*;

#[test]
fn statuses_decode_as_wait_does() {
    assert_eq!(ExitCause::of(0, false), ExitCause::Exit { code: 0 });
    assert_eq!(ExitCause::of(3 << 8, false), ExitCause::Exit { code: 3 });
    assert_eq!(ExitCause::of(255 << 8, true), ExitCause::Exit { code: 255 });
    let segv = ExitCause::of(11 | 0x80, false);
    assert_eq!(
        segv,
        ExitCause::Signal {
            signal: 11,
            name: "SIGSEGV".into(),
            core_dumped: true
        }
    );
    assert_eq!(segv.text(), "SIGSEGV (core)");
    assert_eq!(ExitCause::of(15, false).text(), "SIGTERM");
}

#[test]
fn only_a_kill_after_the_oom_killers_choice_is_an_oom_kill() {
    let oom = ExitCause::of(9, true);
    assert!(oom.is_oom_kill());
    assert_eq!(oom.text(), "oom_kill");
    assert!(
        !ExitCause::of(9, false).is_oom_kill(),
        "a SIGKILL of its own"
    );
    assert!(!ExitCause::of(15, true).is_oom_kill());
    assert!(!ExitCause::of(0, true).is_oom_kill(), "it left first");
}

#[test]
fn it_serializes_with_its_kind() {
    let j = serde_json::to_value(ExitCause::of(9, true)).unwrap();
    assert_eq!(
        j,
        serde_json::json!({"kind": "oom_kill", "signal": 9, "name": "SIGKILL"})
    );
    let j = serde_json::to_value(ExitCause::of(2 << 8, false)).unwrap();
    assert_eq!(j, serde_json::json!({"kind": "exit", "code": 2}));
    let back: ExitCause = serde_json::from_value(j).unwrap();
    assert_eq!(back, ExitCause::Exit { code: 2 });
}
