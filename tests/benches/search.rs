//! Search latency over a large synthetic store.
//!
//! `cargo bench -p kiosk-tests --bench search -- --docs 100000 --runs 300
//! [--store DIR] [--only CLASS]`
//!
//! Builds a store from generated policies (through the real parser and
//! writer), then times one-box searches by query class and prints p50/p99.
//! `--store DIR` keeps the store in DIR and reuses it on the next run when
//! it holds the same number of documents and this program's schema version
//! (the 100k build takes about 90 s); delete DIR after changing how the
//! store is derived without a schema change. `--only CLASS` times only the
//! class named CLASS (else the classes whose name contains it), without
//! the baselines, for profilers: `tests/benches/search-callgrind.sh`.
//! Two baselines run in the same process, because these machines are noisy:
//! a naive `LIKE '%q%'` title scan (what search would cost without the
//! index) and a fixed CPU workload (SHA-256 of 1 MiB) to calibrate.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use kiosk_content::{
    ContentReader, ContentWriter, GenerationInfo, compile, generate::synthetic_tree,
};
use sha2::Digest;

struct Args {
    docs: usize,
    runs: usize,
    store: Option<std::path::PathBuf>,
    only: Option<String>,
}

fn args() -> Args {
    let mut a = Args {
        docs: 100_000,
        runs: 300,
        store: None,
        only: None,
    };
    let argv: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < argv.len() {
        let next = argv.get(i + 1).and_then(|v| v.parse().ok());
        match (argv[i].as_str(), next) {
            ("--docs", Some(n)) => {
                a.docs = n;
                i += 1;
            }
            ("--runs", Some(n)) => {
                a.runs = n;
                i += 1;
            }
            ("--store", _) if i + 1 < argv.len() => {
                a.store = Some(argv[i + 1].clone().into());
                i += 1;
            }
            ("--only", _) if i + 1 < argv.len() => {
                a.only = Some(argv[i + 1].clone());
                i += 1;
            }
            _ => {} // cargo passes --bench; ignore what we do not know
        }
        i += 1;
    }
    a
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn time_queries(reader: &ContentReader, queries: &[&str], runs: usize) -> (Vec<Duration>, usize) {
    // Warm the page cache and statement cache first.
    for q in queries {
        let _ = reader.search(q, 20);
    }
    let mut times = Vec::with_capacity(runs);
    let mut hits = 0;
    for i in 0..runs {
        let q = queries[i % queries.len()];
        let t = Instant::now();
        let res = reader.search(q, 20).expect("search");
        times.push(t.elapsed());
        hits += res.total();
    }
    times.sort();
    (times, hits / runs.max(1))
}

fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Marker beside a kept store: what it was built from. "live store": the
/// one `store.db` (WAL, sparse per-kind rowids) that kiosks have run since
/// the delta apply (issue 14); stores kept from before are rebuilt.
fn marker(docs: usize) -> String {
    format!(
        "docs {docs}, schema {}, live store\n",
        kiosk_content::store::schema::current_version()
    )
}

/// A store kept by an earlier run, when it was built from as many documents
/// with this schema.
fn reuse(dir: &Path, docs: usize) -> Option<ContentReader> {
    let found = std::fs::read_to_string(dir.join("bench-store.txt")).ok()?;
    if found != marker(docs) {
        return None;
    }
    ContentReader::open(dir).ok()
}

fn build(dir: &Path, docs: usize) -> ContentReader {
    // A kept bench store is rebuilt from scratch; anything else is left alone.
    if dir.join("content").exists() {
        assert!(
            dir.join("bench-store.txt").exists(),
            "{} holds content this bench did not build; give --store an empty or new directory",
            dir.display()
        );
        std::fs::remove_dir_all(dir.join("content")).expect("remove the old bench store");
    }
    let _ = std::fs::remove_file(dir.join("bench-store.txt"));
    let t = Instant::now();
    let mut tree = synthetic_tree(docs, 1);
    // The demo district's synonyms, so everyday names take their real path.
    if let Some(syn) = kiosk_content::demo::demo_tree().get("synonyms.csv") {
        tree.insert("synonyms.csv", syn.to_vec());
    }
    let content = compile(&tree).expect("synthetic source compiles");
    let compile_time = t.elapsed();
    let t = Instant::now();
    let mut writer = ContentWriter::open(dir).expect("writer");
    writer
        .apply_generation(
            &content,
            &GenerationInfo {
                bundle_version: 1,
                channel: "bench".into(),
                published_at: None,
            },
        )
        .expect("apply");
    let apply_time = t.elapsed();
    drop(content);
    drop(tree);
    let reader = ContentReader::open(dir).expect("reader");
    println!(
        "parse+validate {:.1} s, build store {:.1} s, store file {:.1} MiB",
        compile_time.as_secs_f64(),
        apply_time.as_secs_f64(),
        reader.file_size() as f64 / 1048576.0
    );
    std::fs::write(dir.join("bench-store.txt"), marker(docs)).expect("write marker");
    reader
}

fn main() {
    let a = args();
    println!(
        "search benchmark: {} generated policies, {} runs per query class",
        a.docs, a.runs
    );
    let temp;
    let dir: &Path = match &a.store {
        Some(d) => d,
        None => {
            temp = tempfile::tempdir().expect("tempdir");
            temp.path()
        }
    };
    let mut reader = match reuse(dir, a.docs) {
        Some(r) => {
            println!(
                "reusing the store in {} ({:.1} MiB)",
                dir.display(),
                r.file_size() as f64 / 1048576.0
            );
            r
        }
        None => build(dir, a.docs),
    };
    reader.set_today(NaiveDate::from_ymd_opt(2026, 11, 23));

    let classes: &[(&str, &[&str])] = &[
        ("1 CJK char", &["税", "保", "医", "农", "房"]),
        ("2 CJK chars", &["低保", "医保", "税收", "补贴", "养老"]),
        (
            "4 CJK chars",
            &["最低生活", "减税降费", "危房改造", "就业创业"],
        ),
        ("pinyin initials", &["db", "yb", "jsjf", "wfgz"]),
        ("pinyin full", &["dibao", "yibao", "yanglao"]),
        ("文号", &["示政办发〔2015〕33号", "[2018]12", "2020-7"]),
        ("question", &["低保怎么申请", "医保异地就医如何结算"]),
        (
            "question with framing",
            &[
                "高龄补贴怎么领",
                "低保需要什么材料",
                "医保一年交多少钱",
                "身份证在哪里办",
            ],
        ),
        (
            "everyday name (synonyms)",
            &["上户口", "房产证", "开超市要什么证", "社保卡", "新农合"],
        ),
        (
            "partial words",
            &["耕地补贴", "残疾补贴", "危房补助", "养老待遇"],
        ),
        ("one-character typo", &["底保", "最低生活保帐", "危方改造"]),
        // The synthetic store holds policies and the catalog; 惠企政策 names
        // a section it lacks.
        ("section name", &["政策文件", "公开目录", "惠企政策"]),
        ("nothing matches", &["xqzxq", "结婚登记"]),
    ];
    println!();
    println!("| query class | queries | p50 ms | p99 ms | max ms | avg hits |");
    println!("|---|---|---|---|---|---|");
    // --only: the class of exactly that name, else every class whose name
    // contains it.
    let exact = a
        .only
        .as_deref()
        .is_some_and(|o| classes.iter().any(|(n, _)| *n == o));
    for (name, queries) in classes {
        if a.only
            .as_deref()
            .is_some_and(|o| if exact { *name != o } else { !name.contains(o) })
        {
            continue;
        }
        let (times, hits) = time_queries(&reader, queries, a.runs);
        println!(
            "| {name} | {} | {} | {} | {} | {hits} |",
            queries.join(" "),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
            ms(*times.last().unwrap_or(&Duration::ZERO))
        );
    }

    if a.only.is_some() {
        return;
    }
    // Baseline 1: the same 2-character lookup without the index.
    let path = dir.join("content").join("store.db");
    let conn =
        rusqlite::Connection::open_with_flags(&path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open");
    let mut naive = Vec::new();
    for q in ["低保", "医保", "税收", "补贴", "养老"]
        .iter()
        .cycle()
        .take(25)
    {
        let t = Instant::now();
        let mut stmt = conn
            .prepare_cached("SELECT id FROM items WHERE title LIKE '%' || ?1 || '%' ORDER BY rowid DESC LIMIT 20")
            .expect("prepare");
        let n = stmt
            .query_map([q], |r| r.get::<_, String>(0))
            .expect("query")
            .count();
        naive.push(t.elapsed());
        assert!(n > 0);
    }
    naive.sort();
    // Baseline 2: fixed CPU work, to compare runs on different days.
    let buf = vec![7u8; 1 << 20];
    let mut cal = Vec::new();
    for _ in 0..100 {
        let t = Instant::now();
        std::hint::black_box(sha2::Sha256::digest(&buf));
        cal.push(t.elapsed());
    }
    cal.sort();
    println!();
    println!("| baseline (same run) | p50 ms | p99 ms |");
    println!("|---|---|---|");
    println!(
        "| naive LIKE title scan, 2 chars | {} | {} |",
        ms(percentile(&naive, 0.5)),
        ms(percentile(&naive, 0.99))
    );
    println!(
        "| SHA-256 of 1 MiB (CPU calibration) | {} | {} |",
        ms(percentile(&cal, 0.5)),
        ms(percentile(&cal, 0.99))
    );
    if let Some(rss) = rss_kib() {
        println!();
        println!("process RSS after the run: {:.1} MiB", rss as f64 / 1024.0);
    }
}
