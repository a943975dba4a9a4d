//! Prometheus exposition of the ledger (rendered with the `prometheus` crate). Pure: the
//! figures in, the text out.

mod render;

pub use render::{MachineTotals, MetricsInput, MetricsOptions, ProcessFigures, render};
