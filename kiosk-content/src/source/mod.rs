//! The authoring source: a folder of plain files a content officer edits
//! (see FORMAT.md). [`compile`] turns it into a validated [`ContentSet`],
//! reporting every problem at once with its file, line (or cell) and field.

mod front;
mod tables;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::Path;

use crate::ContentSet;
use crate::error::ContentError;
use crate::model::{BundleMeta, Item};
use crate::progress::{SealedProgress, bundle_salt};

/// Largest single source file accepted (a scanned PDF dropped into the
/// folder by mistake should not end up on every kiosk).
pub const MAX_SOURCE_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// The files of an authoring folder, by relative path with `/` separators.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceTree {
    files: BTreeMap<String, Vec<u8>>,
}

impl SourceTree {
    pub fn new() -> SourceTree {
        SourceTree::default()
    }

    /// Adds or replaces a file.
    pub fn insert(&mut self, path: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.files.insert(path.into(), bytes.into());
    }

    pub fn remove(&mut self, path: &str) -> Option<Vec<u8>> {
        self.files.remove(path)
    }

    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(Vec::as_slice)
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.keys().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Reads a folder recursively. Hidden files (`.git`, `.DS_Store`) and
    /// editor backups (`~`) are skipped.
    pub fn read_dir(dir: &Path) -> Result<SourceTree, ContentError> {
        let meta = std::fs::metadata(dir).map_err(|e| ContentError::io(dir, e))?;
        if !meta.is_dir() {
            return Err(ContentError::NotADirectory(dir.to_path_buf()));
        }
        let mut tree = SourceTree::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            let entries = std::fs::read_dir(&d).map_err(|e| ContentError::io(&d, e))?;
            for entry in entries {
                let entry = entry.map_err(|e| ContentError::io(&d, e))?;
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with('.') || name.ends_with('~') {
                    continue;
                }
                let path = entry.path();
                let ft = entry.file_type().map_err(|e| ContentError::io(&path, e))?;
                if ft.is_dir() {
                    stack.push(path);
                } else if ft.is_file() {
                    let len = entry
                        .metadata()
                        .map_err(|e| ContentError::io(&path, e))?
                        .len();
                    if len > MAX_SOURCE_FILE_BYTES {
                        return Err(ContentError::TooLarge {
                            path,
                            len,
                            limit: MAX_SOURCE_FILE_BYTES,
                        });
                    }
                    let bytes = std::fs::read(&path).map_err(|e| ContentError::io(&path, e))?;
                    let rel = path
                        .strip_prefix(dir)
                        .map_err(|_| ContentError::NotADirectory(path.clone()))?
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/");
                    tree.insert(rel, bytes);
                }
            }
        }
        Ok(tree)
    }

    /// Writes the tree into a folder (for tests and tools).
    pub fn write_to(&self, dir: &Path) -> Result<(), ContentError> {
        for (rel, bytes) in &self.files {
            let path = dir.join(rel);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|e| ContentError::io(parent, e))?;
            }
            std::fs::write(&path, bytes).map_err(|e| ContentError::io(&path, e))?;
        }
        Ok(())
    }
}

/// One problem in a source, located as precisely as the format allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Path relative to the source folder.
    pub file: String,
    /// Line number (text files) or cell reference such as `C5` (XLSX).
    pub at: Option<String>,
    /// The field or column concerned.
    pub field: Option<String>,
    /// What is wrong and what to do.
    pub message: String,
}

impl Problem {
    pub fn new(
        file: &str,
        at: Option<String>,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Problem {
        Problem {
            file: file.to_string(),
            at,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }

    /// The line number, when the location is a line.
    pub fn line(&self) -> Option<usize> {
        self.at.as_deref().and_then(|a| a.parse().ok())
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(at) = &self.at {
            write!(f, ":{at}")?;
        }
        if let Some(field) = &self.field {
            write!(f, ": {field}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Every problem found in a source; compiling refuses while any remain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SourceProblems(pub Vec<Problem>);

impl SourceProblems {
    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter()
    }
}

impl fmt::Display for SourceProblems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} problem(s) in the content source:", self.0.len())?;
        for p in &self.0 {
            writeln!(f, "  {p}")?;
        }
        Ok(())
    }
}

/// Folders of Markdown items, in the order they are reported.
pub(crate) const ITEM_DIRS: &[&str] = &[
    "policies",
    "interpretations",
    "guides",
    "enterprise",
    "consultations",
    "notices",
];

/// Top-level names a source may contain.
const KNOWN_TOP_LEVEL: &[&str] = &[
    "bundle.toml",
    "README.md",
    "catalog.csv",
    "catalog.xlsx",
    "places.csv",
    "progress.csv",
    "progress.xlsx",
    "synonyms.csv",
    "synonyms.xlsx",
    "images",
    "villages",
    "policies",
    "interpretations",
    "guides",
    "enterprise",
    "consultations",
    "notices",
];

/// Largest image accepted in a bundle.
pub const MAX_IMAGE_BYTES: usize = 4 * 1024 * 1024;

/// Parses and validates a whole source. Returns every problem at once.
pub fn compile(tree: &SourceTree) -> Result<ContentSet, SourceProblems> {
    let mut problems = Vec::new();

    for path in tree.paths() {
        let top = path.split('/').next().unwrap_or(path);
        if !KNOWN_TOP_LEVEL.contains(&top) {
            problems.push(Problem::new(
                path,
                None,
                None,
                format!(
                    "unknown file or folder; a source holds only {}",
                    KNOWN_TOP_LEVEL.join(", ")
                ),
            ));
        }
    }

    let Some(bundle_bytes) = tree.get("bundle.toml") else {
        problems.push(Problem::new(
            "bundle.toml",
            None,
            None,
            "missing; every source starts with bundle.toml (county, halls, villages); see FORMAT.md",
        ));
        return Err(SourceProblems(problems));
    };
    let bundle = front::parse_bundle(bundle_bytes, &mut problems);

    let mut items: Vec<(String, usize, Item)> = Vec::new(); // (file, line of title, item)
    for dir in ITEM_DIRS {
        let prefix = format!("{dir}/");
        for path in tree.paths().filter(|p| p.starts_with(&prefix)) {
            if !path.ends_with(".md") {
                problems.push(Problem::new(
                    path,
                    None,
                    None,
                    "only .md files belong in this folder",
                ));
                continue;
            }
            let Some(bytes) = tree.get(path) else {
                continue;
            };
            if let Some(item) = front::parse_item(dir, path, bytes, &mut problems) {
                items.push((path.to_string(), item.1, item.0));
            }
        }
    }

    let mut progress_rows = Vec::new();
    tables::parse_tables(
        tree,
        bundle.as_ref().map(|b| &b.villages),
        &mut items,
        &mut progress_rows,
        &mut problems,
    );

    let synonyms = tables::parse_synonyms(tree, &mut problems);

    let Some(bundle) = bundle else {
        return Err(SourceProblems(problems));
    };

    // Links are checked against every policy file present, so a policy
    // refused for its own problems does not also break everything citing it.
    let policy_files: BTreeSet<&str> = tree
        .paths()
        .filter_map(|p| p.strip_prefix("policies/")?.strip_suffix(".md"))
        .collect();
    check_links(&bundle.meta, &items, &policy_files, &mut problems);

    // Assets: every referenced image must exist and be a PNG or JPEG.
    let mut assets = BTreeMap::new();
    let mut wanted: Vec<(String, String, String)> = Vec::new(); // (asset, referencing file, field)
    if let Some(m) = &bundle.meta.map_image {
        wanted.push((m.clone(), "bundle.toml".into(), "map_image".into()));
    }
    for h in &bundle.meta.halls {
        if let Some(fp) = &h.floor_plan {
            wanted.push((fp.clone(), "bundle.toml".into(), "floor_plan".into()));
        }
    }
    for (file, _, item) in &items {
        if let Item::Interpretation(i) = item
            && let Some(img) = &i.image
        {
            wanted.push((img.clone(), file.clone(), "image".into()));
        }
    }
    for (asset, file, field) in wanted {
        match tree.get(&asset) {
            None => problems.push(Problem::new(
                &file,
                None,
                Some(&field),
                format!(
                    "image \"{asset}\" is not in the source; add it under images/ or fix the name"
                ),
            )),
            Some(bytes) if bytes.len() > MAX_IMAGE_BYTES => problems.push(Problem::new(
                &asset,
                None,
                None,
                format!(
                    "image is {} bytes, over the {} limit; shrink it",
                    bytes.len(),
                    MAX_IMAGE_BYTES
                ),
            )),
            Some(bytes) if !is_png(bytes) && !is_jpeg(bytes) => problems.push(Problem::new(
                &asset,
                None,
                None,
                "not a PNG or JPEG image; save it as .png or .jpg",
            )),
            Some(bytes) => {
                assets.insert(asset, bytes.to_vec());
            }
        }
    }

    let salt = bundle_salt(&bundle.meta.county, &bundle.meta.publisher);
    let mut progress: Vec<SealedProgress> = Vec::new();
    for (record, code) in &progress_rows {
        match crate::progress::seal(record, code, &salt) {
            Ok(s) => progress.push(s),
            Err(e) => problems.push(Problem::new("progress", None, None, e.to_string())),
        }
    }
    progress.sort_by(|a, b| a.lookup.cmp(&b.lookup));

    if !problems.is_empty() {
        problems.sort_by(|a, b| (&a.file, a.line()).cmp(&(&b.file, b.line())));
        return Err(SourceProblems(problems));
    }
    let mut items: Vec<Item> = items.into_iter().map(|(_, _, i)| i).collect();
    items.sort_by(|a, b| a.meta().id.cmp(&b.meta().id));
    Ok(ContentSet {
        meta: bundle.meta,
        items,
        assets,
        progress,
        progress_salt: salt,
        synonyms,
    })
}

fn is_png(b: &[u8]) -> bool {
    b.starts_with(b"\x89PNG\r\n\x1a\n")
}

fn is_jpeg(b: &[u8]) -> bool {
    b.starts_with(&[0xFF, 0xD8, 0xFF])
}

/// Cross-references between items: unique ids, interpreted policies,
/// revisions, halls and windows.
fn check_links(
    meta: &BundleMeta,
    items: &[(String, usize, Item)],
    policies: &BTreeSet<&str>,
    problems: &mut Vec<Problem>,
) {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (file, line, item) in items {
        let id = item.meta().id.as_str();
        if let Some(first) = seen.insert(id, file) {
            problems.push(Problem::new(
                file,
                Some(line.to_string()),
                Some("id"),
                format!("id \"{id}\" is already used by {first}; ids must be unique in a bundle"),
            ));
        }
    }
    let hall_ids: BTreeSet<&str> = meta.halls.iter().map(|h| h.id.as_str()).collect();
    for (file, line, item) in items {
        let at = Some(line.to_string());
        match item {
            Item::Interpretation(i) => {
                if i.policies.is_empty() {
                    problems.push(Problem::new(
                        file,
                        at.clone(),
                        Some("policies"),
                        "an interpretation names at least one policy id it interprets",
                    ));
                }
                for p in &i.policies {
                    if !policies.contains(p.as_str()) {
                        problems.push(Problem::new(
                            file,
                            at.clone(),
                            Some("policies"),
                            format!("no policy with id \"{p}\" in policies/; check the file name"),
                        ));
                    }
                }
            }
            Item::Policy(p) => {
                if let Some(r) = &p.replaced_by
                    && !policies.contains(r.as_str())
                {
                    problems.push(Problem::new(
                        file,
                        at,
                        Some("replaced_by"),
                        format!("no policy with id \"{r}\" in policies/"),
                    ));
                }
            }
            Item::Guide(g) => match meta.hall(&g.hall) {
                None => problems.push(Problem::new(
                    file,
                    at,
                    Some("hall"),
                    no_such_hall(&g.hall, &hall_ids),
                )),
                Some(h) if !h.windows.iter().any(|w| w.number == g.window) => {
                    problems.push(Problem::new(
                        file,
                        at,
                        Some("window"),
                        format!(
                            "hall \"{}\" has no window \"{}\"; its windows are {}",
                            h.id,
                            g.window,
                            h.windows
                                .iter()
                                .map(|w| w.number.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ),
                    ))
                }
                Some(_) => {}
            },
            Item::Notice(n) => {
                if let Some(h) = &n.hall
                    && !hall_ids.contains(h.as_str())
                {
                    problems.push(Problem::new(
                        file,
                        at,
                        Some("hall"),
                        no_such_hall(h, &hall_ids),
                    ));
                }
            }
            _ => {}
        }
    }
}

/// A guide's or notice's `hall` that bundle.toml does not list.
fn no_such_hall(hall: &str, hall_ids: &BTreeSet<&str>) -> String {
    format!(
        "no hall \"{hall}\" in bundle.toml; use one of: {}",
        join(hall_ids)
    )
}

fn join(set: &BTreeSet<&str>) -> String {
    set.iter().copied().collect::<Vec<_>>().join(", ")
}

/// Item ids: lowercase ASCII letters, digits and `-`, as in URLs and file
/// names on every system.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 80
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
}
pub use crate::demo::demo_tree;
