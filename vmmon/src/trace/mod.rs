//! What `vmmon trace` shows: which events pass its filters and how each is written.

mod filter;
mod json;
mod line;

pub use filter::{EventName, Filter};
pub use json::{write_json, write_json_with_site};
pub use line::{WallClock, write_call, write_line};

/// The exit of a process's last thread named `comm`, with the footprint the kernel gave:
/// started at 1 s, left at 3.5 s, peak 300 MiB virtual and 12 MiB resident, 57 mappings,
/// killed by the OOM killer.
#[cfg(test)]
pub(crate) fn last_exit(comm: &[u8]) -> crate::event::Event {
    use crate::event::{Comm, Event, Figures, Footprint, Kind, Resident};
    let mut raw = [0u8; 16];
    raw[..comm.len()].copy_from_slice(comm);
    let mut e = Event::new(
        3_500_000_000,
        10,
        10,
        Comm::new(raw),
        Kind::Exit {
            status: Some(crate::event::ExitStatus {
                wait_status: 9,
                oom_victim: true,
            }),
            group_dead: true,
            footprint: Some(Box::new(Footprint {
                start_ns: 1_000_000_000,
                resident: Resident {
                    peak_bytes: 12 << 20,
                    ..Resident::default()
                },
                ids: None,
            })),
        },
    );
    e.figures = Some(Figures {
        peak_virtual_bytes: 300 << 20,
        mappings: 57,
        ..Figures::default()
    });
    e
}
