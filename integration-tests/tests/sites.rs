//! Call sites with the real programs: the project's own workload (`workloads/sites.c`), built
//! with frame pointers, without them, and stripped, maps 3 + 3 MiB from `sites_map_cache`
//! (called by `sites_load_caches`) and 5 MiB from `sites_grow_arena` (called by
//! `sites_build_arena`), all three neighbours that the kernel merges into one mapping; then
//! unmaps 1 MiB of the first and all of the last. `vmmon maps --by-site` must name those
//! functions with the exact bytes still mapped, before and after, and `vmmon trace --stacks`
//! must print them under the calls.

use serde_json::Value;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::Duration;
use vmmon_integration_tests::agent::{
    Agent, Killed, Launch, exit_within, lines, vmmon, wait_until,
};
use vmmon_integration_tests::output::said;

const MIB: u64 = 1 << 20;

/// The workload built with `flags` (then stripped, with `strip`) into a fresh directory.
fn build(name: &str, flags: &[&str], strip: bool) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("workloads/sites.c");
    let dir = std::env::temp_dir().join(format!("vmmon-sites-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(name);
    let cc = Command::new("cc")
        .args(["-O2", "-o"])
        .arg(&out)
        .args(flags)
        .arg(&src)
        .output()
        .expect("a C compiler (cc)");
    assert!(cc.status.success(), "cc failed: {}", said(&cc));
    if strip {
        let s = Command::new("strip").arg(&out).output().expect("strip");
        assert!(s.status.success(), "strip failed: {}", said(&s));
    }
    out
}

struct Workload {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    path: PathBuf,
}

impl Workload {
    fn start(path: &Path) -> Self {
        let mut child = Command::new(path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let mut w = Self {
            child,
            stdin,
            stdout,
            path: path.to_path_buf(),
        };
        assert!(w.line().starts_with("ready"), "the workload did not map");
        w
    }

    fn line(&mut self) -> String {
        let mut l = String::new();
        self.stdout.read_line(&mut l).unwrap();
        l
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn unmap(&mut self) {
        writeln!(self.stdin, "unmap").unwrap();
        assert_eq!(self.line().trim(), "unmapped");
    }
}

impl Drop for Workload {
    fn drop(&mut self) {
        let _ = writeln!(self.stdin, "exit");
        let _ = self.child.wait();
    }
}

fn by_site(agent: &Agent, pid: u32) -> Option<Value> {
    let o = vmmon()
        .args([
            "maps",
            &pid.to_string(),
            "--by-site",
            "--json",
            "--connect",
            &agent.socket,
        ])
        .output()
        .unwrap();
    if !o.status.success() {
        return None;
    }
    serde_json::from_slice(&o.stdout).ok()
}

fn function(frame: &Value) -> Option<&str> {
    frame["function"].as_str()
}

/// The sites whose innermost frame is in `function`: (bytes, frames).
fn sites_of<'a>(v: &'a Value, function_name: &str) -> Vec<(u64, &'a [Value])> {
    v["sites"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|s| {
            let frames = s["frames"].as_array()?;
            (frames.first().and_then(function) == Some(function_name))
                .then(|| (s["bytes"].as_u64().unwrap(), frames.as_slice()))
        })
        .collect()
}

fn bytes_of(v: &Value, function_name: &str) -> u64 {
    sites_of(v, function_name).iter().map(|(b, _)| b).sum()
}

/// `VmSize` of `pid`, in bytes.
fn vm_size(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmSize:")).unwrap();
    line.split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        * 1024
}

/// Waits until the agent names `sites_map_cache` with `cache` bytes and `sites_grow_arena`
/// with `arena` bytes, and every byte of the process is some site's (the kernel's `VmSize`).
fn wait_for(agent: &Agent, w: &Workload, cache: u64, arena: u64) -> Value {
    wait_until(
        &format!(
            "{} naming its call sites with {cache} and {arena} bytes",
            w.path.display()
        ),
        Duration::from_secs(30),
        || {
            let v = by_site(agent, w.pid())?;
            let total: u64 = v["sites"]
                .as_array()?
                .iter()
                .map(|s| s["bytes"].as_u64().unwrap())
                .sum();
            (bytes_of(&v, "sites_map_cache") == cache
                && bytes_of(&v, "sites_grow_arena") == arena
                && total == vm_size(w.pid()))
            .then_some(v)
        },
    )
}

#[test]
fn real_ebpf_call_sites_name_the_functions_that_mapped_and_the_bytes_they_still_hold() {
    // The default threshold (64KiB): every call of the workload is above it.
    let agent = Launch::new().start();
    let fp = build("sites-fp", &["-fno-omit-frame-pointer"], false);
    let mut w = Workload::start(&fp);
    let v = wait_for(&agent, &w, 6 * MIB, 5 * MIB);
    // With frame pointers: the callers above, by name.
    for (_, frames) in sites_of(&v, "sites_map_cache") {
        let names: Vec<_> = frames.iter().map(function).collect();
        assert_eq!(
            names[1..3],
            [Some("sites_load_caches"), Some("main")],
            "{v}"
        );
    }
    let (_, arena) = sites_of(&v, "sites_grow_arena")[0];
    assert_eq!(function(&arena[1]), Some("sites_build_arena"), "{v}");
    assert_eq!(arena[0]["module"], fp.display().to_string());
    assert!(
        arena[0]["build_id"].as_str().is_some_and(|b| b.len() == 40),
        "{v}"
    );
    w.unmap();
    wait_for(&agent, &w, 5 * MIB, 0);
    // The text form names them too.
    let text = vmmon()
        .args([
            "maps",
            &w.pid().to_string(),
            "--by-site",
            "--connect",
            &agent.socket,
        ])
        .output()
        .unwrap();
    let text = said(&text);
    assert!(
        text.contains("sites_map_cache+0x") && text.contains("sites_load_caches+0x"),
        "{text}"
    );
    assert!(
        !text.contains("sites_grow_arena"),
        "its bytes are all unmapped:\n{text}"
    );
    drop(w);

    // Without frame pointers: the direct caller still, from the return address at the
    // stack pointer.
    let nofp = build("sites-nofp", &["-fomit-frame-pointer"], false);
    let mut w = Workload::start(&nofp);
    let v = wait_for(&agent, &w, 6 * MIB, 5 * MIB);
    let offsets: Vec<u64> = ["sites_map_cache", "sites_grow_arena"]
        .iter()
        .map(|f| sites_of(&v, f)[0].1[0]["offset"].as_u64().unwrap())
        .collect();
    w.unmap();
    wait_for(&agent, &w, 5 * MIB, 0);
    drop(w);

    // Stripped: the module and the same offsets, no name, no error.
    let stripped = build("sites-stripped", &["-fomit-frame-pointer"], true);
    let w = Workload::start(&stripped);
    let v = wait_until(
        "the stripped workload's call sites",
        Duration::from_secs(30),
        || {
            let v = by_site(&agent, w.pid())?;
            let ours: Vec<(u64, u64)> = v["sites"]
                .as_array()?
                .iter()
                .filter_map(|s| {
                    let f = s["frames"].get(0)?;
                    (f["module"] == stripped.display().to_string())
                        .then(|| (f["offset"].as_u64().unwrap(), s["bytes"].as_u64().unwrap()))
                })
                .collect();
            (ours.contains(&(offsets[0], 6 * MIB)) && ours.contains(&(offsets[1], 5 * MIB)))
                .then_some(v)
        },
    );
    for s in v["sites"].as_array().unwrap() {
        let f = &s["frames"][0];
        if f["module"] == stripped.display().to_string() {
            assert!(
                f["function"].is_null(),
                "a stripped binary has no names: {s}"
            );
            assert_eq!(f["marker"], "no_symbols", "{s}");
        }
    }
    drop(w);

    // Deleted after it started: named through the process's own link to the file, and
    // marked as deleted.
    let doomed = build("sites-deleted", &["-fno-omit-frame-pointer"], false);
    let w = Workload::start(&doomed);
    std::fs::remove_file(&doomed).unwrap();
    let gone = format!("{} (deleted)", doomed.display());
    wait_until(
        "the deleted workload's call sites",
        Duration::from_secs(30),
        || {
            let v = by_site(&agent, w.pid())?;
            let f = sites_of(&v, "sites_grow_arena").first()?.1.first()?.clone();
            (f["module"] == gone.as_str() && f["marker"] == "deleted").then_some(())
        },
    );
    drop(w);
    let _ = std::fs::remove_dir_all(fp.parent().unwrap());
}

#[test]
fn real_ebpf_trace_stacks_prints_the_call_site_of_each_growing_call() {
    let fp = build("sites-trace", &["-fno-omit-frame-pointer"], false);
    let out_path = fp.with_extension("trace");
    // Killed when the test ends, also when it fails.
    let mut trace = Killed(
        vmmon()
            .args(["trace", "--stacks", "--comm", "sites-trace"])
            .stdout(std::fs::File::create(&out_path).unwrap())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let err = lines(trace.0.stderr.take().unwrap());
    let l = err
        .recv_timeout(Duration::from_secs(60))
        .expect("vmmon trace said nothing within 60 s");
    assert!(l.contains("programs attached"), "{l}");
    let mut w = Workload::start(&fp);
    w.unmap();
    let out = wait_until("the trace's call sites", Duration::from_secs(20), || {
        let text = std::fs::read_to_string(&out_path).ok()?;
        text.contains("munmap(").then_some(text)
    });
    drop(w);
    // SAFETY: signalling our own child.
    unsafe { libc::kill(trace.pid() as i32, libc::SIGINT) };
    assert!(exit_within(&mut trace.0, Duration::from_secs(20)).success());
    // Each 3 MiB and 5 MiB mmap, with its call site under it.
    for (len, caller, above) in [
        ("3145728", "sites_map_cache", "sites_load_caches"),
        ("5242880", "sites_grow_arena", "sites_build_arena"),
    ] {
        let lines: Vec<&str> = out.lines().collect();
        let at = lines
            .iter()
            .position(|l| l.contains(&format!("mmap(NULL, {len},")))
            .unwrap_or_else(|| panic!("no mmap of {len}:\n{out}"));
        assert!(
            lines[at + 1]
                .trim_start()
                .starts_with(&format!("at {caller}+0x")),
            "{out}"
        );
        assert!(
            lines[at + 2]
                .trim_start()
                .starts_with(&format!("at {above}+0x")),
            "{out}"
        );
    }
    let _ = std::fs::remove_dir_all(fp.parent().unwrap());
}

/// `go tool pprof` (Debian's golang-go; `cargo xtask test` installs it) on `args`: its output.
fn go_pprof(args: &[&str]) -> String {
    let o = Command::new("go")
        .args(["tool", "pprof"])
        .args(args)
        .env("HOME", std::env::temp_dir())
        .env("PPROF_TMPDIR", std::env::temp_dir())
        .output()
        .expect("go (Debian's golang-go) must be installed: run the tests with `cargo xtask test`");
    assert!(o.status.success(), "go tool pprof {args:?}: {}", said(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The flat value `go tool pprof -top` gives `function` (0 when it is not listed).
fn flat(top: &str, function: &str) -> u64 {
    top.lines()
        .find(|l| l.split_whitespace().last() == Some(function))
        .and_then(|l| l.split_whitespace().next())
        .map_or(0, |v| v.trim_end_matches('B').parse().unwrap())
}

/// Writes `pid`'s call sites as a pprof profile and a flame graph with `vmmon maps --by-site`;
/// returns the profile's path and the SVG's text.
fn profile_of(agent: &Agent, pid: u32, dir: &Path, name: &str) -> (PathBuf, String) {
    let (pb, svg) = (
        dir.join(format!("{name}.pb.gz")),
        dir.join(format!("{name}.svg")),
    );
    let o = vmmon()
        .args([
            "maps",
            &pid.to_string(),
            "--by-site",
            "--connect",
            &agent.socket,
        ])
        .arg("--pprof")
        .arg(&pb)
        .arg("--flamegraph")
        .arg(&svg)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", said(&o));
    (pb, std::fs::read_to_string(&svg).unwrap())
}

/// What `go tool pprof` reads of `vmmon maps --by-site --pprof` is exactly what `/sites` says:
/// each function with the bytes it still holds (inuse_space, the default) and the mappings
/// (inuse_objects), before and after an unmap; the flame graph names them; a machine-wide
/// profile (`vmmon profile`) carries pid, comm and unit labels.
#[test]
fn real_ebpf_go_tool_pprof_reads_each_function_with_exactly_the_bytes_it_holds() {
    let agent = Launch::new().start();
    let fp = build("sites-pprof", &["-fno-omit-frame-pointer"], false);
    let mut w = Workload::start(&fp);
    let dir = std::env::temp_dir().join(format!("vmmon-pprof-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, cache, arena) in [("before", 6 * MIB, 5 * MIB), ("after", 5 * MIB, 0)] {
        if name == "after" {
            w.unmap();
        }
        let v = wait_for(&agent, &w, cache, arena);
        let (pb, svg) = profile_of(&agent, w.pid(), &dir, name);
        let pb = pb.to_str().unwrap();
        let space = go_pprof(&["-top", "-sample_index=inuse_space", "-unit=B", pb]);
        assert!(space.contains("Type: inuse_space"), "{space}");
        assert_eq!(flat(&space, "sites_map_cache"), cache, "{space}");
        assert_eq!(flat(&space, "sites_grow_arena"), arena, "{space}");
        // The default sample type is the bytes.
        assert!(go_pprof(&["-top", pb]).contains("Type: inuse_space"));
        let objects = go_pprof(&["-top", "-sample_index=inuse_objects", pb]);
        let regions = |f: &str| -> u64 {
            v["sites"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|s| s["frames"][0]["function"] == f)
                .map(|s| s["regions"].as_u64().unwrap())
                .sum()
        };
        assert_eq!(
            flat(&objects, "sites_map_cache"),
            regions("sites_map_cache"),
            "{objects}"
        );
        assert_eq!(
            flat(&objects, "sites_grow_arena"),
            regions("sites_grow_arena"),
            "{objects}"
        );
        assert!(
            svg.contains("sites_map_cache") && svg.contains("sites_load_caches"),
            "{name}"
        );
        assert_eq!(svg.contains("sites_grow_arena"), arena > 0, "{name}");
    }
    // Machine-wide, of one comm: the workload's samples, labelled.
    let all = dir.join("all.pb.gz");
    let o = vmmon()
        .args([
            "profile",
            "--comm",
            "sites-pprof",
            "--connect",
            &agent.socket,
            "--pprof",
        ])
        .arg(&all)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", said(&o));
    let all = all.to_str().unwrap();
    let tags = go_pprof(&["-tags", all]);
    assert!(
        tags.contains("pid") && tags.contains(&w.pid().to_string()),
        "{tags}"
    );
    assert!(
        tags.contains("comm") && tags.contains("sites-pprof"),
        "{tags}"
    );
    // Its unit, when the agent knows one (the metrics' unit="none" is no label here).
    let (_, view) = agent.get(&format!("/api/v1/processes/{}", w.pid()));
    if let Some(unit) = view["unit"].as_str() {
        assert!(tags.contains("unit") && tags.contains(unit), "{tags}");
    }
    let space = go_pprof(&["-top", "-unit=B", all]);
    assert_eq!(flat(&space, "sites_map_cache"), 5 * MIB, "{space}");
    // Bad input: no output asked, one line.
    let o = vmmon()
        .args(["profile", "--connect", &agent.socket])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--pprof FILE"),
        "{}",
        said(&o)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
