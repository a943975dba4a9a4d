use super::*;

#[test]
fn parses_key_value_lines() {
    let m = parse("seconds 61.0\nfreezes 65\nnot a figure\nexact_at_freeze 201\n");
    assert_eq!(m["seconds"], 61.0);
    assert_eq!(m["freezes"], 65.0);
    assert_eq!(m.len(), 3);
}
