//! Shared pieces of vmmon's integration tests: the workload's log format, raw syscalls, and
//! helpers that run the real pipeline around a workload.

pub mod agent;
pub mod collect;
pub mod exact;
pub mod log;
pub mod output;
pub mod sys;
pub mod tmux;
