use super::*;

#[test]
fn frames_read_as_function_then_place() {
    let named = Frame {
        address: 0x5555_0000_1234,
        module: Some("/usr/bin/app".into()),
        build_id: None,
        offset: Some(0x1234),
        function: Some("grow_cache".into()),
        function_offset: Some(0x1f),
        marker: None,
    };
    assert_eq!(named.text(), "grow_cache+0x1f (/usr/bin/app+0x1234)");
    let stripped = Frame {
        function: None,
        function_offset: None,
        marker: Some(Marker::NoSymbols),
        ..named.clone()
    };
    assert_eq!(stripped.text(), "/usr/bin/app+0x1234 [no symbols]");
    assert_eq!(
        Frame::bare(0x10, Marker::Unmapped).text(),
        "0x10 [unmapped]"
    );
}
