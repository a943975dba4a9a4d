use super::*;

#[test]
fn renders_like_pmap() {
    let regions = vec![
        RegionView {
            start: 0x55f7_11a6_2000,
            end: 0x55f7_11a6_4000,
            perms: "r--p".into(),
            kind: "file".into(),
            path: Some("/usr/bin/true".into()),
            offset: 0,
            origin: "procfs".into(),
            changes: 0,
            sites: Vec::new(),
        },
        RegionView {
            start: 0x7f00_0000_0000,
            end: 0x7f00_0010_0000,
            perms: "rw-p".into(),
            kind: "anon".into(),
            path: None,
            offset: 0,
            origin: "mmap".into(),
            changes: 1,
            sites: Vec::new(),
        },
    ];
    let text = render(42, None, &regions, None);
    assert!(text.starts_with("42:"), "{text}");
    assert!(
        text.contains("    55f711a62000 r--p      8.0K        0 file     /usr/bin/true"),
        "{text}"
    );
    assert!(text.contains("1.0M"), "{text}");
    assert!(text.contains("total in 2 mappings"), "{text}");
    // With each region's memory, like pmap -X, and the totals.
    let rss = [
        Rss {
            rss_bytes: 8192,
            pss_bytes: 4096,
            ..Rss::default()
        },
        Rss {
            rss_bytes: 1 << 20,
            pss_bytes: 1 << 20,
            anonymous_bytes: 1 << 20,
            swap_bytes: 0,
            ..Rss::default()
        },
    ];
    let text = render(42, None, &regions, Some(&rss));
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        header,
        [
            "Address",
            "Perm",
            "Size",
            "Rss",
            "Pss",
            "Anonymous",
            "Swap",
            "Offset",
            "Kind",
            "Path"
        ]
    );
    let anon: Vec<&str> = lines[3].split_whitespace().collect();
    assert_eq!(
        &anon[2..7],
        ["1.0M", "1.0M", "1.0M", "1.0M", "0B"],
        "{text}"
    );
    let total: Vec<&str> = lines[4].split_whitespace().collect();
    assert_eq!(
        &total[..5],
        ["1.0M", "1.0M", "1.0M", "1.0M", "0B"],
        "{text}"
    );
}

#[test]
fn calls_in_flight_are_said_with_their_age() {
    let busy = vmmon::view::InFlightView {
        calls: 2,
        since_ns: Some(1_000_000_000),
    };
    let note = in_flight_note(busy, 4_500_000_000);
    assert!(note.contains("2 call(s) in the kernel for 3.5 s"), "{note}");
    let unknown = vmmon::view::InFlightView {
        calls: 1,
        since_ns: None,
    };
    assert!(in_flight_note(unknown, 1).contains("1 call(s) in the kernel: the regions"));
}
