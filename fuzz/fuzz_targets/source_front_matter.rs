//! An authoring source's Markdown file (TOML front matter and body) in a
//! minimal bundle: compiled to a content set or refused with problems,
//! never a panic.
#![no_main]

use kiosk_content::{SourceTree, compile};
use libfuzzer_sys::fuzz_target;

const BUNDLE: &str = "[bundle]\ncounty = \"示范县\"\ntitle = \"示范县政务公开\"\npublisher = \"示范县人民政府办公室\"\nbase_url = \"https://zwgk.shifanxian.example/\"\n";

fuzz_target!(|data: &[u8]| {
    let mut tree = SourceTree::new();
    tree.insert("bundle.toml", BUNDLE.as_bytes().to_vec());
    tree.insert("policies/sfx-2020-001.md", data.to_vec());
    let _ = compile(&tree);
});
