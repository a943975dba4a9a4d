use super::*;

const SMAPS: &str = "\
55d0c7a00000-55d0c7a02000 r--p 00000000 08:01 1234  /usr/bin/cat
Size:                  8 kB
KernelPageSize:        4 kB
Rss:                   8 kB
Pss:                   4 kB
Pss_Dirty:             0 kB
Anonymous:             0 kB
Swap:                  0 kB
VmFlags: rd mr mw me dw sd
7f0000000000-7f0000400000 rw-p 00000000 00:00 0 
Size:               4096 kB
Rss:                1024 kB
Pss:                1024 kB
Anonymous:          1024 kB
Swap:                 12 kB
ProtectionKey:         0
";

#[test]
fn parses_each_mapping_and_sums_within_a_range() {
    let e = parse_smaps(SMAPS);
    assert_eq!(e.len(), 2);
    assert_eq!(
        (e[0].start, e[0].end, e[0].rss_bytes, e[0].pss_bytes),
        (0x55d0_c7a0_0000, 0x55d0_c7a0_2000, 8192, 4096)
    );
    assert_eq!(e[1].anonymous_bytes, 1024 * 1024);
    assert_eq!(e[1].swap_bytes, 12 * 1024);
    let all = rss_within(&e, 0, u64::MAX);
    assert_eq!(all.rss_bytes, 8192 + 1024 * 1024);
    assert_eq!(
        rss_within(&e, 0x7f00_0000_0000, 0x7f00_0040_0000).pss_bytes,
        1 << 20
    );
    assert_eq!(parse_smaps("garbage\nRss: 5 kB\n"), vec![]);
}
