//! The real recognizer (libzinnia.so.0 and Debian's zh_CN model, installed by
//! deploy/dev/install-deps.sh, with the school-order templates of
//! data/hanzi-templates.bin) on jittered strokes of 300 common characters.
//!
//! The test drawings come from the same hanzi-writer-data medians as the
//! templates, so besides the usual jitter the rates are also asserted on
//! harder distortions the templates never saw (`fixture::hard`: stronger
//! jitter, slant, stretched strokes, swapped stroke order) and on strokes
//! written joined (`fixture::joined`).

#[path = "support/fixture.rs"]
mod fixture;

use std::path::Path;

use kiosk_handwriting::{
    DEFAULT_MODEL_PATH, HandwritingError, Ink, Recognizer, Templates, TemplatesError, probe,
};

const TEMPLATES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/hanzi-templates.bin");

/// Zinnia alone, as on a kiosk without the template file.
fn zinnia_alone() -> Recognizer {
    Recognizer::open(Path::new(DEFAULT_MODEL_PATH)).unwrap_or_else(|e| {
        panic!("{e} (deploy/dev/install-deps.sh installs libzinnia0 and the model)")
    })
}

/// Zinnia and the templates, as the kiosk runs.
fn recognizer() -> Recognizer {
    let templates = Templates::load(Path::new(TEMPLATES)).unwrap_or_else(|e| panic!("{e}"));
    zinnia_alone().with_templates(templates)
}

/// (top-1 rate, top-5 rate, the characters not in the top 5 with what came).
fn rates(rec: &Recognizer, draw: fn(&[Vec<[f32; 2]>], u64) -> Ink) -> (f64, f64, Vec<String>) {
    let set = fixture::set("test");
    assert_eq!(set.len(), 300);
    let (mut top1, mut top5) = (0, 0);
    let mut misses = Vec::new();
    for (c, medians) in &set {
        let ink = draw(medians, fixture::seed(*c, 0));
        let got: Vec<char> = rec
            .recognize(&ink, 10)
            .expect("recognized")
            .iter()
            .map(|k| k.character)
            .collect();
        assert!(got.len() <= 10);
        match got.iter().position(|g| g == c) {
            Some(0) => {
                top1 += 1;
                top5 += 1;
            }
            Some(i) if i < 5 => top5 += 1,
            _ => misses.push(format!("{c}→{}", got.iter().take(5).collect::<String>())),
        }
    }
    let n = set.len() as f64;
    (top1 as f64 / n, top5 as f64 / n, misses)
}

#[test]
fn three_hundred_common_characters_are_in_the_top_five() {
    let (top1, top5, misses) = rates(&recognizer(), fixture::jittered);
    println!(
        "top-1 {top1:.3}, top-5 {top5:.3} of 300 characters; not in the top 5: {}",
        misses.join(" ")
    );
    // Measured: top-1 0.987, top-5 1.000 (Zinnia alone re-ranked: 0.800 /
    // 0.910). The issue asks for a top-5 of 0.95; these drawings come from
    // the templates' own medians, so the harder test below matters as much.
    assert!(
        top1 >= 0.97 && top5 >= 0.99,
        "top-1 {top1:.3} / top-5 {top5:.3} below 0.97 / 0.99; misses: {}",
        misses.join(" ")
    );
}

#[test]
fn harder_drawings_than_the_templates_saw_are_still_found() {
    let (top1, top5, misses) = rates(&recognizer(), fixture::hard);
    println!(
        "hard: top-1 {top1:.3}, top-5 {top5:.3} of 300 characters; not in the top 5: {}",
        misses.join(" ")
    );
    // Measured: top-1 0.950, top-5 0.997 (Zinnia alone re-ranked: 0.603 /
    // 0.787).
    assert!(
        top1 >= 0.93 && top5 >= 0.98,
        "hard: top-1 {top1:.3} / top-5 {top5:.3} below 0.93 / 0.98; misses: {}",
        misses.join(" ")
    );
}

#[test]
fn strokes_written_joined_are_still_found() {
    // 207 of the 300 drawings have two or more neighbouring strokes drawn
    // as one (连笔), which changes their stroke count.
    let (top1, top5, misses) = rates(&recognizer(), fixture::joined);
    println!(
        "joined: top-1 {top1:.3}, top-5 {top5:.3} of 300 characters; not in the top 5: {}",
        misses.join(" ")
    );
    // Measured: top-1 0.760, top-5 0.933 (without the templates' joined
    // reading 0.470 / 0.720; Zinnia alone re-ranked 0.263 / 0.333).
    assert!(
        top1 >= 0.74 && top5 >= 0.91,
        "joined: top-1 {top1:.3} / top-5 {top5:.3} below 0.74 / 0.91; misses: {}",
        misses.join(" ")
    );
}

#[test]
fn without_the_templates_zinnia_alone_still_answers() {
    // A kiosk whose template file is missing: Zinnia re-ranked, as before.
    let (top1, top5, misses) = rates(&zinnia_alone(), fixture::jittered);
    assert!(
        top1 >= 0.79 && top5 >= 0.90,
        "Zinnia alone: top-1 {top1:.3} / top-5 {top5:.3} below 0.79 / 0.90; misses: {}",
        misses.join(" ")
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("none.bin");
    let e = Templates::load(&missing).err().expect("no file");
    assert!(matches!(e, TemplatesError::Read { .. }), "{e}");
    assert!(
        e.to_string().contains(&missing.display().to_string()),
        "{e}"
    );
    let cut = dir.path().join("cut.bin");
    let bytes = std::fs::read(TEMPLATES).expect("templates");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("write");
    let e = Templates::load(&cut).err().expect("cut file");
    assert!(matches!(e, TemplatesError::Format { .. }), "{e}");
    assert!(e.to_string().contains("cut.bin"), "{e}");
}

#[test]
fn the_template_file_is_the_common_characters_with_its_licence() {
    let t = Templates::load(Path::new(TEMPLATES)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(t.len(), 3500);
    // The start-up check agrees without building them; it refuses other files.
    assert_eq!(Templates::check(Path::new(TEMPLATES)).ok(), Some(3500));
    let dir = tempfile::tempdir().expect("tempdir");
    let other = dir.path().join("other.bin");
    std::fs::write(&other, b"KIOSK-HANZI-TEMPLATES 1\n\x05\0\0\0ab").expect("write");
    let e = Templates::check(&other).expect_err("cut in its notice");
    assert!(matches!(e, TemplatesError::Format { .. }), "{e}");
    assert!(matches!(
        Templates::check(&dir.path().join("none.bin")),
        Err(TemplatesError::Read { .. })
    ));
    assert!(
        t.notice().contains("Arphic Public License"),
        "{}",
        t.notice()
    );
    assert!(t.notice().contains("MODIFIED"), "{}", t.notice());
    for c in ['低', '保', '医', '户', '口', '人', '十', '之', '女', '水'] {
        assert!(t.contains(c), "{c}");
    }
}

#[test]
fn the_characters_residents_write_most_are_in_the_top_five() {
    let rec = recognizer();
    let set = fixture::set("test");
    // 医 is not among them: Zinnia places it near 1000th for these strokes.
    for c in ['低', '保', '户', '口', '人', '十'] {
        let medians = &set.iter().find(|(k, _)| *k == c).expect("in the fixture").1;
        // Three different jitters each, not one lucky drawing.
        for rep in 0..3 {
            let ink = fixture::jittered(medians, fixture::seed(c, 100 + rep));
            let got: Vec<char> = rec
                .recognize(&ink, 5)
                .expect("recognized")
                .iter()
                .map(|k| k.character)
                .collect();
            assert!(got.contains(&c), "{c} (jitter {rep}) → {got:?}");
        }
    }
}

#[test]
fn zou_written_last_as_taught_is_understood() {
    // The model learnt 辶 first; residents write it last. Zinnia alone
    // does not offer these in its first 60 for the school order. (Without
    // the templates: they know the school order and would hide the effect.)
    let rec = zinnia_alone();
    let set = fixture::set("test");
    for c in ['这', '过', '进', '还', '通'] {
        let medians = &set.iter().find(|(k, _)| *k == c).expect("in the fixture").1;
        let ink = fixture::jittered(medians, fixture::seed(c, 0));
        let got: Vec<char> = rec
            .recognize(&ink, 5)
            .expect("recognized")
            .iter()
            .map(|k| k.character)
            .collect();
        assert!(got.contains(&c), "{c} → {got:?}");
        let without = kiosk_handwriting::rank::Weights {
            moved_order: f32::INFINITY,
            ..kiosk_handwriting::rank::WEIGHTS
        };
        let plain: Vec<char> = rec
            .recognize_weighted(&ink, 5, without)
            .expect("recognized")
            .iter()
            .map(|k| k.character)
            .collect();
        assert!(
            !plain.contains(&c),
            "{c} found without the moved order: {plain:?}"
        );
    }
}

#[test]
fn kou_comes_before_the_enclosure_radical() {
    let rec = recognizer();
    let set = fixture::set("test");
    let medians = &set.iter().find(|(k, _)| *k == '口').expect("口").1;
    let ink = fixture::jittered(medians, fixture::seed('口', 7));
    let raw = rec.recognize_raw(&ink, 10).expect("raw");
    let ranked = rec.recognize(&ink, 10).expect("ranked");
    assert_eq!(ranked[0].character, '口', "raw {raw:?}");
    assert!(ranked.iter().all(|k| k.character != '囗'));
}

#[test]
fn bad_ink_is_refused_with_the_field() {
    let rec = recognizer();
    let e = rec
        .recognize(&Ink::new(300.0, 300.0), 10)
        .expect_err("no strokes");
    assert!(matches!(e, HandwritingError::Ink(_)));
    assert!(e.to_string().contains("field `strokes`: is empty"), "{e}");
    let mut ink = Ink::new(300.0, 300.0);
    ink.strokes.push(vec![[1.0, f32::NAN]]);
    let e = rec.recognize(&ink, 10).expect_err("NaN");
    assert!(e.to_string().contains("strokes[0][0]"), "{e}");
}

#[test]
fn a_missing_model_or_library_says_what_to_install() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("none.model");
    let e = Recognizer::open(&missing).err().expect("no model");
    assert!(matches!(e, HandwritingError::ModelMissing { .. }), "{e}");
    assert!(
        e.to_string().contains("tegaki-zinnia-simplified-chinese"),
        "{e}"
    );
    assert!(
        e.to_string().contains(&missing.display().to_string()),
        "{e}"
    );

    let garbage = dir.path().join("garbage.model");
    std::fs::write(&garbage, b"not a zinnia model").expect("write");
    let e = Recognizer::open(&garbage).err().expect("bad model");
    assert!(matches!(e, HandwritingError::ModelUnreadable { .. }), "{e}");

    let e = Recognizer::open_with_library("libzinnia-not-here.so.0", Path::new(DEFAULT_MODEL_PATH))
        .err()
        .expect("no library");
    assert!(matches!(e, HandwritingError::LibraryMissing { .. }), "{e}");
    assert!(e.to_string().contains("apt-get install libzinnia0"), "{e}");

    // The start-up check reads only the library and the model's header.
    assert!(matches!(
        kiosk_handwriting::check(&missing),
        Err(HandwritingError::ModelMissing { .. })
    ));
    let e = kiosk_handwriting::check(&garbage).expect_err("bad model");
    assert!(matches!(e, HandwritingError::ModelUnreadable { .. }), "{e}");
    // A real model cut short: its header no longer matches its length.
    let cut = dir.path().join("cut.model");
    let real = std::fs::read(DEFAULT_MODEL_PATH).expect("the zh_CN model");
    std::fs::write(&cut, &real[..real.len() / 2]).expect("write");
    let e = kiosk_handwriting::check(&cut).expect_err("cut model");
    assert!(e.to_string().contains("cut short"), "{e}");
    assert!(Recognizer::open(&cut).is_err(), "Zinnia agrees");
    let e = kiosk_handwriting::check_with_library(
        "libzinnia-not-here.so.0",
        Path::new(DEFAULT_MODEL_PATH),
    )
    .expect_err("no library");
    assert!(matches!(e, HandwritingError::LibraryMissing { .. }), "{e}");
    kiosk_handwriting::check(Path::new(DEFAULT_MODEL_PATH)).expect("the installed model passes");

    let a = probe(&missing);
    assert!(!a.ready);
    assert!(a.plain.starts_with("手写输入不可用"), "{}", a.plain);
    assert!(probe(Path::new(DEFAULT_MODEL_PATH)).ready);
}
