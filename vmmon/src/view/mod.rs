//! The agent's data model as its readers see it: the JSON API's shapes (field names are
//! documented in the README) and the immutable [`Snapshot`] the ledger's owner publishes.
//! `/metrics`, the API, `vmmon top` and `vmmon maps` read only these. Pure.

mod events;
mod exit_sites;
mod exits;
mod process;
mod refused;
mod snapshot;
mod status;
mod tally;

pub use events::{EventLog, EventView, EventsView, RECENT_EVENTS, Recent};
pub use exit_sites::ExitSites;
pub use exits::ExitView;
pub use process::{
    InFlightView, KindBytes, ProcessView, RegionView, merge_adjacent, process_view, region_view,
};
pub use refused::{RefusedCallView, RefusedView};
pub use snapshot::{MachineTotals, Outcomes, ProcessEntry, Snapshot, SyscallTotals};
pub use status::Status;
pub use tally::{
    Counts, EXIT_BYTES_BOUNDS, Group, PublishedGroups, PublishedTally, SizeHistogram, Tally,
    TallyOptions, top_processes, unit_key,
};
