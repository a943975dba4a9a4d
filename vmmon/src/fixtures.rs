//! Values the unit tests of several modules build on (test builds only).

use crate::event::{Comm, Event, Figures, Footprint, Kind, Resident};
use crate::ledger::CallCounts;
use crate::ledger::PermBytes;
use crate::top::App;
use crate::top::columns::Column;
use crate::top::table::Sample;
use crate::view::{KindBytes, ProcessView, Status};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A process of `virt` anonymous bytes in 3 mappings, with `mmaps` mmap calls (for tests).
pub(crate) fn test_view(pid: u32, comm: &str, virt: u64, mmaps: u64) -> ProcessView {
    ProcessView {
        pid,
        comm: comm.into(),
        uid: Some(0),
        unit: Some(format!("{comm}.service")),
        virtual_bytes: virt,
        peak_virtual_bytes: virt,
        mapping_count: 3,
        exact: Some(true),
        resident_bytes: None,
        resident: None,
        heap_bytes: 0,
        bytes_by_kind: KindBytes {
            anon: virt,
            ..KindBytes::default()
        },
        mappings_by_kind: KindBytes {
            anon: 3,
            ..KindBytes::default()
        },
        bytes_by_perm: PermBytes::default(),
        wx_bytes: 0,
        mapped_bytes: virt,
        unmapped_bytes: 0,
        protected_bytes: 0,
        calls: CallCounts {
            mmap: mmaps,
            ..CallCounts::default()
        },
        growth_bytes_per_second: 0,
        growth_bytes: 0,
        in_flight: None,
        refused: None,
    }
}

/// The exit of a process's last thread named `comm`, with the footprint the kernel gave:
/// started at 1 s, left at 3.5 s, peak 300 MiB virtual and 12 MiB resident, 57 mappings,
/// killed by the OOM killer.
pub(crate) fn last_exit(comm: &[u8]) -> crate::event::Event {
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

pub(crate) fn key(c: KeyCode) -> KeyEvent {
    KeyEvent::new(c, KeyModifiers::NONE)
}

pub(crate) fn app_with(views: Vec<crate::view::ProcessView>) -> App {
    let mut app = App::new("test".into(), Column::GrowthRate, 1.0, false);
    app.update(sample(1.0, 0, views), &mut |_| "root".into());
    app
}

pub(crate) fn view(pid: u32, comm: &str, virt: u64, mmaps: u64) -> ProcessView {
    test_view(pid, comm, virt, mmaps)
}

pub(crate) fn sample(at: f64, events: u64, processes: Vec<ProcessView>) -> Sample {
    let status = Status {
        events_received: events,
        growth_window_seconds: 60,
        ..Status::default()
    };
    Sample {
        at,
        processes,
        status,
    }
}
