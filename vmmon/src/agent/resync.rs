//! The thread that reads `/proc` for the ledger (I/O), so that nothing on the event path
//! waits on it: processes' maps and the sweeps of every process's figures. Requests are
//! deduplicated per pid; targeted ones (a ledger found wrong) go first, then urgent ones
//! (exec, unknown process, bootstrap), then sweeps; periodic resyncs are limited to a rate.

use super::reads::{FromProc, Priority, Reads, Resynced};
use crate::procfs::read_process;
use crate::source::Sweep;
use std::collections::{HashSet, VecDeque};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

enum Msg {
    Read(u32, Priority),
    Rate(u32),
    Sweep(Sweep, u64),
}

/// The requesting end of the reader thread.
#[derive(Clone)]
pub struct Resyncer {
    tx: Sender<Msg>,
}

impl Reads for Resyncer {
    fn request(&self, tgid: u32, priority: Priority) {
        let _ = self.tx.send(Msg::Read(tgid, priority));
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

fn serve(rx: Receiver<Msg>, out: UnboundedSender<FromProc>, per_second: u32) {
    // By priority: front, urgent, periodic.
    let mut queues: [VecDeque<u32>; 3] = Default::default();
    let mut sweeps: VecDeque<(Sweep, u64)> = VecDeque::new();
    let mut queued = HashSet::new();
    let mut gap = Duration::from_secs(1) / per_second.max(1);
    let mut next_periodic = Instant::now();
    loop {
        // Take every request waiting; block only when there is nothing to do.
        let wait = if !queues[0].is_empty() || !queues[1].is_empty() || !sweeps.is_empty() {
            Some(Duration::ZERO)
        } else if !queues[2].is_empty() {
            Some(next_periodic.saturating_duration_since(Instant::now()))
        } else {
            None
        };
        let first = match wait {
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
            Some(d) => rx.recv_timeout(d),
        };
        match first {
            Ok(msg) => {
                for msg in std::iter::once(msg).chain(rx.try_iter()) {
                    let (tgid, prio) = match msg {
                        Msg::Read(tgid, prio) => (tgid, prio),
                        Msg::Rate(n) => {
                            gap = Duration::from_secs(1) / n.max(1);
                            continue;
                        }
                        Msg::Sweep(s, started) => {
                            sweeps.push_back((s, started));
                            continue;
                        }
                    };
                    let at = prio as usize;
                    if queued.insert(tgid) {
                        queues[at].push_back(tgid);
                    } else {
                        // Asked again more urgently: move it up.
                        for lower in at + 1..queues.len() {
                            if let Some(i) = queues[lower].iter().position(|&p| p == tgid) {
                                queues[lower].remove(i);
                                queues[at].push_back(tgid);
                            }
                        }
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        if queues[0].is_empty()
            && let Some((sweep, started_ns)) = sweeps.pop_front()
        {
            let result = sweep.read();
            if out.send(FromProc::Swept { started_ns, result }).is_err() {
                return;
            }
            continue;
        }
        let next = if let Some(t) = queues[0].pop_front() {
            Some((t, Priority::Front))
        } else if let Some(t) = queues[1].pop_front() {
            Some((t, Priority::Urgent))
        } else if !queues[2].is_empty() && Instant::now() >= next_periodic {
            next_periodic = Instant::now() + gap;
            queues[2].pop_front().map(|t| (t, Priority::Periodic))
        } else {
            None
        };
        if let Some((tgid, priority)) = next {
            queued.remove(&tgid);
            let result = read_process(tgid);
            if out
                .send(FromProc::Read(Resynced {
                    tgid,
                    priority,
                    result,
                }))
                .is_err()
            {
                return;
            }
        }
    }
}
