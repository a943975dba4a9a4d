//! pprof's `profile.proto` (the messages the `pprof` crate ships, prost-encoded), as a heap
//! profile of what call sites still hold: sample types `inuse_objects`/`count` (mappings) and
//! `inuse_space`/`bytes`, `inuse_space` by default. Each frame is a location in its mapping
//! (module path, build id, range and file offset), with its function where the agent named
//! it; an unnamed frame stays an address in its module, so that `pprof`'s own symbolization can
//! name it later. Samples carry `pid`, `comm` and `unit` labels.

use super::{NO_CAPTURED_CALL, ProcessProfile};
use crate::ledger::region_at;
use crate::symbolize::Frame;
use ::pprof::protos::{
    Function, Label, Line, Location, Mapping, Message as _, Profile, Sample, ValueType,
};
use std::collections::HashMap;
use std::io::{Read as _, Write as _};

/// Builds one profile from the call sites of any number of processes.
pub struct PprofBuilder {
    profile: Profile,
    strings: HashMap<String, i64>,
    /// By process and the mapping's start.
    mappings: HashMap<(u32, u64), u64>,
    /// By process and address (0: the bytes of no captured call).
    locations: HashMap<(u32, u64), u64>,
    /// By name.
    functions: HashMap<String, u64>,
}

impl Default for PprofBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl PprofBuilder {
    /// An empty heap profile: its sample types, and the empty string first in its table.
    pub fn new() -> Self {
        let mut b = Self {
            profile: Profile::default(),
            strings: HashMap::new(),
            mappings: HashMap::new(),
            locations: HashMap::new(),
            functions: HashMap::new(),
        };
        b.string("");
        let objects = b.value_type("inuse_objects", "count");
        let space = b.value_type("inuse_space", "bytes");
        b.profile.sample_type = vec![objects, space];
        b.profile.default_sample_type = b.string("inuse_space");
        let comment = b.string("vmmon: bytes still mapped, by the call site that mapped them");
        b.profile.comment = vec![comment];
        b
    }

    fn string(&mut self, s: &str) -> i64 {
        if let Some(&i) = self.strings.get(s) {
            return i;
        }
        let i = self.profile.string_table.len() as i64;
        self.profile.string_table.push(s.to_string());
        self.strings.insert(s.to_string(), i);
        i
    }

    fn value_type(&mut self, kind: &str, unit: &str) -> ValueType {
        ValueType {
            ty: self.string(kind),
            unit: self.string(unit),
        }
    }

    fn label(&mut self, key: &str, value: &str) -> Label {
        Label {
            key: self.string(key),
            str: self.string(value),
            ..Label::default()
        }
    }

    /// Adds a process's sites: a sample each, valued in mappings and bytes.
    pub fn add(&mut self, p: &ProcessProfile<'_>) {
        let mut labels = vec![
            self.label("pid", &p.pid.to_string()),
            self.label("comm", p.comm),
        ];
        if let Some(unit) = p.unit {
            labels.push(self.label("unit", unit));
        }
        for s in p.sites.iter().filter(|s| s.bytes > 0) {
            let location_id = if s.site.is_none() || s.frames.is_empty() {
                vec![self.no_captured_call(p.pid)]
            } else {
                // The leaf first, as the frames are.
                s.frames.iter().map(|f| self.location(p, f)).collect()
            };
            self.profile.sample.push(Sample {
                location_id,
                value: vec![s.regions as i64, s.bytes as i64],
                label: labels.clone(),
            });
        }
    }

    /// The location of the bytes no captured call made, in process `pid`.
    fn no_captured_call(&mut self, pid: u32) -> u64 {
        if let Some(&id) = self.locations.get(&(pid, 0)) {
            return id;
        }
        let function_id = self.function(NO_CAPTURED_CALL);
        let id = self.profile.location.len() as u64 + 1;
        self.profile.location.push(Location {
            id,
            line: vec![Line {
                function_id,
                ..Line::default()
            }],
            ..Location::default()
        });
        self.locations.insert((pid, 0), id);
        id
    }

    /// The location of frame `f` of process `p`.
    fn location(&mut self, p: &ProcessProfile<'_>, f: &Frame) -> u64 {
        if let Some(&id) = self.locations.get(&(p.pid, f.address)) {
            return id;
        }
        let mapping_id = self.mapping(p, f);
        let line = match &f.function {
            Some(name) => vec![Line {
                function_id: self.function(name),
                ..Line::default()
            }],
            None => Vec::new(),
        };
        let id = self.profile.location.len() as u64 + 1;
        self.profile.location.push(Location {
            id,
            mapping_id,
            address: f.address,
            line,
            ..Location::default()
        });
        self.locations.insert((p.pid, f.address), id);
        id
    }

    /// The mapping frame `f` is in (0 when no mapping of the process holds it), as the
    /// kernel had it: its range and file offset, the module the agent named, its build id.
    fn mapping(&mut self, p: &ProcessProfile<'_>, f: &Frame) -> u64 {
        let Some(r) = p.regions.and_then(|m| region_at(m, f.address)) else {
            return 0;
        };
        if let Some(&id) = self.mappings.get(&(p.pid, r.start)) {
            if f.function.is_some() {
                self.profile.mapping[id as usize - 1].has_functions = true;
            }
            return id;
        }
        let module = f
            .module
            .clone()
            .or_else(|| r.path.as_deref().map(str::to_string))
            .unwrap_or_default();
        let id = self.profile.mapping.len() as u64 + 1;
        let mapping = Mapping {
            id,
            memory_start: r.start,
            memory_limit: r.end,
            file_offset: r.offset,
            filename: self.string(&module),
            build_id: self.string(f.build_id.as_deref().unwrap_or("")),
            has_functions: f.function.is_some(),
            ..Mapping::default()
        };
        self.profile.mapping.push(mapping);
        self.mappings.insert((p.pid, r.start), id);
        id
    }

    fn function(&mut self, name: &str) -> u64 {
        if let Some(&id) = self.functions.get(name) {
            return id;
        }
        let id = self.profile.function.len() as u64 + 1;
        let name_id = self.string(name);
        self.profile.function.push(Function {
            id,
            name: name_id,
            system_name: name_id,
            ..Function::default()
        });
        self.functions.insert(name.to_string(), id);
        id
    }

    /// The profile, stamped with `time_nanos` (wall clock, ns since the epoch).
    pub fn finish(mut self, time_nanos: i64) -> Profile {
        self.profile.time_nanos = time_nanos;
        self.profile
    }
}

/// The profile as pprof stores it: the encoded message, gzipped.
pub fn encode_pprof(profile: &Profile) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&profile.encode_to_vec())
        .expect("writing to memory");
    gz.finish().expect("writing to memory")
}

/// A gzipped profile read back (tests, and a check of what was written).
pub fn decode_pprof(bytes: &[u8]) -> Result<Profile, String> {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut raw)
        .map_err(|e| format!("not gzip: {e}"))?;
    Profile::decode(raw.as_slice()).map_err(|e| format!("not a profile: {e}"))
}

#[cfg(test)]
mod tests;
