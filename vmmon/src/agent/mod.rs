//! `vmmon agent`: the pipeline, the ledger's owner, the resync thread and the API.

pub mod api;
pub mod core;
pub mod recent;
pub mod resync;
pub mod view;

pub use self::core::{Core, CoreOptions, Query, Status};
