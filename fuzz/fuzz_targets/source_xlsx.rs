//! An authoring source's XLSX workbook (catalog, progress, synonyms) in a
//! minimal bundle: the first byte picks the table. Bytes straight into the
//! zip/XML reader; compiled or refused with problems, never a panic.
#![no_main]

use kiosk_content::{SourceTree, compile};
use libfuzzer_sys::fuzz_target;

const BUNDLE: &str = "[bundle]\ncounty = \"示范县\"\ntitle = \"示范县政务公开\"\npublisher = \"示范县人民政府办公室\"\nbase_url = \"https://zwgk.shifanxian.example/\"\n";
const TABLES: &[&str] = &["catalog.xlsx", "progress.xlsx", "synonyms.xlsx"];

fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let mut tree = SourceTree::new();
    tree.insert("bundle.toml", BUNDLE.as_bytes().to_vec());
    tree.insert(TABLES[pick as usize % TABLES.len()], rest.to_vec());
    let _ = compile(&tree);
});
