use super::*;

#[test]
fn perms_round_trip() {
    for s in ["r-xp", "rw-s", "---p", "rwxp", "r--s"] {
        assert_eq!(Perms::parse(s).unwrap().to_string(), s);
    }
    assert!(Perms::parse("rw-").is_none());
    assert!(Perms::parse("rwxq").is_none());
    assert!(Perms::parse("xw-p").is_none());
    assert!(Perms::from_prot(6, false).is_wx());
    assert_eq!(Perms::from_prot(3, true).to_string(), "rw-s");
}

#[test]
fn every_kind_is_its_own_index() {
    for (i, k) in RegionKind::ALL.iter().enumerate() {
        assert_eq!(*k as usize, i, "{k:?}");
    }
}

#[test]
fn page_rounding() {
    assert_eq!(page_up(0), 0);
    assert_eq!(page_up(1), 4096);
    assert_eq!(page_up(4096), 4096);
    assert_eq!(page_up(34067), 36864);
    assert_eq!(
        page_up(u64::MAX),
        u64::MAX,
        "saturates rather than wrapping"
    );
}
