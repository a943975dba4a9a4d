//! vmmon: a live, exact monitor of every process's address space, built on eBPF.
//!
//! Data flows one way. The kernel programs' records reach [`bpf`]'s reader, one
//! [`source::EventSource`]; [`event`] decodes them; the [`agent`]'s core applies them to the
//! [`ledger`] and folds in [`procfs`] reads, then publishes an immutable [`view::Snapshot`];
//! [`api`], [`metrics`] and [`top`] read snapshots and never reach back into the core.
//!
//! Pure (no I/O; tested without root): [`event`], [`ledger`], [`view`], [`metrics`], [`stats`],
//! [`format`], [`profile`], the agent's [`agent::core`], [`agent::read_plan`],
//! [`agent::call_sites`] and [`agent::publish`], the parsers of [`procfs`], the state and
//! drawing of [`top`], and:
//! - [`config`] (and its call-site capture setting), but for [`config::Config::load`], which
//!   reads the file;
//! - [`trace`], but for [`trace::WallClock`], which reads the clocks and the time zone;
//! - [`source`]: the seam and its hand-fed [`source::Feed`]; a [`source::Sweep`] reads what
//!   it is given (the kernel iterator's file, or a test's bytes).
//!
//! I/O: [`bpf`] (loads programs, reads the ring), [`clock`] (reads the system's clocks),
//! [`procfs`]'s readers, [`agent::resync`]
//! (a thread reading `/proc`), [`agent::run`] and [`agent::start`] (the owner's loop and its
//! thread), [`symbolize`] (reads the mapped files to name call sites), [`api`] (HTTP
//! server), [`client`] (HTTP client), and [`top`]'s sources, terminal and [`top::users`]
//! (reads `/etc/passwd`).

pub mod access;
pub mod agent;
pub mod api;
pub mod bpf;
pub mod client;
pub mod clock;
pub mod config;
pub mod event;
#[cfg(test)]
mod fixtures;
pub mod format;
pub mod ledger;
pub mod metrics;
pub mod procfs;
pub mod profile;
pub mod server;
pub mod source;
pub mod stats;
pub mod symbolize;
pub mod top;
pub mod trace;
pub mod view;
