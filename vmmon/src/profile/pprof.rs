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
mod tests {
    use super::*;
    use crate::ledger::{Origin, Perms, Region, RegionKind, RegionMap};
    use crate::symbolize::{Marker, SiteView};

    fn text_region(start: u64, path: &str) -> Region {
        let mut r = Region::new(
            start,
            start + 0x4000,
            Perms::parse("r-xp").unwrap(),
            RegionKind::File,
            Origin::Procfs,
        );
        r.path = Some(path.into());
        r.offset = 0x1000;
        r
    }

    fn frame(address: u64, module: &str, function: Option<&str>) -> Frame {
        Frame {
            address,
            module: Some(module.into()),
            build_id: Some("abcd".into()),
            offset: Some(address - 0x10000 + 0x1000),
            function: function.map(str::to_string),
            function_offset: function.map(|_| 1),
            marker: function.is_none().then_some(Marker::NoSymbols),
        }
    }

    fn strings(p: &Profile, i: i64) -> &str {
        &p.string_table[i as usize]
    }

    #[test]
    fn a_profile_round_trips_with_its_sample_types_mappings_functions_and_labels() {
        let regions: RegionMap = [text_region(0x10000, "/usr/bin/app")]
            .into_iter()
            .map(|r| (r.start, r))
            .collect();
        let sites = vec![
            SiteView {
                site: Some("aa".into()),
                bytes: 5 << 20,
                regions: 1,
                frames: vec![
                    frame(0x10010, "/usr/bin/app", Some("grow")),
                    frame(0x10020, "/usr/bin/app", Some("main")),
                ],
            },
            // Unnamed: an address in its module, for pprof to symbolize later.
            SiteView {
                site: Some("bb".into()),
                bytes: 3 << 20,
                regions: 2,
                frames: vec![frame(0x10030, "/usr/bin/app", None)],
            },
            SiteView {
                site: None,
                bytes: 1 << 20,
                regions: 7,
                frames: Vec::new(),
            },
        ];
        let mut b = PprofBuilder::new();
        b.add(&ProcessProfile {
            pid: 42,
            comm: "app",
            unit: Some("app.service"),
            regions: Some(&regions),
            sites: &sites,
        });
        let bytes = encode_pprof(&b.finish(1_700_000_000_000_000_000));
        assert_eq!(&bytes[..2], [0x1f, 0x8b], "gzipped");
        let p = decode_pprof(&bytes).unwrap();
        let types: Vec<(&str, &str)> = p
            .sample_type
            .iter()
            .map(|t| (strings(&p, t.ty), strings(&p, t.unit)))
            .collect();
        assert_eq!(
            types,
            [("inuse_objects", "count"), ("inuse_space", "bytes")]
        );
        assert_eq!(strings(&p, p.default_sample_type), "inuse_space");
        assert_eq!(p.string_table[0], "");
        let values: Vec<Vec<i64>> = p.sample.iter().map(|s| s.value.clone()).collect();
        assert_eq!(
            values,
            [vec![1, 5 << 20], vec![2, 3 << 20], vec![7, 1 << 20]]
        );
        // One mapping, as the kernel had it.
        assert_eq!(p.mapping.len(), 1);
        let m = &p.mapping[0];
        assert_eq!(
            (m.memory_start, m.memory_limit, m.file_offset),
            (0x10000, 0x14000, 0x1000)
        );
        assert_eq!(strings(&p, m.filename), "/usr/bin/app");
        assert_eq!(strings(&p, m.build_id), "abcd");
        assert!(m.has_functions);
        // The leaf first; named frames have a function, the unnamed one an address only.
        let loc = |id: u64| &p.location[id as usize - 1];
        let fname = |l: &Location| {
            l.line
                .first()
                .map(|line| strings(&p, p.function[line.function_id as usize - 1].name))
        };
        let first: Vec<Option<&str>> = p.sample[0]
            .location_id
            .iter()
            .map(|&id| fname(loc(id)))
            .collect();
        assert_eq!(first, [Some("grow"), Some("main")]);
        let unnamed = loc(p.sample[1].location_id[0]);
        assert_eq!(
            (unnamed.address, unnamed.mapping_id, fname(unnamed)),
            (0x10030, 1, None)
        );
        let rest = loc(p.sample[2].location_id[0]);
        assert_eq!(fname(rest), Some(NO_CAPTURED_CALL));
        let labels: Vec<(&str, &str)> = p.sample[0]
            .label
            .iter()
            .map(|l| (strings(&p, l.key), strings(&p, l.str)))
            .collect();
        assert_eq!(
            labels,
            [("pid", "42"), ("comm", "app"), ("unit", "app.service")]
        );
        assert_eq!(p.time_nanos, 1_700_000_000_000_000_000);
    }

    #[test]
    fn an_empty_profile_is_still_one_pprof_reads() {
        let p = decode_pprof(&encode_pprof(&PprofBuilder::new().finish(0))).unwrap();
        assert!(p.sample.is_empty() && p.location.is_empty());
        assert_eq!(p.sample_type.len(), 2);
        assert!(decode_pprof(b"not gzip").unwrap_err().contains("not gzip"));
    }

    #[test]
    fn a_deleted_module_keeps_its_name_and_a_frame_in_no_mapping_its_address() {
        let mut r = text_region(0x10000, "/opt/plugin.so (deleted)");
        r.kind = RegionKind::DeletedFile;
        let regions: RegionMap = [(r.start, r)].into_iter().collect();
        let mut gone = frame(0x90000, "?", None);
        gone.module = None;
        gone.marker = Some(Marker::Gone);
        let sites = vec![SiteView {
            site: Some("cc".into()),
            bytes: 4096,
            regions: 1,
            frames: vec![frame(0x10010, "/opt/plugin.so (deleted)", None), gone],
        }];
        let mut b = PprofBuilder::new();
        b.add(&ProcessProfile {
            pid: 7,
            comm: "x",
            unit: None,
            regions: Some(&regions),
            sites: &sites,
        });
        let p = decode_pprof(&encode_pprof(&b.finish(0))).unwrap();
        assert_eq!(
            strings(&p, p.mapping[0].filename),
            "/opt/plugin.so (deleted)"
        );
        assert!(!p.mapping[0].has_functions);
        let ids = &p.sample[0].location_id;
        let outer = &p.location[ids[1] as usize - 1];
        assert_eq!(
            (outer.address, outer.mapping_id),
            (0x90000, 0),
            "in no mapping"
        );
        assert_eq!(p.sample[0].label.len(), 2, "no unit label when unknown");
    }
}
