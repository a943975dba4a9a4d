//! `cargo xtask sizes`: the code's shape rules, measured. No product function is over
//! [`MAX_FN_LINES`] lines (from `fn` to its closing brace) and no source file over
//! [`MAX_FILE_LINES`]. Product code is the `src/` of vmmon, vmmon-common, vmmon-ebpf and
//! xtask but for unit tests (`tests.rs`, `tests/`, `#[cfg(test)]` items) and the tests'
//! fixtures; the file rule holds for tests and `integration-tests/` (its workloads and
//! harness) too.
//! A unit test holds the tree to both rules, so CI fails when one is broken.

use anyhow::{Context as _, Result, bail};
use std::path::{Path, PathBuf};
use syn::visit::Visit;

/// The most lines a product function may have.
pub const MAX_FN_LINES: usize = 80;
/// The most lines a source file may have.
pub const MAX_FILE_LINES: usize = 600;
/// Where the crates' sources are, from the workspace root.
const ROOTS: [&str; 5] = [
    "vmmon/src",
    "vmmon-common/src",
    "vmmon-ebpf/src",
    "xtask/src",
    "integration-tests/src",
];

/// A function and its length.
#[derive(Debug, PartialEq, Eq)]
pub struct Function {
    pub name: String,
    /// The line of its `fn`, and its length in lines.
    pub line: usize,
    pub lines: usize,
}

/// Every function `source` defines outside test code, with its length.
pub fn functions(source: &str) -> Result<Vec<Function>> {
    let file = syn::parse_file(source)?;
    let mut v = Functions(Vec::new());
    v.visit_file(&file);
    Ok(v.0)
}

struct Functions(Vec<Function>);

impl Functions {
    fn note(&mut self, sig: &syn::Signature, block: &syn::Block) {
        let line = sig.fn_token.span.start().line;
        let end = block.brace_token.span.close().end().line;
        self.0.push(Function {
            name: sig.ident.to_string(),
            line,
            lines: end + 1 - line,
        });
    }
}

/// Whether `attrs` make an item test code (`#[cfg(test)]`, `#[test]`).
fn is_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("test")
            || (a.path().is_ident("cfg") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "test"))
    })
}

impl<'a> Visit<'a> for Functions {
    fn visit_item_mod(&mut self, m: &'a syn::ItemMod) {
        if !is_test(&m.attrs) {
            syn::visit::visit_item_mod(self, m);
        }
    }

    fn visit_item_fn(&mut self, f: &'a syn::ItemFn) {
        if !is_test(&f.attrs) {
            self.note(&f.sig, &f.block);
            syn::visit::visit_item_fn(self, f);
        }
    }

    fn visit_impl_item_fn(&mut self, f: &'a syn::ImplItemFn) {
        if !is_test(&f.attrs) {
            self.note(&f.sig, &f.block);
            syn::visit::visit_impl_item_fn(self, f);
        }
    }

    fn visit_trait_item_fn(&mut self, f: &'a syn::TraitItemFn) {
        if let Some(block) = f.default.as_ref().filter(|_| !is_test(&f.attrs)) {
            self.note(&f.sig, block);
        }
        syn::visit::visit_trait_item_fn(self, f);
    }
}

/// Whether `path` (from the workspace root) holds tests, their fixtures or workloads.
fn is_test_file(path: &Path) -> bool {
    path.starts_with("integration-tests")
        || path.components().any(|c| c.as_os_str() == "tests")
        || path
            .file_name()
            .is_some_and(|n| n == "tests.rs" || n == "fixtures.rs")
}

/// Every `.rs` file under the crates' sources, from the workspace root, sorted.
fn sources(root: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut dirs: Vec<PathBuf> = ROOTS.iter().map(|r| root.join(r)).collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("{}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path.strip_prefix(root)?.to_path_buf());
            }
        }
    }
    out.sort();
    Ok(out)
}

/// What breaks the rules under `root`: each as `path:line what (lines)`.
pub fn over(root: &Path) -> Result<Vec<String>> {
    let mut found = Vec::new();
    for path in sources(root)? {
        let text = std::fs::read_to_string(root.join(&path))?;
        let lines = text.lines().count();
        if lines > MAX_FILE_LINES {
            found.push(format!("{}: the file ({lines} lines)", path.display()));
        }
        if is_test_file(&path) {
            continue;
        }
        let fns = functions(&text).with_context(|| format!("parsing {}", path.display()))?;
        for f in fns.into_iter().filter(|f| f.lines > MAX_FN_LINES) {
            let (line, name, n) = (f.line, f.name, f.lines);
            found.push(format!("{}:{line} fn {name} ({n} lines)", path.display()));
        }
    }
    Ok(found)
}

/// `cargo xtask sizes`: says what breaks the rules, and fails when anything does.
pub fn run() -> Result<()> {
    let found = over(&crate::cmd::workspace_root())?;
    for f in &found {
        println!("{f}");
    }
    if !found.is_empty() {
        bail!(
            "{} over the limits (functions {MAX_FN_LINES} lines, files {MAX_FILE_LINES})",
            found.len()
        );
    }
    println!("no product function over {MAX_FN_LINES} lines, no source file over {MAX_FILE_LINES}");
    Ok(())
}

#[cfg(test)]
mod tests;
