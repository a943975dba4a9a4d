use super::*;

const SAMPLE: &str = "\
55f711a62000-55f711a64000 r--p 00000000 00:1f 2621531                    /usr/bin/true
55f711a64000-55f711a68000 r-xp 00002000 00:1f 2621531                    /usr/bin/true
55f73250d000-55f73252e000 rw-p 00000000 00:00 0                          [heap]
7f6b06883000-7f6b068a9000 r--p 00000000 00:1f 2622044                    /usr/lib/x86_64-linux-gnu/libc.so.6
7f6b06a58000-7f6b06a65000 rw-p 00000000 00:00 0 
7f6b06a66000-7f6b06a68000 rw-s 00000000 00:01 1025                       /dev/zero (deleted)
7f6b06a68000-7f6b06a69000 rw-s 00000000 00:01 7                          /memfd:pool (deleted)
7f6b06a69000-7f6b06a6a000 rw-p 00000000 00:00 0                          [anon:tokio stack]
7f6b06a6a000-7f6b06a6b000 r--p 00000000 00:1f 99                         /tmp/a file with spaces
7ffd1c3e1000-7ffd1c402000 rw-p 00000000 00:00 0                          [stack]
7ffd1c5a4000-7ffd1c5a8000 r--p 00000000 00:00 0                          [vvar]
7ffd1c5a8000-7ffd1c5aa000 r-xp 00000000 00:00 0                          [vdso]
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]
";

#[test]
fn parses_a_real_looking_maps_file() {
    let (regions, errors) = parse_maps(SAMPLE);
    assert!(errors.is_empty(), "{errors:?}");
    let kinds: Vec<_> = regions.iter().map(|r| r.kind).collect();
    use RegionKind::*;
    assert_eq!(
        kinds,
        [
            File, File, Heap, File, Anon, Shm, Shm, Anon, File, Stack, Vvar, Vdso, Vsyscall
        ]
    );
    assert_eq!(regions[1].offset, 0x2000);
    assert_eq!(regions[1].perms.to_string(), "r-xp");
    assert_eq!(regions[4].path, None);
    assert_eq!(regions[8].path.as_deref(), Some("/tmp/a file with spaces"));
    assert_eq!(regions[12].start, 0xffffffffff600000);
    assert_eq!(regions[2].len(), 0x21000);
}

#[test]
fn malformed_lines_are_errors_not_panics() {
    for bad in [
        "",
        "zzzz-1000 r--p 0 00:00 0",
        "2000-1000 r--p 00000000 00:00 0",
        "1000-2000 rwxq 00000000 00:00 0",
        "1000-2000 r--p",
        "1000 r--p 00000000 00:00 0",
        "1000-2000 r--p 00000000 00:00 notanumber",
        "1000-ffffffffffffffffff r--p 00000000 00:00 0",
    ] {
        assert!(parse_line(bad).is_err(), "{bad:?} parsed");
    }
    let (regions, errors) = parse_maps("1000-2000 r--p 00000000 00:00 0\ngarbage\n");
    assert_eq!((regions.len(), errors.len()), (1, 1));
}
