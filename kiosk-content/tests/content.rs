//! Integration tests of the content crate: the demo county end to end, bad
//! sources, the store's generations, search and private progress lookup.

use std::path::Path;

use chrono::NaiveDate;
use kiosk_content::demo::demo_tree;
use kiosk_content::store::{ListQuery, MatchedBy, StatusFilter};
use kiosk_content::*;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
}

/// The demo county, compiled once per test binary (sealing its progress
/// records is deliberately slow), cloned for each use.
fn demo_content() -> Result<ContentSet, SourceProblems> {
    static DEMO: std::sync::OnceLock<Result<ContentSet, SourceProblems>> =
        std::sync::OnceLock::new();
    DEMO.get_or_init(kiosk_content::demo::demo_content).clone()
}

fn info(version: u64) -> GenerationInfo {
    GenerationInfo {
        bundle_version: version,
        channel: "test".into(),
        published_at: None,
    }
}

/// A store holding the demo county as bundle version 1.
fn demo_store() -> (tempfile::TempDir, ContentReader) {
    let dir = tempfile::tempdir().expect("tempdir");
    let content = demo_content().unwrap_or_else(|p| panic!("demo content has problems:\n{p}"));
    let mut w = ContentWriter::open(dir.path()).expect("writer");
    w.apply_generation(&content, &info(1)).expect("apply demo");
    drop(w);
    let mut r = ContentReader::open(dir.path()).expect("reader");
    r.set_today(Some(today()));
    (dir, r)
}

fn file_bytes_of_store(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir.join("content"))
        .expect("content dir")
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        if name != "writer.lock" {
            out.push((name, std::fs::read(e.path()).expect("read")));
        }
    }
    out.sort();
    out
}

mod demo {
    use super::*;

    #[test]
    fn every_demo_item_parses_and_loads() {
        let content = demo_content().unwrap_or_else(|p| panic!("demo content has problems:\n{p}"));
        let count = |k: ItemKind| content.items.iter().filter(|i| i.kind() == k).count();
        assert!(
            count(ItemKind::Policy) >= 40,
            "policies: {}",
            count(ItemKind::Policy)
        );
        assert!(count(ItemKind::Interpretation) >= 10);
        assert!(count(ItemKind::Guide) >= 30);
        assert!(count(ItemKind::EnterprisePolicy) >= 10);
        assert!(count(ItemKind::Consultation) >= 5);
        assert!(count(ItemKind::Place) >= 30);
        assert!(count(ItemKind::Village) >= 2);
        assert!(!content.progress.is_empty(), "demo has progress records");
        let domains: std::collections::BTreeSet<_> = content
            .items
            .iter()
            .filter(|i| i.kind() == ItemKind::Policy)
            .filter_map(|i| i.meta().domain)
            .collect();
        assert!(
            domains.len() >= 10,
            "policies span {} domains",
            domains.len()
        );
        let catalog_domains: std::collections::BTreeSet<_> = content
            .items
            .iter()
            .filter(|i| i.kind() == ItemKind::CatalogEntry)
            .filter_map(|i| i.meta().domain)
            .collect();
        assert_eq!(catalog_domains.len(), 26);

        let (_dir, reader) = demo_store();
        for item in &content.items {
            let stored = reader
                .item(&item.meta().id)
                .expect("query")
                .expect("item is in the store");
            assert_eq!(&stored, item);
        }
        for name in content.assets.keys() {
            assert!(reader.asset(name).expect("query").is_some(), "asset {name}");
        }
        assert_eq!(reader.bundle().county, "示范县");
    }

    #[test]
    fn objects_round_trip_and_are_deterministic() {
        let content = demo_content().expect("demo");
        let objects = content.to_objects();
        let fresh = kiosk_content::demo::demo_content().expect("demo");
        assert_eq!(
            objects,
            fresh.to_objects(),
            "a second compile gives identical objects"
        );
        let back = ContentSet::from_objects(objects).expect("from objects");
        assert_eq!(back, content);
    }

    #[test]
    fn expired_and_revised_policies_stay_visible_marked_as_ended() {
        let (_dir, reader) = demo_store();
        let ended = reader
            .list(&ListQuery {
                kind: Some(ItemKind::Policy),
                status: Some(StatusFilter::Ended),
                ..Default::default()
            })
            .expect("list");
        assert!(
            !ended.is_empty(),
            "the demo has expired or revised policies"
        );
        assert!(ended.iter().all(|p| p.validity != Validity::Valid));
        let current = reader
            .list(&ListQuery {
                kind: Some(ItemKind::Policy),
                status: Some(StatusFilter::Current),
                ..Default::default()
            })
            .expect("list");
        assert!(current.iter().all(|p| p.validity == Validity::Valid));
    }

    #[test]
    fn interpretations_link_to_their_policies() {
        let content = demo_content().expect("demo");
        let (_dir, reader) = demo_store();
        for item in &content.items {
            if let Item::Interpretation(i) = item {
                for p in &i.policies {
                    let linked = reader.interpretations_for(p).expect("query");
                    assert!(
                        linked.iter().any(|s| s.id == i.meta.id),
                        "{} -> {}",
                        p,
                        i.meta.id
                    );
                }
            }
        }
    }

    #[test]
    fn guides_are_found_by_their_window() {
        let content = demo_content().expect("demo");
        let (_dir, reader) = demo_store();
        let Some(Item::Guide(g)) = content.items.iter().find(|i| matches!(i, Item::Guide(_)))
        else {
            panic!("demo has guides")
        };
        let at = reader.guides_at_window(&g.hall, &g.window).expect("query");
        assert!(at.iter().any(|s| s.id == g.meta.id));
    }
}

mod bad_source {
    use super::*;

    /// Compiles a modified demo and, as publishing would, applies it only if
    /// it compiled. Returns the problems; asserts the store is untouched.
    fn reject(edit: impl FnOnce(&mut SourceTree)) -> SourceProblems {
        let (dir, reader) = demo_store();
        let before = file_bytes_of_store(dir.path());
        let generation = reader.generation().generation;
        let mut tree = demo_tree();
        edit(&mut tree);
        let problems = match compile(&tree) {
            Ok(content) => {
                let mut w = ContentWriter::open(dir.path()).expect("writer");
                w.apply_generation(&content, &info(2)).expect("apply");
                panic!("the bad source compiled");
            }
            Err(p) => p,
        };
        assert_eq!(file_bytes_of_store(dir.path()), before, "the store changed");
        let again = ContentReader::open(dir.path()).expect("reader");
        assert_eq!(again.generation().generation, generation);
        assert!(
            again.item("sfx-2020-033").expect("query").is_some(),
            "old content still readable"
        );
        problems
    }

    fn replace_in(tree: &mut SourceTree, path: &str, from: &str, to: &str) {
        let text = String::from_utf8(tree.get(path).expect(path).to_vec()).expect("utf8");
        assert!(text.contains(from), "{path} does not contain {from}");
        tree.insert(path, text.replacen(from, to, 1));
    }

    fn line_of(tree: &SourceTree, path: &str, needle: &str) -> String {
        let text = String::from_utf8(tree.get(path).expect(path).to_vec()).expect("utf8");
        let n = text
            .lines()
            .position(|l| l.contains(needle))
            .expect("needle")
            + 1;
        n.to_string()
    }

    #[test]
    fn a_non_public_item_is_rejected_with_its_file_and_line() {
        let path = "policies/sfx-2020-033.md";
        let mut expected_line = String::new();
        let problems = reject(|t| {
            replace_in(
                t,
                path,
                "disclosure = \"主动公开\"",
                "disclosure = \"依申请公开\"",
            );
            expected_line = line_of(t, path, "disclosure =");
        });
        let p = problems
            .iter()
            .find(|p| p.file == path)
            .unwrap_or_else(|| panic!("{problems}"));
        assert_eq!(p.at.as_deref(), Some(expected_line.as_str()));
        assert_eq!(p.field.as_deref(), Some("disclosure"));
        assert!(p.message.contains("主动公开"), "{p}");
        assert!(
            p.to_string()
                .starts_with(&format!("{path}:{expected_line}: disclosure: ")),
            "{p}"
        );
    }

    #[test]
    fn a_not_disclosed_catalog_row_is_rejected_with_its_line() {
        let problems = reject(|t| {
            let text =
                String::from_utf8(t.get("catalog.csv").expect("catalog").to_vec()).expect("utf8");
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            lines[2] = lines[2].replace("主动公开", "不予公开");
            t.insert("catalog.csv", lines.join("\n"));
        });
        let p = problems
            .iter()
            .find(|p| p.file == "catalog.csv")
            .unwrap_or_else(|| panic!("{problems}"));
        assert_eq!(p.at.as_deref(), Some("3"));
        assert_eq!(p.field.as_deref(), Some("公开属性"));
    }

    #[test]
    fn malformed_toml_front_matter_gives_a_located_error() {
        let path = "policies/sfx-2020-033.md";
        let mut expected_line = String::new();
        let problems = reject(|t| {
            replace_in(
                t,
                path,
                "agency = \"示范县人民政府办公室\"",
                "agency = \"示范县人民政府办公室",
            );
            expected_line = line_of(t, path, "agency =");
        });
        let p = problems
            .iter()
            .find(|p| p.file == path)
            .unwrap_or_else(|| panic!("{problems}"));
        assert_eq!(p.at.as_deref(), Some(expected_line.as_str()), "{p}");
    }

    #[test]
    fn a_misspelt_field_and_an_unknown_domain_are_both_reported() {
        let problems = reject(|t| {
            replace_in(t, "policies/sfx-2020-033.md", "validity =", "validty =");
            replace_in(
                t,
                "guides/dibao-shenqing.md",
                "domain = \"社会救助\"",
                "domain = \"社会救济\"",
            );
        });
        let text = problems.to_string();
        assert!(
            text.contains("policies/sfx-2020-033.md:") && text.contains("validty"),
            "{text}"
        );
        assert!(
            text.contains("guides/dibao-shenqing.md:") && text.contains("社会救济"),
            "{text}"
        );
    }

    #[test]
    fn malformed_csv_gives_a_located_error() {
        let problems = reject(|t| {
            let text =
                String::from_utf8(t.get("places.csv").expect("places").to_vec()).expect("utf8");
            let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
            // Line 4: a map position that is not a number.
            let cells: Vec<&str> = lines[3].split(',').collect();
            let header: Vec<&str> = lines[0].split(',').collect();
            let x = header
                .iter()
                .position(|h| *h == "地图X")
                .expect("地图X column");
            let mut cells: Vec<String> = cells.iter().map(|s| s.to_string()).collect();
            cells[x] = "左上".into();
            lines[3] = cells.join(",");
            t.insert("places.csv", lines.join("\n"));
        });
        let p = problems
            .iter()
            .find(|p| p.file == "places.csv")
            .unwrap_or_else(|| panic!("{problems}"));
        assert_eq!(p.at.as_deref(), Some("4"));
        assert_eq!(p.field.as_deref(), Some("地图X"));
    }

    #[test]
    fn a_csv_saved_in_gbk_is_refused_with_advice() {
        let problems = reject(|t| {
            let mut bytes = t.get("places.csv").expect("places").to_vec();
            bytes.extend_from_slice(b"\nx-1,\xb2\xe2\xca\xd4,\xd2\xf8\xd0\xd0,addr,,,0.1,0.1,,,\n");
            t.insert("places.csv", bytes);
        });
        let p = problems
            .iter()
            .find(|p| p.file == "places.csv")
            .unwrap_or_else(|| panic!("{problems}"));
        assert!(p.message.contains("UTF-8"), "{p}");
        assert!(p.line().is_some());
    }

    #[test]
    fn an_unknown_column_is_an_error_not_silently_dropped() {
        let problems = reject(|t| {
            let text =
                String::from_utf8(t.get("places.csv").expect("places").to_vec()).expect("utf8");
            t.insert("places.csv", text.replacen("名称", "名字", 1));
        });
        assert!(
            problems
                .iter()
                .any(|p| p.file == "places.csv" && p.field.as_deref() == Some("名字")),
            "{problems}"
        );
    }

    #[test]
    fn a_corrupt_xlsx_is_refused_naming_the_file() {
        let problems = reject(|t| {
            let csv = t.remove("catalog.csv").expect("catalog");
            let half = &csv[..csv.len() / 2];
            t.insert("catalog.xlsx", [b"PK\x03\x04".as_slice(), half].concat());
        });
        let p = problems
            .iter()
            .find(|p| p.file == "catalog.xlsx")
            .unwrap_or_else(|| panic!("{problems}"));
        assert!(p.message.contains("XLSX"), "{p}");
    }

    fn catalog_as_xlsx(tree: &SourceTree, edit_row: Option<(usize, &str, &str)>) -> Vec<u8> {
        let text =
            String::from_utf8(tree.get("catalog.csv").expect("catalog").to_vec()).expect("utf8");
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let mut header = Vec::new();
        for (r, rec) in rdr.records().enumerate() {
            let rec = rec.expect("csv");
            if r == 0 {
                header = rec.iter().map(str::to_string).collect();
            }
            for (c, cell) in rec.iter().enumerate() {
                let mut value = cell.to_string();
                if let Some((row, col, v)) = edit_row
                    && r == row
                    && header.get(c).map(String::as_str) == Some(col)
                {
                    value = v.to_string();
                }
                sheet
                    .write_string(r as u32, c as u16, value)
                    .expect("write cell");
            }
        }
        book.save_to_buffer().expect("xlsx")
    }

    #[test]
    fn a_bad_xlsx_cell_is_located_by_its_cell_reference() {
        let problems = reject(|t| {
            let xlsx = catalog_as_xlsx(t, Some((3, "领域", "社会救济")));
            t.remove("catalog.csv");
            t.insert("catalog.xlsx", xlsx);
        });
        let p = problems
            .iter()
            .find(|p| p.file == "catalog.xlsx")
            .unwrap_or_else(|| panic!("{problems}"));
        assert_eq!(p.at.as_deref(), Some("B4"), "{p}");
        assert_eq!(p.field.as_deref(), Some("领域"));
    }

    #[test]
    fn a_good_xlsx_catalog_gives_the_same_content_as_the_csv() {
        let mut tree = demo_tree();
        let from_csv = compile(&tree).expect("demo");
        let xlsx = catalog_as_xlsx(&tree, None);
        tree.remove("catalog.csv");
        tree.insert("catalog.xlsx", xlsx);
        let from_xlsx = compile(&tree).unwrap_or_else(|p| panic!("{p}"));
        assert_eq!(from_csv.items, from_xlsx.items);
    }

    #[test]
    fn a_guide_at_a_window_that_does_not_exist_is_reported() {
        let problems = reject(|t| {
            replace_in(
                t,
                "guides/dibao-shenqing.md",
                "window = \"",
                "window = \"99",
            )
        });
        assert!(
            problems
                .iter()
                .any(|p| p.file == "guides/dibao-shenqing.md"
                    && p.field.as_deref() == Some("window")),
            "{problems}"
        );
    }

    #[test]
    fn a_missing_image_is_reported() {
        let problems = reject(|t| {
            t.remove("images/map.png");
        });
        assert!(
            problems
                .iter()
                .any(|p| p.file == "bundle.toml" && p.message.contains("images/map.png")),
            "{problems}"
        );
    }
}

mod store {
    use super::*;

    #[test]
    fn generations_never_go_backwards_and_revert_keeps_the_highest_version() {
        let (dir, reader) = demo_store();
        let content = demo_content().expect("demo");
        let mut w = ContentWriter::open(dir.path()).expect("writer");
        let err = w
            .apply_generation(&content, &info(1))
            .expect_err("same version again");
        assert!(
            matches!(
                err,
                StoreError::StaleBundle {
                    offered: 1,
                    highest: 1
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("never goes backwards"));
        let g2 = w.apply_generation(&content, &info(5)).expect("newer");
        assert_eq!(g2.generation, reader.generation().generation + 1);
        let reverted = w.revert().expect("revert");
        assert_eq!(reverted.generation, reader.generation().generation);
        assert_eq!(w.highest_bundle_version().expect("state"), 5);
        let err = w
            .apply_generation(&content, &info(4))
            .expect_err("older than highest");
        assert!(matches!(err, StoreError::StaleBundle { .. }));
        assert!(matches!(w.revert(), Err(StoreError::NothingToRevert)));
    }

    #[test]
    fn a_second_writer_is_refused() {
        let (dir, _reader) = demo_store();
        let _w = ContentWriter::open(dir.path()).expect("first writer");
        assert!(matches!(
            ContentWriter::open(dir.path()),
            Err(StoreError::Locked(_))
        ));
    }

    #[test]
    fn readers_switch_to_a_new_generation_and_keep_theirs_if_it_is_broken() {
        let (dir, mut reader) = demo_store();
        assert!(!reader.refresh().expect("refresh"));
        let mut tree = demo_tree();
        let path = "policies/sfx-2020-033.md";
        let text = String::from_utf8(tree.get(path).expect("policy").to_vec()).expect("utf8");
        tree.insert(
            path,
            text.replacen(
                "示范县最低生活保障审核确认办法",
                "示范县最低生活保障审核确认办法（修订版）",
                1,
            ),
        );
        let content = compile(&tree).expect("compiles");
        let mut w = ContentWriter::open(dir.path()).expect("writer");
        let g2 = w.apply_generation(&content, &info(2)).expect("apply");
        assert!(reader.refresh().expect("refresh"));
        assert_eq!(reader.generation().generation, g2.generation);
        assert!(
            reader
                .item("sfx-2020-033")
                .expect("q")
                .expect("item")
                .meta()
                .title
                .contains("修订版")
        );

        // A current.json naming a missing file (disk trouble): the reader
        // reports it and keeps showing what it has.
        let state_path = dir.path().join("content/current.json");
        let state = std::fs::read_to_string(&state_path).expect("state");
        std::fs::write(
            &state_path,
            state.replace(
                &format!("\"generation\": {}", g2.generation),
                "\"generation\": 999",
            ),
        )
        .expect("write");
        assert!(reader.refresh().is_err());
        assert_eq!(reader.generation().generation, g2.generation);
        assert!(reader.item("sfx-2020-033").expect("q").is_some());
    }

    #[test]
    fn a_half_written_generation_from_a_power_cut_is_cleaned_up() {
        let (dir, reader) = demo_store();
        let leftover = dir.path().join("content/gen-00000009.db.tmp");
        std::fs::write(&leftover, b"partial").expect("write");
        let _w = ContentWriter::open(dir.path()).expect("writer");
        assert!(!leftover.exists());
        let again = ContentReader::open(dir.path()).expect("reader");
        assert_eq!(again.generation(), reader.generation());
    }

    #[test]
    fn an_empty_data_dir_says_what_to_do() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = ContentReader::open(dir.path()).err().expect("no content");
        assert!(err.to_string().contains("kiosk-sync pull"), "{err}");
    }
}

mod search {
    use super::*;

    fn titles(r: &ContentReader, q: &str) -> Vec<(ItemKind, String, MatchedBy)> {
        r.search(q, 20)
            .expect("search")
            .hits()
            .map(|h| (h.item.kind, h.item.title.clone(), h.matched))
            .collect()
    }

    #[test]
    fn one_and_two_character_chinese_queries_find_titles() {
        let (_d, r) = demo_store();
        for q in ["低保", "医保", "税"] {
            let hits = titles(&r, q);
            assert!(!hits.is_empty(), "{q} found nothing");
            let first = &hits[0];
            assert_eq!(first.2, MatchedBy::Title, "{q}: first hit {first:?}");
        }
        let dibao = titles(&r, "低保");
        assert!(
            dibao
                .iter()
                .any(|(k, t, _)| *k == ItemKind::Policy && t.contains("最低生活保障")),
            "{dibao:?}"
        );
        assert!(
            dibao.iter().any(|(k, _, _)| *k == ItemKind::Guide),
            "guides group too: {dibao:?}"
        );
    }

    #[test]
    fn pinyin_full_and_initials_find_dibao_titles() {
        let (_d, r) = demo_store();
        for q in ["db", "dibao", "DiBao"] {
            let hits = titles(&r, q);
            assert!(
                hits.iter()
                    .any(|(_, t, m)| *m == MatchedBy::Pinyin && t.contains("低保")),
                "{q}: {hits:?}"
            );
        }
        let yibao = titles(&r, "yibao");
        assert!(
            yibao.iter().any(|(_, t, _)| t.contains("医保")),
            "{yibao:?}"
        );
    }

    #[test]
    fn initials_do_not_match_through_rare_readings() {
        // 投 has a rare dictionary reading "dou": 招标投标 once matched `db`,
        // so 示范县公共资源交易目录 ranked second for residents typing 低保.
        let (_d, r) = demo_store();
        let hits = titles(&r, "db");
        assert!(
            !hits.iter().any(|(_, t, _)| t.contains("公共资源交易目录")),
            "{hits:?}"
        );
        let first_policy = hits
            .iter()
            .find(|(k, _, _)| *k == ItemKind::Policy)
            .expect("a policy matches db");
        assert!(first_policy.1.contains("低保"), "{hits:?}");
    }

    #[test]
    fn all_three_doc_number_spellings_find_the_same_policy() {
        let (_d, r) = demo_store();
        for q in [
            "示政办发〔2020〕33号",
            "〔2020〕33号",
            "[2020]33",
            "2020-33",
        ] {
            let res = r.search(q, 10).expect("search");
            let first = res.hits().next().unwrap_or_else(|| panic!("{q}: nothing"));
            assert_eq!(first.item.id, "sfx-2020-033", "{q}");
            assert_eq!(first.matched, MatchedBy::DocNumber, "{q}");
        }
    }

    #[test]
    fn results_are_grouped_by_kind_and_valid_documents_rank_first() {
        let (_d, r) = demo_store();
        let res = r.search("低保", 50).expect("search");
        let mut kinds: Vec<ItemKind> = res.groups.iter().map(|g| g.kind).collect();
        let n = kinds.len();
        kinds.dedup();
        assert_eq!(kinds.len(), n, "each kind appears once");
        for g in &res.groups {
            let ranks: Vec<(u8, u8)> = g
                .hits
                .iter()
                .map(|h| {
                    (
                        if h.matched == MatchedBy::Body { 1 } else { 0 },
                        h.item.validity.rank(),
                    )
                })
                .collect();
            let mut sorted = ranks.clone();
            sorted.sort();
            assert_eq!(ranks, sorted, "{:?} hits out of order", g.kind);
        }
    }

    #[test]
    fn mixed_queries_and_questions_work() {
        let (_d, r) = demo_store();
        assert!(!titles(&r, "低保 审核").is_empty());
        assert!(!titles(&r, "低保怎么申请").is_empty());
        assert!(titles(&r, "zzzzqqq").is_empty());
        assert!(titles(&r, "   ").is_empty());
        // FTS syntax typed by a resident is text, not an error.
        assert!(r.search("\"低保 OR AND NEAR(", 5).is_ok());
    }

    #[test]
    fn the_keyboard_offers_hanzi_candidates_from_the_content() {
        let (_d, r) = demo_store();
        let c = r.candidates("db", 10).expect("candidates");
        assert!(c.iter().any(|t| t == "低保"), "{c:?}");
        let c = r.candidates("yibao", 10).expect("candidates");
        assert!(c.iter().any(|t| t == "医保"), "{c:?}");
    }
}

mod progress {
    use super::*;

    /// (case number, query code) pairs from the demo's progress export.
    fn demo_cases() -> Vec<(String, String, String, String)> {
        let tree = demo_tree();
        let text = String::from_utf8(
            tree.get("progress.csv")
                .expect("demo progress.csv")
                .to_vec(),
        )
        .expect("utf8");
        let mut rdr = csv::Reader::from_reader(text.as_bytes());
        let headers = rdr.headers().expect("header").clone();
        let col = |name: &str| headers.iter().position(|h| h == name).expect(name);
        let (c, q, a, m) = (
            col("办件编号"),
            col("查询码"),
            col("申请人"),
            col("事项名称"),
        );
        rdr.records()
            .map(|r| {
                let r = r.expect("row");
                (
                    r[c].to_string(),
                    r[q].to_string(),
                    r[a].to_string(),
                    r[m].to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn the_right_code_finds_the_record_and_a_wrong_code_looks_like_an_unknown_case() {
        let (_d, r) = demo_store();
        let cases = demo_cases();
        assert!(cases.len() >= 5);
        let (case, code, applicant, matter) = &cases[0];
        match r.lookup_progress(case, code).expect("lookup") {
            ProgressLookup::Found(rec) => {
                assert_eq!(&rec.case_number, case);
                assert_eq!(&rec.applicant, applicant);
                assert_eq!(&rec.matter, matter);
            }
            ProgressLookup::NotFound => panic!("demo case {case} not found with its code"),
        }
        // Typed with spaces and lowercase on the keypad: still found.
        let spaced = format!(" {} ", case.to_lowercase());
        assert!(matches!(
            r.lookup_progress(&spaced, code).expect("lookup"),
            ProgressLookup::Found(_)
        ));
        let wrong_code = if code.starts_with('9') {
            code.replacen('9', "1", 1)
        } else {
            format!("9{}", &code[1..])
        };
        let wrong = r.lookup_progress(case, &wrong_code).expect("lookup");
        let unknown = r.lookup_progress("SFX19990101999", code).expect("lookup");
        assert_eq!(wrong, ProgressLookup::NotFound);
        assert_eq!(wrong, unknown);
        // The code of another case does not open this one.
        let other_code = &cases[1].1;
        if other_code != code {
            assert_eq!(
                r.lookup_progress(case, other_code).expect("lookup"),
                ProgressLookup::NotFound
            );
        }
    }

    #[test]
    fn the_store_file_holds_no_plaintext_progress_data() {
        let (dir, _r) = demo_store();
        let mut store_bytes = Vec::new();
        for (_, bytes) in file_bytes_of_store(dir.path()) {
            store_bytes.extend(bytes);
        }
        let contains = |needle: &str| {
            store_bytes
                .windows(needle.len())
                .any(|w| w == needle.as_bytes())
        };
        // Applicant names that appear nowhere else in the public source.
        let tree = demo_tree();
        let public_text: String = tree
            .paths()
            .filter(|p| !p.starts_with("progress"))
            .filter_map(|p| {
                std::str::from_utf8(tree.get(p).unwrap_or_default())
                    .ok()
                    .map(str::to_string)
            })
            .collect();
        let cases = demo_cases();
        for (case, code, applicant, _) in &cases {
            assert!(
                !contains(case),
                "case number {case} is in the store in plaintext"
            );
            let normalized = kiosk_content::progress::normalize_case_number(case);
            assert!(
                !contains(&normalized),
                "case number {normalized} is in the store in plaintext"
            );
            if !public_text.contains(applicant.as_str()) {
                assert!(
                    !contains(applicant),
                    "applicant {applicant} is in the store in plaintext"
                );
            }
            assert!(!contains(&format!("{case},{code}")));
        }
        // The objects a bundle ships hold none of it either.
        let objects = demo_content().expect("demo").to_objects();
        for o in objects.iter().filter(|o| o.path.starts_with("progress/")) {
            for (case, _, _, _) in &cases {
                assert!(!o.bytes.windows(case.len()).any(|w| w == case.as_bytes()));
            }
        }
    }
}

mod xlsx_progress {
    use super::*;

    /// A progress export saved from a spreadsheet, with real Excel date
    /// cells, seals and looks up the same as the CSV.
    #[test]
    fn a_progress_xlsx_with_date_cells_works_like_the_csv() {
        let mut tree = demo_tree();
        let text =
            String::from_utf8(tree.get("progress.csv").expect("csv").to_vec()).expect("utf8");
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        let date_format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
        let mut header = Vec::new();
        let mut first_case = None;
        for (r, rec) in rdr.records().enumerate() {
            let rec = rec.expect("csv");
            if r == 0 {
                header = rec.iter().map(str::to_string).collect();
            }
            for (c, cell) in rec.iter().enumerate() {
                let is_date = r > 0 && header[c] == "受理日期";
                if is_date {
                    let d = rust_xlsxwriter::ExcelDateTime::parse_from_str(cell).expect("date");
                    sheet
                        .write_datetime_with_format(r as u32, c as u16, &d, &date_format)
                        .expect("write date");
                } else {
                    sheet
                        .write_string(r as u32, c as u16, cell)
                        .expect("write cell");
                }
                if r == 1 && header[c] == "办件编号" {
                    first_case = Some(cell.to_string());
                }
            }
        }
        let from_csv = compile(&tree).expect("demo");
        tree.remove("progress.csv");
        tree.insert("progress.xlsx", book.save_to_buffer().expect("xlsx"));
        let from_xlsx = compile(&tree).unwrap_or_else(|p| panic!("{p}"));
        assert_eq!(from_csv.progress, from_xlsx.progress, "same sealed records");
        assert!(first_case.is_some());
    }
}

mod queries {
    use super::*;
    use kiosk_content::store::Facet;

    #[test]
    fn list_filters_combine_and_facets_count_what_lists_show() {
        let (_d, r) = demo_store();
        let domains = r.facets(ItemKind::Policy, Facet::Domain).expect("facets");
        assert!(domains.len() >= 10, "{domains:?}");
        let (slug, count) = &domains[0];
        let domain = Domain::parse(slug).expect("facet values are domain slugs");
        let listed = r
            .list(&ListQuery {
                kind: Some(ItemKind::Policy),
                domain: Some(domain),
                ..Default::default()
            })
            .expect("list");
        assert!(!listed.is_empty() && listed.len() <= *count);
        assert!(listed.iter().all(|p| p.domain == Some(domain)));
        let dates: Vec<_> = listed.iter().map(|p| p.date).collect();
        let mut sorted = dates.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(dates, sorted, "newest first");

        let years = r.facets(ItemKind::Policy, Facet::Year).expect("facets");
        assert!(years.iter().any(|(y, _)| y == "2020"), "{years:?}");
        let in_2020 = r
            .list(&ListQuery {
                kind: Some(ItemKind::Policy),
                year: Some(2020),
                ..Default::default()
            })
            .expect("list");
        assert!(!in_2020.is_empty());
        assert!(
            in_2020
                .iter()
                .all(|p| p.date.is_some_and(|d| d.to_string().starts_with("2020")))
        );

        let agencies = r.facets(ItemKind::Policy, Facet::Agency).expect("facets");
        let (agency, n) = &agencies[0];
        let by_agency = r
            .list(&ListQuery {
                kind: Some(ItemKind::Policy),
                agency: Some(agency.clone()),
                ..Default::default()
            })
            .expect("list");
        assert_eq!(by_agency.len(), *n);

        let page = r
            .list(&ListQuery {
                kind: Some(ItemKind::Policy),
                limit: Some(5),
                offset: 5,
                ..Default::default()
            })
            .expect("list");
        let all = r
            .list(&ListQuery {
                kind: Some(ItemKind::Policy),
                ..Default::default()
            })
            .expect("list");
        assert_eq!(
            page,
            all[5..10].to_vec(),
            "paging is a window of the full list"
        );
    }

    #[test]
    fn places_filter_by_category_and_carry_map_positions() {
        let (_d, r) = demo_store();
        let all = r.places(None).expect("places");
        assert!(all.len() >= 30);
        let health = r.places(Some(PlaceCategory::Health)).expect("places");
        assert!(!health.is_empty() && health.len() < all.len());
        assert!(health.iter().all(|p| p.category == PlaceCategory::Health));
        assert!(
            all.iter()
                .all(|p| (0.0..=1.0).contains(&p.map_x) && (0.0..=1.0).contains(&p.map_y))
        );
    }

    #[test]
    fn notices_show_only_in_their_period_and_hall() {
        let (_d, mut r) = demo_store();
        let county_wide = r.notices(None).expect("notices");
        assert!(county_wide.iter().all(|n| n.hall.is_none()));
        let at_hall = r.notices(Some("chengguan")).expect("notices");
        assert!(at_hall.len() >= county_wide.len());
        assert!(
            at_hall
                .iter()
                .all(|n| n.hall.is_none() || n.hall.as_deref() == Some("chengguan"))
        );
        // Ten years on, every notice has ended and none is shown.
        r.set_today(NaiveDate::from_ymd_opt(2036, 1, 1));
        assert!(r.notices(Some("chengguan")).expect("notices").is_empty());
    }

    #[test]
    fn enterprise_policies_and_consultations_are_open_or_closed_by_date() {
        let (_d, r) = demo_store();
        for kind in [ItemKind::EnterprisePolicy, ItemKind::Consultation] {
            let open = r
                .list(&ListQuery {
                    kind: Some(kind),
                    status: Some(StatusFilter::Current),
                    ..Default::default()
                })
                .expect("list");
            let closed = r
                .list(&ListQuery {
                    kind: Some(kind),
                    status: Some(StatusFilter::Ended),
                    ..Default::default()
                })
                .expect("list");
            assert!(!open.is_empty() && !closed.is_empty(), "{kind:?}");
            assert!(
                open.iter()
                    .all(|i| i.end_date.is_some_and(|e| e >= today()))
            );
            assert!(
                closed
                    .iter()
                    .all(|i| i.end_date.is_some_and(|e| e < today()))
            );
        }
    }
}
