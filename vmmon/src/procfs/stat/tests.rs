#[test]
fn the_nice_is_field_19_whatever_the_comm() {
    let line = "42 (a) b (c)) S 1 42 42 0 -1 4194560 100 0 0 0 5 3 0 0 20 -5 3 0 1234 0";
    assert_eq!(super::nice_of(line), Some(-5));
    assert_eq!(super::nice_of("42 (x) S 1"), None);
    let me = super::thread_nice().expect("this thread's stat");
    assert!((-20..=19).contains(&me), "{me}");
}

use super::*;

#[test]
fn parses_stat_with_a_hostile_comm() {
    let line = "1234 (a) b (c)) S 1 1234 1234 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 \
                    5555 1000000 200 18446744073709551615 94000000000000 94000000001000 \
                    140000000000000 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 94000000002000 \
                    94000000003000 94000000004096 140000000001000 140000000001100 \
                    140000000001100 140000000001200 0\n";
    let s = parse_stat(line).unwrap();
    assert_eq!(s.comm, "a) b (c)");
    assert_eq!(s.start_time, 5555);
    assert_eq!(s.start_brk, 94000000004096);
    assert!(parse_stat("garbage").is_none());
    assert!(parse_stat("1 (x) S").is_none());
}
