//! A traced syscall's arguments in its man page's order and names, each with how it reads:
//! the one description of every syscall kind that the line ([`super::line`]) and the JSON
//! ([`super::json`]) both write from.

use crate::event::{Kind, Syscall};
use serde::{Serialize, Serializer};
use std::fmt;
use vmmon_common::linux::MREMAP_FIXED;

/// How an argument reads in the line (the JSON keeps every value raw, and adds the names of
/// protection bits and of mmap's and mremap's flags).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shown {
    /// An address: `NULL` or hex.
    Addr,
    /// A number in decimal.
    Dec,
    /// A number in hex (a file offset, flags without names).
    Hex,
    /// Protection bits by name.
    Prot,
    /// mmap's flags by name.
    MapFlags,
    /// mremap's flags by name.
    MremapFlags,
    /// shmat's flags by name.
    ShmFlags,
    /// madvise's advice by name, when it has one.
    Advice,
    /// prctl's option by name, when it has one.
    PrctlOption,
}

/// An argument's value as the call passed it: signed where the argument is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value {
    Unsigned(u64),
    Signed(i64),
}

impl Value {
    /// Its bits, for addresses and flags.
    pub fn bits(self) -> u64 {
        match self {
            Value::Unsigned(v) => v,
            Value::Signed(v) => v as u64,
        }
    }
}

impl From<u64> for Value {
    fn from(v: u64) -> Self {
        Value::Unsigned(v)
    }
}

impl From<u32> for Value {
    fn from(v: u32) -> Self {
        Value::Unsigned(v.into())
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Signed(v.into())
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Unsigned(v) => v.fmt(f),
            Value::Signed(v) => v.fmt(f),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match *self {
            Value::Unsigned(v) => s.serialize_u64(v),
            Value::Signed(v) => s.serialize_i64(v),
        }
    }
}

/// One argument of a traced syscall.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallArg {
    /// Its name in the man page: the JSON field.
    pub name: &'static str,
    pub value: Value,
    pub shown: Shown,
    /// Whether the line writes it (mremap's new address only with `MREMAP_FIXED`).
    pub in_line: bool,
}

/// An argument the line writes.
fn arg(name: &'static str, value: impl Into<Value>, shown: Shown) -> CallArg {
    CallArg {
        name,
        value: value.into(),
        shown,
        in_line: true,
    }
}

/// The arguments named by the event's fields (their names the JSON's), each shown as said.
macro_rules! args {
    ($($field:ident: $shown:ident),*) => {
        vec![$(arg(stringify!($field), $field, Shown::$shown)),*]
    };
}

impl CallArg {
    /// The arguments of a syscall event, in order; none for the process events.
    pub fn all(kind: &Kind) -> Vec<CallArg> {
        match *kind {
            Kind::Mmap {
                addr,
                len,
                prot,
                flags,
                fd,
                offset,
                ..
            } => args!(addr: Addr, len: Dec, prot: Prot, flags: MapFlags, fd: Dec, offset: Hex),
            Kind::Munmap { addr, len, .. } => args!(addr: Addr, len: Dec),
            Kind::Mremap {
                old_addr,
                old_len,
                new_len,
                flags,
                new_addr,
                ..
            } => {
                let mut args =
                    args!(old_addr: Addr, old_len: Dec, new_len: Dec, flags: MremapFlags);
                args.push(CallArg {
                    in_line: flags & MREMAP_FIXED != 0,
                    ..arg("new_addr", new_addr, Shown::Addr)
                });
                args
            }
            Kind::Mprotect {
                addr, len, prot, ..
            } => args!(addr: Addr, len: Dec, prot: Prot),
            Kind::PkeyMprotect {
                addr,
                len,
                prot,
                pkey,
                ..
            } => args!(addr: Addr, len: Dec, prot: Prot, pkey: Dec),
            Kind::Brk { addr, .. } | Kind::Shmdt { addr, .. } => args!(addr: Addr),
            Kind::Shmat {
                shmid, addr, flags, ..
            } => args!(shmid: Dec, addr: Addr, flags: ShmFlags),
            Kind::Adjust { call, ref args, .. } => raw_args(call, args),
            Kind::Fork { .. } | Kind::Exec { .. } | Kind::Exit { .. } | Kind::OomKill { .. } => {
                Vec::new()
            }
        }
    }
}

/// The arguments of a call kept raw ([`Kind::Adjust`]), named by [`Syscall::arg_names`]:
/// addresses in hex, advice and options by name, other flags in hex, the rest in decimal.
fn raw_args(call: Syscall, args: &[u64; 6]) -> Vec<CallArg> {
    let shown = |name: &str| match (call, name) {
        (_, "addr") | (_, "nodemask") => Shown::Addr,
        (Syscall::Madvise, "advice") => Shown::Advice,
        (Syscall::Prctl, "option") => Shown::PrctlOption,
        (_, "flags") => Shown::Hex,
        _ => Shown::Dec,
    };
    call.arg_names()
        .iter()
        .zip(args)
        .map(|(&name, &v)| arg(name, v, shown(name)))
        .collect()
}
