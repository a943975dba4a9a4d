use super::*;
use crate::event::Syscall;

#[test]
fn numbers_stay_and_sites_go_for_who_may_not_read_the_maps() {
    let mut r = Refused::default();
    r.note(RefusedCall {
        call: Syscall::Mmap,
        bytes: 64 << 20,
        errno: Some(12),
        site: 0xbeef,
        ts_ns: 5,
        virtual_bytes: Some(100 << 20),
        mappings: Some(40),
    });
    let mut v = RefusedView::of(&r).unwrap();
    assert_eq!(v.first, v.latest);
    assert_eq!(v.first.call, "mmap");
    assert_eq!(v.first.error, "ENOMEM");
    assert_eq!(v.first.site.as_deref(), Some("000000000000beef"));
    assert_eq!(v.first.site_id(), Some(0xbeef));
    v.numbers_only();
    assert_eq!(v.latest.site, None);
    assert_eq!(
        (
            v.latest.bytes,
            v.latest.virtual_bytes,
            v.latest.mapping_count
        ),
        (64 << 20, Some(100 << 20), Some(40))
    );
    assert!(RefusedView::of(&Refused::default()).is_none());
}
