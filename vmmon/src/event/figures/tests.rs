use super::*;

#[test]
fn raw_pages_become_bytes_and_the_peak_is_the_larger() {
    let raw = vmmon_common::Figures {
        total_vm: 10,
        hiwater_vm: 7,
        map_count: 3,
        flags: FIGURES_KNOWN | FIGURES_OWN_CALL,
        inflight: 2,
        enters_before: 5,
        enters_after: 5,
        lost: 0,
    };
    let f = Figures::from_raw(&raw).unwrap();
    assert_eq!(
        (f.virtual_bytes, f.peak_virtual_bytes, f.mappings),
        (40960, 40960, 3)
    );
    assert_eq!(f.calls.others(), 1);
    let unknown = vmmon_common::Figures { flags: 0, ..raw };
    assert_eq!(Figures::from_raw(&unknown), None);
    let r = Resident::from_raw(&vmmon_common::Resident {
        hiwater_rss: 5,
        file: 1,
        anon: 2,
        shmem: 3,
        swap: 4,
    });
    assert_eq!(
        (r.total_bytes(), r.peak_bytes, r.swap_bytes),
        (6 * 4096, 6 * 4096, 4 * 4096)
    );
}
