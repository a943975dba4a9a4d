use super::*;

#[test]
fn names_are_unique_and_every_exit_is_attached_before_its_enter() {
    for (i, p) in PROGRAMS.iter().enumerate() {
        assert!(
            PROGRAMS[i + 1..].iter().all(|q| q.name != p.name),
            "{} twice",
            p.name
        );
        let Hook::TracePoint { name, syscall, .. } = p.hook else {
            continue;
        };
        if let Some(call) = name.strip_prefix("sys_exit_") {
            let enter = PROGRAMS.iter().position(|q| {
                matches!(q.hook, Hook::TracePoint { name, syscall: s, .. }
                        if name.strip_prefix("sys_enter_") == Some(call) && s == syscall)
            });
            assert!(enter.is_some_and(|e| e > i), "{} after its enter", p.name);
        }
    }
}

#[test]
fn every_traced_syscall_has_an_enter_and_an_exit() {
    for n in 0..512 {
        let Some(kind) = crate::EventKind::of_syscall(n) else {
            continue;
        };
        let sides = PROGRAMS
            .iter()
            .filter(|p| matches!(p.hook, Hook::TracePoint { syscall, .. } if syscall == Some(kind)))
            .count();
        assert_eq!(sides, 2, "{kind:?}");
    }
}
