#[test]
fn passwd_lines_name_uids() {
    let m = super::parse_passwd(
        "root:x:0:0:root:/root:/bin/bash\nbad line\nnobody:x:65534:65534::/:/x\n",
    );
    assert_eq!(m[&0], "root");
    assert_eq!(m[&65534], "nobody");
    assert_eq!(m.len(), 2);
}
