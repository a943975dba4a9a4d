//! `vmmon top`: the live terminal view of who is growing, how fast, and how.
//!
//! The state ([`app`], [`table`]), the columns and the drawing ([`view`], [`detail`], [`exits`]) are pure
//! and tested with ratatui's `TestBackend`; [`source`] gets samples from the agent's API or
//! from an in-process pipeline; [`terminal`] owns the real terminal.

pub mod app;
pub mod columns;
pub mod detail;
pub mod exits;
pub mod plain;
pub mod source;
pub mod table;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod users;
pub mod view;

#[cfg(test)]
mod tests;

pub use app::App;
pub use columns::Column;
