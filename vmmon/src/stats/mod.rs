//! Figures over time, derived from the ledger's per-second samples, and duration histograms
//! (with what every histogram gives Prometheus). Pure.

mod growth;
mod histogram;

pub use growth::Growth;
pub use histogram::{BOUNDS_MS, Bucket, Cumulative, Histogram};
