//! Figures over time, derived from the ledger's per-second samples. Pure.

mod growth;

pub use growth::Growth;
