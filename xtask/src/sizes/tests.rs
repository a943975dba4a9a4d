use super::*;

#[test]
fn a_function_is_measured_from_fn_to_its_closing_brace_and_tests_are_left_out() {
    let source = "/// Doc.\n\
                  #[inline]\n\
                  pub fn short() {\n\
                  }\n\
                  struct S;\n\
                  impl S {\n\
                      fn method(&self) -> u32 {\n\
                          let x = 1;\n\
                          x\n\
                      }\n\
                  }\n\
                  trait T {\n\
                      fn provided(&self) {}\n\
                      fn required(&self);\n\
                  }\n\
                  #[cfg(test)]\n\
                  mod tests {\n\
                      fn helper() {\n\
                      }\n\
                  }\n\
                  #[test]\n\
                  fn a_test() {}\n";
    let found = functions(source).unwrap();
    let named: Vec<(&str, usize, usize)> = found
        .iter()
        .map(|f| (f.name.as_str(), f.line, f.lines))
        .collect();
    assert_eq!(
        named,
        [("short", 3, 2), ("method", 7, 4), ("provided", 13, 1)]
    );
}

#[test]
fn test_files_and_fixtures_are_not_product_code() {
    assert!(is_test_file(Path::new("vmmon/src/ledger/tests/mod.rs")));
    assert!(is_test_file(Path::new("vmmon/src/ledger/apply/tests.rs")));
    assert!(is_test_file(Path::new("vmmon/src/fixtures.rs")));
    assert!(is_test_file(Path::new(
        "integration-tests/src/bin/vmmon-workload.rs"
    )));
    assert!(!is_test_file(Path::new("vmmon/src/ledger/apply.rs")));
}

/// The rules hold for the tree as it is: a function or file that grows past them fails CI.
#[test]
fn no_product_function_over_80_lines_and_no_file_over_600() {
    let found = over(&crate::cmd::workspace_root()).unwrap();
    assert!(found.is_empty(), "over the limits:\n{}", found.join("\n"));
}
