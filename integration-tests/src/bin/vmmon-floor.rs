//! Attaches empty programs on exactly vmmon's tracepoints and holds them until SIGTERM or
//! SIGINT: the benchmark's floor (what attaching alone costs). Prints "attached" when ready.

use tokio::signal::unix::{SignalKind, signal};
use vmmon::bpf::{LoadOptions, Object, Pipeline};

fn main() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async {
        let opts = LoadOptions {
            object: Object::Floor,
            ..LoadOptions::default()
        };
        let pipeline = match Pipeline::load(&opts) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("vmmon-floor: {e}");
                std::process::exit(1);
            }
        };
        let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
        let mut int = signal(SignalKind::interrupt()).expect("SIGINT handler");
        eprintln!(
            "vmmon-floor: {} empty programs attached",
            pipeline.programs_attached()
        );
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    });
}
