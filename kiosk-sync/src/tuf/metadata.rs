//! TUF metadata documents: parsing (strict on what the specification
//! defines, tolerant of extra fields, which stay in the signed bytes) and
//! the signature envelope.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::{Map, Value};

use super::TufError;
use super::canonical::to_canonical;
use super::keys::PublicKey;

/// The four top-level roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopRole {
    Root,
    Timestamp,
    Snapshot,
    Targets,
}

impl TopRole {
    pub fn name(self) -> &'static str {
        match self {
            TopRole::Root => "root",
            TopRole::Timestamp => "timestamp",
            TopRole::Snapshot => "snapshot",
            TopRole::Targets => "targets",
        }
    }
}

/// One entry of the `signatures` list.
#[derive(Debug, Clone)]
pub struct Signature {
    pub keyid: String,
    pub sig: String,
}

/// A metadata file as received: its `signed` part, the canonical bytes the
/// signatures cover, and the signatures.
#[derive(Debug, Clone)]
pub struct Envelope {
    pub signed: Value,
    pub canonical_signed: Vec<u8>,
    pub signatures: Vec<Signature>,
}

impl Envelope {
    /// Parse the outer `{"signed": .., "signatures": [..]}` form. A key id
    /// that signs twice is refused outright: it could only be an attempt to
    /// count one key twice towards a threshold.
    pub fn parse(bytes: &[u8], what: &str) -> Result<Envelope, TufError> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| TufError::Format(format!("{what}: not valid JSON: {e}")))?;
        let obj = value
            .as_object()
            .ok_or_else(|| TufError::Format(format!("{what}: top level is not an object")))?;
        let signed = obj
            .get("signed")
            .filter(|v| v.is_object())
            .cloned()
            .ok_or_else(|| TufError::Format(format!("{what}: missing object \"signed\"")))?;
        let sigs = obj
            .get("signatures")
            .and_then(Value::as_array)
            .ok_or_else(|| TufError::Format(format!("{what}: missing list \"signatures\"")))?;
        let mut signatures = Vec::with_capacity(sigs.len());
        let mut seen = HashSet::new();
        for (i, s) in sigs.iter().enumerate() {
            let keyid = s.get("keyid").and_then(Value::as_str);
            let sig = s.get("sig").and_then(Value::as_str);
            let (Some(keyid), Some(sig)) = (keyid, sig) else {
                return Err(TufError::Format(format!(
                    "{what}: signatures[{i}] needs string fields \"keyid\" and \"sig\""
                )));
            };
            if !seen.insert(keyid.to_string()) {
                return Err(TufError::Format(format!(
                    "{what}: key id {keyid} signs more than once; one key counts once towards a threshold"
                )));
            }
            signatures.push(Signature {
                keyid: keyid.to_string(),
                sig: sig.to_string(),
            });
        }
        let canonical_signed = to_canonical(&signed)?;
        Ok(Envelope {
            signed,
            canonical_signed,
            signatures,
        })
    }
}

/// Keys and threshold a role must meet.
#[derive(Debug, Clone)]
pub struct RoleKeys {
    pub keyids: Vec<String>,
    pub threshold: u64,
}

/// Fields every role's `signed` part has.
#[derive(Debug, Clone)]
pub struct Common {
    pub version: u64,
    pub expires: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Root {
    pub common: Common,
    pub consistent_snapshot: bool,
    pub keys: BTreeMap<String, PublicKey>,
    pub roles: BTreeMap<String, RoleKeys>,
}

impl Root {
    pub fn role(&self, role: TopRole) -> Result<&RoleKeys, TufError> {
        self.roles
            .get(role.name())
            .ok_or_else(|| TufError::Format(format!("root.json: roles has no \"{}\"", role.name())))
    }
}

/// A `meta` entry in timestamp or snapshot.
#[derive(Debug, Clone)]
pub struct MetaFile {
    pub version: u64,
    pub length: Option<u64>,
    pub hashes: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone)]
pub struct Timestamp {
    pub common: Common,
    pub snapshot_meta: MetaFile,
}

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub common: Common,
    pub meta: BTreeMap<String, MetaFile>,
}

#[derive(Debug, Clone)]
pub struct TargetFile {
    pub length: u64,
    pub hashes: BTreeMap<String, String>,
    pub custom: Option<Value>,
}

#[derive(Debug, Clone)]
pub struct DelegatedRole {
    pub name: String,
    pub keys: RoleKeys,
    pub terminating: bool,
    pub paths: Option<Vec<String>>,
    pub path_hash_prefixes: Option<Vec<String>>,
}

/// Hash-bin delegation (TAP 15): target paths are spread over
/// `2^bit_length` roles by the leading bits of their sha256.
#[derive(Debug, Clone)]
pub struct SuccinctRoles {
    pub keys: RoleKeys,
    pub bit_length: u32,
    pub name_prefix: String,
}

#[derive(Debug, Clone)]
pub struct Delegations {
    pub keys: BTreeMap<String, PublicKey>,
    pub roles: Vec<DelegatedRole>,
    pub succinct: Option<SuccinctRoles>,
}

#[derive(Debug, Clone)]
pub struct Targets {
    pub common: Common,
    pub targets: BTreeMap<String, TargetFile>,
    pub delegations: Option<Delegations>,
}

fn obj<'a>(v: &'a Value, what: &str) -> Result<&'a Map<String, Value>, TufError> {
    v.as_object()
        .ok_or_else(|| TufError::Format(format!("{what}: expected an object")))
}

fn get<'a>(m: &'a Map<String, Value>, key: &str, what: &str) -> Result<&'a Value, TufError> {
    m.get(key)
        .ok_or_else(|| TufError::Format(format!("{what}: missing field \"{key}\"")))
}

fn get_u64(m: &Map<String, Value>, key: &str, what: &str) -> Result<u64, TufError> {
    get(m, key, what)?
        .as_u64()
        .ok_or_else(|| TufError::Format(format!("{what}.{key}: expected a non-negative integer")))
}

fn get_str<'a>(m: &'a Map<String, Value>, key: &str, what: &str) -> Result<&'a str, TufError> {
    get(m, key, what)?
        .as_str()
        .ok_or_else(|| TufError::Format(format!("{what}.{key}: expected a string")))
}

fn parse_common(signed: &Value, expected_type: &str, what: &str) -> Result<Common, TufError> {
    let m = obj(signed, what)?;
    let ty = get_str(m, "_type", what)?;
    if ty != expected_type {
        return Err(TufError::Format(format!(
            "{what}: _type is \"{ty}\", expected \"{expected_type}\""
        )));
    }
    let spec = get_str(m, "spec_version", what)?;
    let parts: Vec<&str> = spec.split('.').collect();
    if parts.len() < 2 || parts.len() > 3 || parts.iter().any(|p| p.parse::<u64>().is_err()) {
        return Err(TufError::Format(format!(
            "{what}: spec_version \"{spec}\" is not X.Y.Z"
        )));
    }
    if parts[0] != "1" {
        return Err(TufError::Format(format!(
            "{what}: spec_version {spec} is not supported (this client implements 1.x); update kiosk-sync"
        )));
    }
    let version = get_u64(m, "version", what)?;
    if version == 0 {
        return Err(TufError::Format(format!(
            "{what}: version must be at least 1"
        )));
    }
    let expires = parse_time(get_str(m, "expires", what)?, &format!("{what}.expires"))?;
    Ok(Common { version, expires })
}

/// TUF times are `YYYY-MM-DDTHH:MM:SSZ`, UTC.
pub fn parse_time(s: &str, what: &str) -> Result<DateTime<Utc>, TufError> {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%SZ")
        .map(|n| n.and_utc())
        .map_err(|e| TufError::Format(format!("{what}: \"{s}\" is not YYYY-MM-DDTHH:MM:SSZ ({e})")))
}

pub fn format_time(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn parse_keys(v: &Value, what: &str) -> Result<BTreeMap<String, PublicKey>, TufError> {
    let mut keys = BTreeMap::new();
    for (keyid, key) in obj(v, what)? {
        let kw = format!("{what}.{keyid}");
        // Key material this client cannot read makes the key useless, not
        // the whole document: it simply never verifies.
        let parsed = match PublicKey::from_json(key, &kw) {
            Ok(k) => k,
            Err(e) => {
                let m = obj(key, &kw)?;
                get_str(m, "keytype", &kw)?;
                get_str(m, "scheme", &kw)?;
                tracing::warn!("{e}");
                PublicKey::Unsupported {
                    keytype: "unreadable".into(),
                    scheme: e.to_string(),
                }
            }
        };
        keys.insert(keyid.clone(), parsed);
    }
    Ok(keys)
}

fn parse_role_keys(m: &Map<String, Value>, what: &str) -> Result<RoleKeys, TufError> {
    let ids = get(m, "keyids", what)?
        .as_array()
        .ok_or_else(|| TufError::Format(format!("{what}.keyids: expected a list")))?;
    let mut keyids = Vec::with_capacity(ids.len());
    let mut seen = HashSet::new();
    for id in ids {
        let id = id
            .as_str()
            .ok_or_else(|| TufError::Format(format!("{what}.keyids: expected strings")))?;
        if !seen.insert(id) {
            return Err(TufError::Format(format!(
                "{what}.keyids: key id {id} is listed twice; each key may count once"
            )));
        }
        keyids.push(id.to_string());
    }
    let threshold = get_u64(m, "threshold", what)?;
    if threshold == 0 {
        return Err(TufError::Format(format!(
            "{what}.threshold must be at least 1"
        )));
    }
    Ok(RoleKeys { keyids, threshold })
}

pub fn parse_root(signed: &Value, what: &str) -> Result<Root, TufError> {
    let common = parse_common(signed, "root", what)?;
    let m = obj(signed, what)?;
    let consistent_snapshot = match m.get("consistent_snapshot") {
        None => false,
        Some(v) => v.as_bool().ok_or_else(|| {
            TufError::Format(format!(
                "{what}.consistent_snapshot: expected true or false"
            ))
        })?,
    };
    let keys = parse_keys(get(m, "keys", what)?, &format!("{what}.keys"))?;
    let mut roles = BTreeMap::new();
    for (name, r) in obj(get(m, "roles", what)?, what)? {
        let rw = format!("{what}.roles.{name}");
        roles.insert(name.clone(), parse_role_keys(obj(r, &rw)?, &rw)?);
    }
    for role in ["root", "timestamp", "snapshot", "targets"] {
        if !roles.contains_key(role) {
            return Err(TufError::Format(format!(
                "{what}.roles: missing role \"{role}\""
            )));
        }
    }
    Ok(Root {
        common,
        consistent_snapshot,
        keys,
        roles,
    })
}

fn parse_hashes(v: &Value, what: &str) -> Result<BTreeMap<String, String>, TufError> {
    let mut out = BTreeMap::new();
    for (alg, h) in obj(v, what)? {
        let h = h
            .as_str()
            .ok_or_else(|| TufError::Format(format!("{what}.{alg}: expected a hex string")))?;
        out.insert(alg.clone(), h.to_string());
    }
    if out.is_empty() {
        return Err(TufError::Format(format!("{what}: no hashes")));
    }
    Ok(out)
}

fn parse_meta_file(v: &Value, what: &str) -> Result<MetaFile, TufError> {
    let m = obj(v, what)?;
    let version = get_u64(m, "version", what)?;
    if version == 0 {
        return Err(TufError::Format(format!(
            "{what}.version must be at least 1"
        )));
    }
    let length = match m.get("length") {
        None => None,
        Some(l) => Some(l.as_u64().filter(|&l| l > 0).ok_or_else(|| {
            TufError::Format(format!("{what}.length: expected a positive integer"))
        })?),
    };
    let hashes = match m.get("hashes") {
        None => None,
        Some(h) => Some(parse_hashes(h, &format!("{what}.hashes"))?),
    };
    Ok(MetaFile {
        version,
        length,
        hashes,
    })
}

pub fn parse_timestamp(signed: &Value, what: &str) -> Result<Timestamp, TufError> {
    let common = parse_common(signed, "timestamp", what)?;
    let m = obj(signed, what)?;
    let meta = obj(get(m, "meta", what)?, what)?;
    let snap = meta
        .get("snapshot.json")
        .ok_or_else(|| TufError::Format(format!("{what}.meta: missing \"snapshot.json\"")))?;
    Ok(Timestamp {
        common,
        snapshot_meta: parse_meta_file(snap, &format!("{what}.meta.snapshot.json"))?,
    })
}

pub fn parse_snapshot(signed: &Value, what: &str) -> Result<Snapshot, TufError> {
    let common = parse_common(signed, "snapshot", what)?;
    let m = obj(signed, what)?;
    let mut meta = BTreeMap::new();
    for (name, mf) in obj(get(m, "meta", what)?, what)? {
        meta.insert(
            name.clone(),
            parse_meta_file(mf, &format!("{what}.meta.{name}"))?,
        );
    }
    Ok(Snapshot { common, meta })
}

pub fn parse_targets(signed: &Value, what: &str) -> Result<Targets, TufError> {
    let common = parse_common(signed, "targets", what)?;
    let m = obj(signed, what)?;
    let mut targets = BTreeMap::new();
    for (path, t) in obj(get(m, "targets", what)?, what)? {
        let tw = format!("{what}.targets.{path}");
        let tm = obj(t, &tw)?;
        targets.insert(
            path.clone(),
            TargetFile {
                length: get_u64(tm, "length", &tw)?,
                hashes: parse_hashes(get(tm, "hashes", &tw)?, &format!("{tw}.hashes"))?,
                custom: tm.get("custom").cloned(),
            },
        );
    }
    let delegations = match m.get("delegations") {
        None => None,
        Some(d) => Some(parse_delegations(d, &format!("{what}.delegations"))?),
    };
    Ok(Targets {
        common,
        targets,
        delegations,
    })
}

fn parse_delegations(v: &Value, what: &str) -> Result<Delegations, TufError> {
    let m = obj(v, what)?;
    let keys = parse_keys(get(m, "keys", what)?, &format!("{what}.keys"))?;
    let mut roles = Vec::new();
    let mut succinct = None;
    match (m.get("roles"), m.get("succinct_roles")) {
        (Some(_), Some(_)) => {
            return Err(TufError::Format(format!(
                "{what}: has both roles and succinct_roles; use one"
            )));
        }
        (None, None) => {
            return Err(TufError::Format(format!(
                "{what}: needs roles or succinct_roles"
            )));
        }
        (Some(list), None) => {
            let list = list
                .as_array()
                .ok_or_else(|| TufError::Format(format!("{what}.roles: expected a list")))?;
            let mut names = HashSet::new();
            for (i, r) in list.iter().enumerate() {
                let rw = format!("{what}.roles[{i}]");
                let rm = obj(r, &rw)?;
                let name = get_str(rm, "name", &rw)?.to_string();
                if !names.insert(name.clone()) {
                    return Err(TufError::Format(format!(
                        "{what}.roles: role \"{name}\" is delegated twice"
                    )));
                }
                let terminating = get(rm, "terminating", &rw)?.as_bool().ok_or_else(|| {
                    TufError::Format(format!("{rw}.terminating: expected true/false"))
                })?;
                let strings = |key: &str| -> Result<Option<Vec<String>>, TufError> {
                    match rm.get(key) {
                        None => Ok(None),
                        Some(v) => v
                            .as_array()
                            .and_then(|a| {
                                a.iter()
                                    .map(|s| s.as_str().map(str::to_string))
                                    .collect::<Option<Vec<_>>>()
                            })
                            .map(Some)
                            .ok_or_else(|| {
                                TufError::Format(format!("{rw}.{key}: expected a list of strings"))
                            }),
                    }
                };
                let paths = strings("paths")?;
                let path_hash_prefixes = strings("path_hash_prefixes")?;
                if paths.is_some() && path_hash_prefixes.is_some() {
                    return Err(TufError::Format(format!(
                        "{rw}: has both paths and path_hash_prefixes; use one"
                    )));
                }
                roles.push(DelegatedRole {
                    keys: parse_role_keys(rm, &rw)?,
                    name,
                    terminating,
                    paths,
                    path_hash_prefixes,
                });
            }
        }
        (None, Some(s)) => {
            let sw = format!("{what}.succinct_roles");
            let sm = obj(s, &sw)?;
            let bit_length = get_u64(sm, "bit_length", &sw)?;
            if !(1..=32).contains(&bit_length) {
                return Err(TufError::Format(format!("{sw}.bit_length must be 1..=32")));
            }
            succinct = Some(SuccinctRoles {
                keys: parse_role_keys(sm, &sw)?,
                bit_length: bit_length as u32,
                name_prefix: get_str(sm, "name_prefix", &sw)?.to_string(),
            });
        }
    }
    Ok(Delegations {
        keys,
        roles,
        succinct,
    })
}

impl Delegations {
    /// The roles trusted for `target`, in order, each with its terminating
    /// flag.
    pub fn roles_for_target(&self, target: &str) -> Vec<(String, bool)> {
        if let Some(s) = &self.succinct {
            use sha2::{Digest, Sha256};
            let h = Sha256::digest(target.as_bytes());
            let first = u32::from_be_bytes([h[0], h[1], h[2], h[3]]);
            let bin = first >> (32 - s.bit_length);
            let width = s.bit_length.div_ceil(4) as usize;
            return vec![(format!("{}-{:0width$x}", s.name_prefix, bin), true)];
        }
        self.roles
            .iter()
            .filter(|r| r.is_delegated_path(target))
            .map(|r| (r.name.clone(), r.terminating))
            .collect()
    }

    /// Keys and threshold for a delegated role `name`.
    pub fn role_keys(&self, name: &str) -> Option<&RoleKeys> {
        if let Some(s) = &self.succinct {
            let prefix = format!("{}-", s.name_prefix);
            let suffix = name.strip_prefix(&prefix)?;
            let width = s.bit_length.div_ceil(4) as usize;
            let n = u64::from_str_radix(suffix, 16).ok()?;
            return (suffix.len() == width && n < (1u64 << s.bit_length)).then_some(&s.keys);
        }
        self.roles.iter().find(|r| r.name == name).map(|r| &r.keys)
    }
}

impl DelegatedRole {
    pub fn is_delegated_path(&self, target: &str) -> bool {
        if let Some(paths) = &self.paths {
            return paths.iter().any(|p| path_matches(p, target));
        }
        if let Some(prefixes) = &self.path_hash_prefixes {
            use sha2::{Digest, Sha256};
            let h = hex::encode(Sha256::digest(target.as_bytes()));
            return prefixes.iter().any(|p| h.starts_with(p.as_str()));
        }
        false
    }
}

/// TUF path patterns: shell-style per `/`-separated segment (`*` never
/// crosses a `/`), same number of segments on both sides.
pub fn path_matches(pattern: &str, target: &str) -> bool {
    let p: Vec<&str> = pattern.split('/').collect();
    let t: Vec<&str> = target.split('/').collect();
    p.len() == t.len()
        && p.iter()
            .zip(&t)
            .all(|(p, t)| fnmatch(p.as_bytes(), t.as_bytes()))
}

fn fnmatch(p: &[u8], t: &[u8]) -> bool {
    match p.first() {
        None => t.is_empty(),
        Some(b'*') => (0..=t.len()).any(|i| fnmatch(&p[1..], &t[i..])),
        Some(b'?') => !t.is_empty() && fnmatch(&p[1..], &t[1..]),
        Some(b'[') => {
            let Some(close) = p.iter().skip(2).position(|&c| c == b']').map(|i| i + 2) else {
                return !t.is_empty() && t[0] == b'[' && fnmatch(&p[1..], &t[1..]);
            };
            let Some(&c) = t.first() else { return false };
            let mut class = &p[1..close];
            let negate = matches!(class.first(), Some(b'!'));
            if negate {
                class = &class[1..];
            }
            let mut hit = false;
            let mut i = 0;
            while i < class.len() {
                if i + 2 < class.len() && class[i + 1] == b'-' {
                    hit |= class[i] <= c && c <= class[i + 2];
                    i += 3;
                } else {
                    hit |= class[i] == c;
                    i += 1;
                }
            }
            hit != negate && fnmatch(&p[close + 1..], &t[1..])
        }
        Some(&c) => t.first() == Some(&c) && fnmatch(&p[1..], &t[1..]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_per_segment() {
        assert!(path_matches("halls/h1/*", "halls/h1/notice.json"));
        assert!(!path_matches("halls/h1/*", "halls/h1/a/b.json"));
        assert!(!path_matches("halls/h1/*", "halls/h2/notice.json"));
        assert!(path_matches("*.tgz", "foo.tgz"));
        assert!(!path_matches("*", "a/b"));
        assert!(path_matches("file[0-9].t?t", "file3.txt"));
        assert!(!path_matches("file[!0-9].txt", "file3.txt"));
    }

    #[test]
    fn duplicate_signature_key_ids_are_refused() {
        let doc = br#"{"signed": {"_type": "timestamp"}, "signatures": [{"keyid": "a", "sig": "00"}, {"keyid": "a", "sig": "00"}]}"#;
        let err = Envelope::parse(doc, "timestamp.json").expect_err("dup");
        assert!(err.to_string().contains("signs more than once"), "{err}");
    }
}
