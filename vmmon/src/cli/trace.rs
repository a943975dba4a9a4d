//! `vmmon trace`: every event, one line each (or JSON), until Ctrl-C or SIGTERM; then a
//! summary of what was received and what the kernel dropped.

use super::pipeline_args::PipelineArgs;
use anyhow::{Context as _, Result, bail};
use std::io::Write as _;
use std::sync::mpsc;
use tokio::signal::unix::{SignalKind, signal};
use vmmon::bpf::{LoadOptions, Pipeline};
use vmmon::event::{DecodeError, Event};
use vmmon::source::EventSource;
use vmmon::symbolize::{Frame, Symbols, frames_text, regions_now};
use vmmon::trace::{EventName, Filter, WallClock, write_json_with_site, write_line};

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
    /// Print the call site of each growing call (mmap, mremap, brk, shmat) under its line,
    /// named from the mapped files' symbols (`call_site` in --json). Captures every growing
    /// call's site unless --call-sites says otherwise.
    #[arg(long)]
    stacks: bool,
    #[command(flatten)]
    pipeline: PipelineArgs,
}

pub fn run(mut args: Args) -> Result<()> {
    if args.stacks && args.pipeline.call_sites.is_none() {
        args.pipeline.call_sites = Some(vmmon::config::SiteCapture::ALL);
    }
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
    let mut out = Sink::new(Output::new(args.json, clock), args.stacks);
    let mut tally = Tally::default();
    loop {
        tokio::select! {
            _ = pipeline.ready() => {}
            _ = sigint.recv() => break,
            _ = sigterm.recv() => break,
        }
        pipeline.drain(&mut |r| out.record(r, &filter, &mut tally));
        if out.flush().is_err() {
            // The reader of our output went away (e.g. `| head`): stop like on a signal.
            break;
        }
    }
    pipeline.drain(&mut |r| out.record(r, &filter, &mut tally));
    out.finish();
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

/// Where shown events go: formatted on the draining loop, or, with `--stacks`, on a printer
/// thread that names call sites (reading the mapped files) so that the loop never waits.
enum Sink {
    Here(Output),
    Printer {
        events: mpsc::Sender<Vec<Event>>,
        batch: Vec<Event>,
        thread: Option<std::thread::JoinHandle<()>>,
    },
}

impl Sink {
    fn new(out: Output, stacks: bool) -> Self {
        if !stacks {
            return Sink::Here(out);
        }
        let (events, rx) = mpsc::channel::<Vec<Event>>();
        let thread = std::thread::spawn(move || {
            let mut out = out;
            let symbols = Symbols::new();
            for batch in rx {
                // Each process's mappings read once per batch.
                let mut maps = std::collections::HashMap::new();
                for e in &batch {
                    let frames = e.site.as_ref().map(|s| {
                        let regions = maps.entry(e.tgid).or_insert_with(|| regions_now(e.tgid));
                        symbols.frames_in(e.tgid, regions.as_ref(), &s.frames())
                    });
                    out.push(e, frames.as_deref());
                }
                if out.flush().is_err() {
                    return;
                }
            }
        });
        Sink::Printer {
            events,
            batch: Vec::new(),
            thread: Some(thread),
        }
    }

    fn record(&mut self, r: Result<Event, DecodeError>, filter: &Filter, tally: &mut Tally) {
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
        match self {
            Sink::Here(out) => out.push(&event, None),
            Sink::Printer { batch, .. } => batch.push(event),
        }
    }

    /// Writes what was shown so far (hands it to the printer); an error when the reader of
    /// the output went away.
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Here(out) => out.flush(),
            Sink::Printer { events, batch, .. } => {
                if batch.is_empty() {
                    return Ok(());
                }
                events
                    .send(std::mem::take(batch))
                    .map_err(|_| std::io::ErrorKind::BrokenPipe.into())
            }
        }
    }

    /// Waits for the printer to write everything handed to it.
    fn finish(mut self) {
        let _ = self.flush();
        if let Sink::Printer { events, thread, .. } = &mut self {
            let (closed, _) = mpsc::channel();
            *events = closed;
            if let Some(t) = thread.take() {
                let _ = t.join();
            }
        }
    }
}

/// Formats shown events into one buffer per batch, written with one syscall.
struct Output {
    json: bool,
    clock: WallClock,
    buf: Vec<u8>,
    line: String,
}

impl Output {
    fn new(json: bool, clock: WallClock) -> Self {
        Self {
            json,
            clock,
            buf: Vec::with_capacity(1 << 16),
            line: String::new(),
        }
    }

    /// One event, with its call site's frames when they were named.
    fn push(&mut self, event: &Event, frames: Option<&[Frame]>) {
        if self.json {
            write_json_with_site(&mut self.buf, event, frames);
        } else {
            self.line.clear();
            write_line(&mut self.line, &self.clock, event);
            if let Some(frames) = frames {
                self.line.push('\n');
                self.line
                    .push_str(frames_text(frames, "        at ").trim_end());
            }
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
