//! `kiosk-content`: the content model of the disclosure kiosk, the
//! authoring-source parser, the SQLite store and search.
//!
//! Data flows one way: a content officer's source folder is compiled into a
//! [`ContentSet`] (validated, progress records sealed), which a bundle
//! carries as [`ContentObject`]s; `kiosk-sync` verifies those and applies
//! them with [`store::ContentWriter`]; the app reads them with
//! [`store::ContentReader`].

pub mod control;
pub mod demo;
pub mod domain;
mod error;
pub mod generate;
pub mod model;
mod objects;
pub mod progress;
pub mod source;
pub mod store;
pub mod synonyms;
pub mod text;
pub mod usage;

use std::collections::BTreeMap;

pub use domain::{Disclosure, Domain, ItemKind, PlaceCategory, Validity};
pub use error::ContentError;
pub use model::*;
pub use objects::ContentObject;
pub use progress::{ProgressLookup, SealedProgress};
pub use source::{Problem, SourceProblems, SourceTree, compile};
pub use store::{ContentReader, ContentWriter, GenerationInfo, GenerationRecord, StoreError};

/// Validated content, ready to ship in a bundle or to apply to a store.
#[derive(Debug, Clone, PartialEq)]
pub struct ContentSet {
    pub meta: BundleMeta,
    /// Sorted by id.
    pub items: Vec<Item>,
    /// Images by source path (`images/map.png`).
    pub assets: BTreeMap<String, Vec<u8>>,
    /// Sorted by lookup key.
    pub progress: Vec<SealedProgress>,
    pub progress_salt: [u8; 16],
    /// The district's everyday words and their document words, sorted by
    /// everyday word (`synonyms.csv`).
    pub synonyms: Vec<synonyms::Synonym>,
}

impl ContentSet {
    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.meta().id == id)
    }
}
