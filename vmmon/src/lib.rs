//! vmmon: a live, exact monitor of every process's address space, built on eBPF.
//!
//! Data flows one way: [`bpf`] loads the kernel programs and reads their ring buffer, [`event`]
//! decodes records into typed events, and the consumers ([`trace`], ...) turn them into output.
//! Everything but `bpf` is pure and tested without root.

pub mod agent;
pub mod bpf;
pub mod config;
pub mod event;
pub mod format;
pub mod ledger;
pub mod metrics;
pub mod procfs;
pub mod stats;
pub mod top;
pub mod trace;
