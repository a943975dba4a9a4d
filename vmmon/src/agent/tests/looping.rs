//! The owner's loop: events, reads and commands in through channels, snapshots out.

use super::*;
use crate::agent::run::{Channels, Command, run};
use crate::event::DecodeError;
use crate::source::{EventSource, KernelCounters};
use tokio::sync::{mpsc, watch};

/// An event source fed through a channel, for the owner's loop. Like the ring's reader, it
/// is ready when events come, and at least every 10 ms.
struct Channel(mpsc::UnboundedReceiver<Event>, Vec<Event>);

impl EventSource for Channel {
    async fn ready(&mut self) {
        let poll = tokio::time::sleep(std::time::Duration::from_millis(10));
        tokio::select! {
            Some(e) = self.0.recv() => self.1.push(e),
            _ = poll => {}
        }
    }

    fn drain(&mut self, f: &mut dyn FnMut(Result<Event, DecodeError>)) -> usize {
        while let Ok(e) = self.0.try_recv() {
            self.1.push(e);
        }
        let n = self.1.len();
        for e in self.1.drain(..) {
            f(Ok(e));
        }
        n
    }

    fn counters(&self) -> KernelCounters {
        KernelCounters::default()
    }

    fn sweep(&mut self) -> Option<Sweep> {
        None
    }
}

#[test]
fn the_loop_publishes_after_events_reads_and_commands() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (mut core, asked) = core(vec![10], 0);
        let (events, rx) = mpsc::unbounded_channel();
        let mut source = Channel(rx, Vec::new());
        let (results_tx, results) = mpsc::unbounded_channel();
        let (commands_tx, commands) = mpsc::channel(4);
        let (publish, mut snapshots) = watch::channel(Arc::new(Snapshot::default()));
        let mut io = Channels {
            results,
            commands,
            publish,
        };
        let (stop_tx, stop) = tokio::sync::oneshot::channel::<()>();
        let owner = async {
            run(&mut core, &mut source, &mut io, async {
                let _ = stop.await;
            })
            .await;
        };
        let driver = async {
            results_tx
                .send(FromProc::Read(read(10, MAPS, S, S + 1000)))
                .unwrap();
            events.send(mmap(10, 5 * S, 0x7f00_0000_0000, 2)).unwrap();
            let s = snapshots
                .wait_for(|s| virt(s, 10) == Some(MAPS_BYTES + 2 * P))
                .await
                .unwrap()
                .clone();
            assert_eq!(s.status.events_received, 1);
            commands_tx.send(Command::SetResyncRate(7)).await.unwrap();
            events.send(mmap(10, 6 * S, 0x7f00_1000_0000, 1)).unwrap();
            snapshots
                .wait_for(|s| virt(s, 10) == Some(MAPS_BYTES + 3 * P))
                .await
                .unwrap();
            stop_tx.send(()).unwrap();
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), async {
            tokio::join!(owner, driver);
        })
        .await
        .expect("the loop answered in time");
        assert_eq!(*asked.rates.lock().unwrap(), [7]);
        assert!(core.status().drain_gaps.count >= 2, "drains were timed");
    });
}
