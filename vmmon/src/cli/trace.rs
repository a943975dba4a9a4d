//! `vmmon trace`: every event, one line each (or JSON), until Ctrl-C or SIGTERM; then a
//! summary of what was received and what the kernel dropped.

use super::pipeline_args::PipelineArgs;
use anyhow::{Context as _, Result, bail};
use std::io::Write as _;
use tokio::signal::unix::{SignalKind, signal};
use vmmon::bpf::{LoadOptions, Pipeline};
use vmmon::event::{DecodeError, Event};
use vmmon::source::EventSource;
use vmmon::trace::{EventName, Filter, WallClock, write_json, write_line};

#[derive(clap::Args)]
pub struct Args {
    /// One JSON object per line instead of text (fields are listed in the README).
    #[arg(long)]
    json: bool,
    /// Only these processes (tgid); repeat or separate with commas.
    #[arg(long, value_delimiter = ',')]
    pid: Vec<u32>,
    /// Only tasks with this exact comm (the name in `ps -o comm`); repeatable.
    #[arg(long)]
    comm: Vec<String>,
    /// Only these events: mmap, munmap, mremap, mprotect, pkey_mprotect, brk, fork, exec, exit.
    #[arg(long, value_delimiter = ',', value_name = "NAME")]
    syscall: Vec<EventName>,
    #[command(flatten)]
    pipeline: PipelineArgs,
}

pub fn run(args: Args) -> Result<()> {
    let opts = args.pipeline.load_options()?;
    for pid in &args.pid {
        if !std::path::Path::new(&format!("/proc/{pid}")).exists() {
            bail!(
                "--pid {pid}: no such process (it may have exited); check the pid with `ps -p {pid}`"
            );
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(trace(args, opts))
}

#[derive(Default)]
struct Tally {
    received: u64,
    shown: u64,
    decode_errors: u64,
}

async fn trace(args: Args, opts: LoadOptions) -> Result<()> {
    let mut pipeline = Pipeline::load(&opts)?;
    let filter = Filter {
        pids: args.pid,
        comms: args.comm,
        events: args.syscall,
    };
    eprintln!(
        "vmmon trace: {} programs attached; Ctrl-C to stop",
        pipeline.programs_attached()
    );
    let mut sigint = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let mut sigterm = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let clock = WallClock::now();
    let mut out = Output::new(args.json);
    let mut tally = Tally::default();
    loop {
        tokio::select! {
            _ = pipeline.ready() => {}
            _ = sigint.recv() => break,
            _ = sigterm.recv() => break,
        }
        pipeline.drain(&mut |r| out.record(r, &filter, &clock, &mut tally));
        if out.flush().is_err() {
            // The reader of our output went away (e.g. `| head`): stop like on a signal.
            break;
        }
    }
    pipeline.drain(&mut |r| out.record(r, &filter, &clock, &mut tally));
    let _ = out.flush();
    let counters = pipeline.counters();
    drop(pipeline);
    eprintln!(
        "vmmon trace: detached; {} events received (of {} the kernel delivered), {} shown, \
         {} dropped in the kernel (ring buffer full), {} undecodable",
        tally.received,
        counters.delivered(),
        tally.shown,
        counters.dropped(),
        tally.decode_errors
    );
    Ok(())
}

/// Formats shown events into one buffer per batch, written with one syscall.
struct Output {
    json: bool,
    buf: Vec<u8>,
    line: String,
}

impl Output {
    fn new(json: bool) -> Self {
        Self {
            json,
            buf: Vec::with_capacity(1 << 16),
            line: String::new(),
        }
    }

    fn record(
        &mut self,
        r: Result<Event, DecodeError>,
        filter: &Filter,
        clock: &WallClock,
        tally: &mut Tally,
    ) {
        tally.received += 1;
        let event = match r {
            Ok(e) => e,
            Err(e) => {
                tally.decode_errors += 1;
                log::warn!("skipping a record: {e}");
                return;
            }
        };
        if !filter.matches(&event) {
            return;
        }
        tally.shown += 1;
        if self.json {
            write_json(&mut self.buf, &event);
        } else {
            self.line.clear();
            write_line(&mut self.line, clock, &event);
            self.buf.extend_from_slice(self.line.as_bytes());
        }
        self.buf.push(b'\n');
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let mut stdout = std::io::stdout().lock();
        let result = stdout.write_all(&self.buf).and_then(|()| stdout.flush());
        self.buf.clear();
        result
    }
}
