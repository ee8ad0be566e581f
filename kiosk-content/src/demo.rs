//! The demo county embedded in the binaries, so `kiosk-app --demo` and the
//! tests run on real content without a network or a data directory.

use std::path::Path;

use include_dir::{Dir, include_dir};

use crate::ContentSet;
use crate::source::{SourceProblems, SourceTree, compile};
use crate::store::{ContentReader, ContentWriter, GenerationInfo, StoreError};

static DEMO: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/demo");

/// The demo county's authoring source (kiosk-content/demo/).
pub fn demo_tree() -> SourceTree {
    let mut tree = SourceTree::new();
    let mut stack = vec![&DEMO];
    while let Some(dir) = stack.pop() {
        for f in dir.files() {
            let path = f.path().to_string_lossy().replace('\\', "/");
            let name = path.rsplit('/').next().unwrap_or(&path);
            if !name.starts_with('.') {
                tree.insert(path, f.contents().to_vec());
            }
        }
        stack.extend(dir.dirs());
    }
    tree
}

/// The demo county, compiled.
pub fn demo_content() -> Result<ContentSet, SourceProblems> {
    compile(&demo_tree())
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the embedded demo content has problems (a build defect):\n{0}")]
    Source(#[from] SourceProblems),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Applies the demo county to a fresh store in `data_dir` (unless it holds
/// content already) and opens it.
pub fn open_demo(data_dir: &Path) -> Result<ContentReader, DemoError> {
    match ContentReader::open(data_dir) {
        Ok(r) => Ok(r),
        Err(StoreError::NoContent(_)) => {
            let content = demo_content()?;
            let mut writer = ContentWriter::open(data_dir)?;
            writer.apply_generation(
                &content,
                &GenerationInfo {
                    bundle_version: 1,
                    channel: "demo".into(),
                    published_at: None,
                },
            )?;
            Ok(ContentReader::open(data_dir)?)
        }
        Err(e) => Err(e.into()),
    }
}
