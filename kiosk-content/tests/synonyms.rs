//! The district's synonyms: `synonyms.csv` is checked with located errors,
//! travels in the bundle and is used by search.

use kiosk_content::demo::demo_tree;
use kiosk_content::{ContentReader, ContentSet, ContentWriter, GenerationInfo, compile};

fn problems_with(csv: &str) -> Vec<String> {
    let mut tree = demo_tree();
    tree.insert("synonyms.csv", csv.as_bytes().to_vec());
    match compile(&tree) {
        Ok(_) => Vec::new(),
        Err(p) => p.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn bad_rows_are_reported_with_file_line_and_column() {
    let p = problems_with(
        "说法,文件用语,备注\n\
         上户口,户籍\n\
         上户口,落户\n\
         房产证,\n\
         社保卡,社保卡\n\
         开 超市,食品经营\n\
         证,a、b、c、d、e、f、g、h、i\n",
    );
    let want = [
        "synonyms.csv:3: 说法: \"上户口\" is already listed at 2",
        "synonyms.csv:4: 文件用语: cell is empty",
        "synonyms.csv:5: 文件用语: \"社保卡\" is the everyday word itself",
        "synonyms.csv:6: 说法: \"开 超市\" holds punctuation or spaces",
        "synonyms.csv:7: 文件用语: 9 words; at most 8",
    ];
    for w in want {
        assert!(p.iter().any(|l| l.starts_with(w)), "{w}\nnot in {p:#?}");
    }
    assert_eq!(p.len(), want.len(), "{p:#?}");
}

#[test]
fn an_unknown_column_names_the_columns() {
    let p = problems_with("说法,同义词\n上户口,户籍\n");
    assert!(
        p.iter().any(|l| l.starts_with(
            "synonyms.csv:1: 同义词: unknown column; the columns are 说法,文件用语,备注"
        )),
        "{p:#?}"
    );
}

#[test]
fn synonyms_travel_in_the_bundle_and_search_uses_them() {
    let mut tree = demo_tree();
    tree.insert(
        "synonyms.csv",
        "说法,文件用语\n种地钱,耕地地力保护补贴\n"
            .as_bytes()
            .to_vec(),
    );
    let content = compile(&tree).expect("compiles");
    assert_eq!(content.synonyms.len(), 1);
    let objects = content.to_objects();
    assert!(objects.iter().any(|o| o.path == "synonyms.json"));
    let back = ContentSet::from_objects(objects).expect("from objects");
    assert_eq!(back.synonyms, content.synonyms);

    let dir = tempfile::tempdir().expect("tempdir");
    let mut w = ContentWriter::open(dir.path()).expect("writer");
    w.apply_generation(
        &back,
        &GenerationInfo {
            bundle_version: 1,
            channel: "test".into(),
            published_at: None,
        },
    )
    .expect("apply");
    let r = ContentReader::open(dir.path()).expect("reader");
    let res = r.search("种地钱怎么领", 5).expect("search");
    let first = res.hits().next().expect("a hit");
    assert_eq!(first.item.id, "gengdi-butie");
    assert!(!res.no_match());
}
