//! The thread that reads `/proc` for the ledger (I/O), so that nothing on the event path
//! waits on it. Requests are deduplicated per pid; urgent ones (exec, unknown process,
//! bootstrap) go first, periodic resyncs are limited to a rate.

use super::reads::{Priority, Reads, Resynced};
use crate::procfs::read_process;
use std::collections::{HashSet, VecDeque};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

enum Msg {
    Read(u32, Priority),
    Rate(u32),
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
}

impl Resyncer {
    /// Starts the thread. At most `periodic_per_second` periodic reads a second; urgent reads
    /// are not limited but each pid is read once however often it is asked for meanwhile.
    pub fn spawn(
        out: UnboundedSender<Resynced>,
        periodic_per_second: u32,
    ) -> std::io::Result<Self> {
        let (tx, rx) = channel();
        std::thread::Builder::new()
            .name("vmmon-resync".into())
            .spawn(move || serve(rx, out, periodic_per_second))?;
        Ok(Self { tx })
    }
}

fn serve(rx: Receiver<Msg>, out: UnboundedSender<Resynced>, per_second: u32) {
    let mut urgent = VecDeque::new();
    let mut periodic = VecDeque::new();
    let mut queued = HashSet::new();
    let mut gap = Duration::from_secs(1) / per_second.max(1);
    let mut next_periodic = Instant::now();
    loop {
        // Take every request waiting; block only when there is nothing to do.
        let wait = if !urgent.is_empty() {
            Some(Duration::ZERO)
        } else if !periodic.is_empty() {
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
                    };
                    if queued.insert(tgid) {
                        match prio {
                            Priority::Urgent => urgent.push_back(tgid),
                            Priority::Periodic => periodic.push_back(tgid),
                        }
                    } else if prio == Priority::Urgent
                        && let Some(i) = periodic.iter().position(|&p| p == tgid)
                    {
                        periodic.remove(i);
                        urgent.push_back(tgid);
                    }
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
        let next = if let Some(t) = urgent.pop_front() {
            Some((t, Priority::Urgent))
        } else if !periodic.is_empty() && Instant::now() >= next_periodic {
            next_periodic = Instant::now() + gap;
            periodic.pop_front().map(|t| (t, Priority::Periodic))
        } else {
            None
        };
        if let Some((tgid, priority)) = next {
            queued.remove(&tgid);
            let result = read_process(tgid);
            if out
                .send(Resynced {
                    tgid,
                    priority,
                    result,
                })
                .is_err()
            {
                return;
            }
        }
    }
}
