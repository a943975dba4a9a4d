use super::*;

/// The running kernel's BTF, when it has one (every machine vmmon runs on does; a build
/// machine may not).
fn vmlinux() -> Option<Btf> {
    Btf::from_file(VMLINUX_BTF).ok()
}

#[test]
fn the_running_kernels_layout_resolves_in_full() {
    let Some(btf) = vmlinux() else {
        eprintln!("no {VMLINUX_BTF}: nothing to resolve");
        return;
    };
    let r = resolve_from(&btf).unwrap();
    assert!(r.missing.is_empty(), "{:?}", r.missing);
    let l = r.layout;
    assert_eq!(
        (l.task_known, l.mm_known, l.creds_known, l.exit_known),
        (1, 1, 1, 1)
    );
    assert!(l.task_exit_code > 0 && l.task_signal > 0, "{l:?}");
    assert!(l.cred_euid > l.cred_uid && l.task_real_cred > 0, "{l:?}");
    // Distinct fields at distinct offsets, each inside its struct.
    let task = strukt(&btf, "task_struct").unwrap().size() as u32;
    for o in [l.task_pid, l.task_tgid, l.task_comm, l.task_mm] {
        assert!(o > 0 && o < task, "{l:?}");
    }
    assert_eq!(
        l.task_tgid,
        l.task_pid + 4,
        "tgid follows pid in task_struct"
    );
    let mm = strukt(&btf, "mm_struct").unwrap().size() as u32;
    let mut offsets = [
        l.mm_total_vm,
        l.mm_hiwater_vm,
        l.mm_map_count,
        l.mm_hiwater_rss,
        l.rss_file,
        l.rss_anon,
        l.rss_swap,
        l.rss_shmem,
    ];
    assert!(offsets.iter().all(|&o| o > 0 && o < mm), "{l:?}");
    offsets.sort_unstable();
    assert!(offsets.windows(2).all(|w| w[0] != w[1]), "{l:?}");
}

#[test]
fn a_kernel_without_btf_is_a_clear_error() {
    let e = resolve("/nonexistent/vmlinux").unwrap_err();
    assert!(
        e.to_string().contains("cannot read the kernel's BTF"),
        "{e}"
    );
}
