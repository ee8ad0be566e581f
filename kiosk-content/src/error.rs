//! Errors of the content crate. Each names the file, object or field and
//! says what to do.

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum ContentError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}: not a folder; give the content source folder")]
    NotADirectory(PathBuf),
    #[error(
        "{path}: {len} bytes is over the {limit}-byte limit for one source file; remove it or shrink it"
    )]
    TooLarge { path: PathBuf, len: u64, limit: u64 },
    #[error("bundle object {path}: {message}")]
    Object { path: String, message: String },
}

impl ContentError {
    pub fn io(path: &Path, source: std::io::Error) -> ContentError {
        ContentError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn object(path: &str, message: impl Into<String>) -> ContentError {
        ContentError::Object {
            path: path.to_string(),
            message: message.into(),
        }
    }
}
