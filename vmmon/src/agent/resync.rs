//! The thread that reads `/proc` for the ledger (I/O), so that nothing on the event path
//! waits on it: processes' maps and the sweeps of every process's figures. Requests are
//! deduplicated per pid; targeted ones (a ledger found wrong) go first, then urgent ones
//! (exec, unknown process, bootstrap), then sweeps; periodic resyncs are limited to a rate.

use super::reads::{FromProc, Priority, Reads, Resynced};
use crate::ledger::ReadReason;
use crate::procfs::read_process;
use crate::source::Sweep;
use std::collections::{HashSet, VecDeque};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

enum Msg {
    Read(u32, ReadReason),
    Rate(u32),
    Sweep(Sweep, u64),
}

/// The requesting end of the reader thread.
#[derive(Clone)]
pub struct Resyncer {
    tx: Sender<Msg>,
}

impl Reads for Resyncer {
    fn request(&self, tgid: u32, reason: ReadReason) {
        let _ = self.tx.send(Msg::Read(tgid, reason));
    }

    fn set_rate(&self, periodic_per_second: u32) {
        let _ = self.tx.send(Msg::Rate(periodic_per_second));
    }

    fn sweep(&self, sweep: Sweep, started_ns: u64) {
        let _ = self.tx.send(Msg::Sweep(sweep, started_ns));
    }
}

impl Resyncer {
    /// Starts the thread. At most `periodic_per_second` periodic reads a second; urgent reads
    /// are not limited but each pid is read once however often it is asked for meanwhile.
    pub fn spawn(
        out: UnboundedSender<FromProc>,
        periodic_per_second: u32,
    ) -> std::io::Result<Self> {
        let (tx, rx) = channel();
        std::thread::Builder::new()
            .name("vmmon-resync".into())
            .spawn(move || serve(rx, out, periodic_per_second))?;
        Ok(Self { tx })
    }
}

/// What the reader thread has to do next.
enum Job {
    Read(u32, ReadReason),
    Sweep(Sweep, u64),
}

/// The reader thread's work waiting: reads by [`Priority`] (each pid once, with the reason
/// it was last asked for more urgently), and sweeps.
struct Queue {
    reads: [VecDeque<(u32, ReadReason)>; 3],
    queued: HashSet<u32>,
    sweeps: VecDeque<(Sweep, u64)>,
    /// The time between two periodic reads, and when the next may be made.
    gap: Duration,
    next_periodic: Instant,
}

impl Queue {
    fn new(per_second: u32) -> Self {
        Self {
            reads: Default::default(),
            queued: HashSet::new(),
            sweeps: VecDeque::new(),
            gap: Duration::from_secs(1) / per_second.max(1),
            next_periodic: Instant::now(),
        }
    }

    /// How long the thread may wait for a message before it has work (None: until one).
    fn wait(&self) -> Option<Duration> {
        if !self.reads[0].is_empty() || !self.reads[1].is_empty() || !self.sweeps.is_empty() {
            Some(Duration::ZERO)
        } else if !self.reads[2].is_empty() {
            Some(self.next_periodic.saturating_duration_since(Instant::now()))
        } else {
            None
        }
    }

    fn take(&mut self, msg: Msg) {
        match msg {
            Msg::Read(tgid, reason) => self.push(tgid, reason),
            Msg::Rate(n) => self.gap = Duration::from_secs(1) / n.max(1),
            Msg::Sweep(s, started) => self.sweeps.push_back((s, started)),
        }
    }

    /// Queues a read of `tgid`; one queued already moves up when asked more urgently.
    fn push(&mut self, tgid: u32, reason: ReadReason) {
        let at = Priority::of(reason) as usize;
        if self.queued.insert(tgid) {
            self.reads[at].push_back((tgid, reason));
            return;
        }
        for lower in at + 1..self.reads.len() {
            if let Some(i) = self.reads[lower].iter().position(|&(p, _)| p == tgid) {
                self.reads[lower].remove(i);
                self.reads[at].push_back((tgid, reason));
            }
        }
    }

    /// The next job: a front read, else a sweep, else an urgent read, else a periodic one
    /// when the rate allows.
    fn next(&mut self) -> Option<Job> {
        if self.reads[0].is_empty()
            && let Some((sweep, started_ns)) = self.sweeps.pop_front()
        {
            return Some(Job::Sweep(sweep, started_ns));
        }
        let (tgid, reason) = if let Some(r) = self.reads[0].pop_front() {
            r
        } else if let Some(r) = self.reads[1].pop_front() {
            r
        } else if !self.reads[2].is_empty() && Instant::now() >= self.next_periodic {
            self.next_periodic = Instant::now() + self.gap;
            self.reads[2].pop_front()?
        } else {
            return None;
        };
        self.queued.remove(&tgid);
        Some(Job::Read(tgid, reason))
    }
}

fn serve(rx: Receiver<Msg>, out: UnboundedSender<FromProc>, per_second: u32) {
    let mut queue = Queue::new(per_second);
    loop {
        // Take every request waiting; block only when there is nothing to do.
        let first = match queue.wait() {
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(d) => rx.recv_timeout(d),
        };
        match first {
            Ok(msg) => std::iter::once(msg)
                .chain(rx.try_iter())
                .for_each(|m| queue.take(m)),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let sent = match queue.next() {
            Some(Job::Sweep(sweep, started_ns)) => {
                let result = sweep.read();
                out.send(FromProc::Swept { started_ns, result })
            }
            Some(Job::Read(tgid, reason)) => {
                let result = read_process(tgid);
                out.send(FromProc::Read(Resynced {
                    tgid,
                    reason,
                    result,
                }))
            }
            None => Ok(()),
        };
        if sent.is_err() {
            return;
        }
    }
}
