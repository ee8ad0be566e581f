//! Sync benchmark: bytes transferred for a 1% change vs the full bundle,
//! object verification throughput vs `sha256sum` on the same files, and
//! apply time for 10,000 and 100,000 documents.
//!
//! `cargo bench -p kiosk-tests --bench sync` (add `-- --docs 10000
//! --large-docs 100000`; `--large-docs 0` skips the big apply).
//!
//! Traffic goes only to the in-process server on 127.0.0.1. Not a timed
//! test: it prints numbers for BENCHMARKS.md.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use kiosk_content::generate::synthetic_tree;
use kiosk_content::{ContentSet, ContentWriter, GenerationInfo, SourceTree, compile};
use kiosk_sync::pull::{PullResult, Source};
use kiosk_tests::sync_support::{SyncFixture, objects_of};
use sha2::Digest;

fn arg(name: &str, default: usize) -> usize {
    let argv: Vec<String> = std::env::args().collect();
    argv.iter()
        .position(|a| a == name)
        .and_then(|i| argv.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Change the body of every 100th policy file: 1% of the documents.
fn change_one_percent(tree: &SourceTree) -> (SourceTree, usize) {
    let mut out = tree.clone();
    let policies: Vec<String> = tree
        .paths()
        .filter(|p| p.starts_with("policies/") && p.ends_with(".md"))
        .map(str::to_string)
        .collect();
    let mut n = 0;
    for p in policies.iter().step_by(100) {
        let body = String::from_utf8_lossy(tree.get(p).unwrap_or_default()).into_owned();
        out.insert(
            p.clone(),
            format!("{body}\n\n（2026年修订：本条补充说明。）\n"),
        );
        n += 1;
    }
    (out, n)
}

fn mib(b: u64) -> f64 {
    b as f64 / (1024.0 * 1024.0)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let docs = arg("--docs", 10_000);
    let large = arg("--large-docs", 100_000);
    println!(
        "# sync benchmark ({} cores)",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let t = Instant::now();
    let tree = synthetic_tree(docs, 7);
    let v1 = objects_of(&tree);
    let (tree2, changed) = change_one_percent(&tree);
    let v2 = objects_of(&tree2);
    println!(
        "compiled {docs} docs twice in {:.1} s ({} objects)",
        t.elapsed().as_secs_f64(),
        v1.len()
    );

    let fx = SyncFixture::new();
    fx.publish(&v1);
    let t = Instant::now();
    let full = fx.pull().expect("full pull");
    let full_s = t.elapsed().as_secs_f64();
    assert!(matches!(full.result, PullResult::Applied { .. }));
    println!(
        "full pull: {} bytes ({:.2} MiB), {} objects, {:.2} s (fetch + verify + apply {docs} docs)",
        full.bytes_transferred,
        mib(full.bytes_transferred),
        full.objects_fetched,
        full_s
    );

    fx.publish(&v2);
    let t = Instant::now();
    let delta = fx.pull().expect("delta pull");
    let delta_s = t.elapsed().as_secs_f64();
    let ratio = 100.0 * delta.bytes_transferred as f64 / full.bytes_transferred as f64;
    println!(
        "1% change ({changed} of {docs} policies): {} bytes ({:.1} KiB), {} objects fetched, {:.2} s; {ratio:.2}% of the full transfer (goal <= 3%)",
        delta.bytes_transferred,
        delta.bytes_transferred as f64 / 1024.0,
        delta.objects_fetched,
        delta_s
    );

    // Verification throughput: what pull does for each object (read,
    // sha256, compare) vs sha256sum over the same files.
    let objdir = fx.data.join("objects");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&objdir)
        .expect("objects")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let total: u64 = files
        .iter()
        .map(|p| std::fs::metadata(p).map_or(0, |m| m.len()))
        .sum();
    // Warm the page cache for both.
    for p in &files {
        let _ = std::fs::read(p);
    }
    let mut best_ours = f64::MAX;
    let mut best_base = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        for p in &files {
            let bytes = std::fs::read(p).expect("read");
            let got = format!("{:x}", sha2::Sha256::digest(&bytes));
            assert_eq!(Some(got.as_str()), p.file_name().and_then(|n| n.to_str()));
        }
        best_ours = best_ours.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        for chunk in files.chunks(2000) {
            let out = Command::new("sha256sum")
                .args(chunk)
                .output()
                .expect("sha256sum");
            assert!(out.status.success());
        }
        best_base = best_base.min(t.elapsed().as_secs_f64());
    }
    println!(
        "verification: {} files, {:.2} MiB: kiosk-sync {:.1} MiB/s, sha256sum {:.1} MiB/s -> {:.0}% (goal >= 80%)",
        files.len(),
        mib(total),
        mib(total) / best_ours,
        mib(total) / best_base,
        100.0 * best_base / best_ours
    );

    // Apply time alone (ContentSet from objects + one atomic generation).
    for n in [docs, large] {
        if n == 0 {
            continue;
        }
        let objs = if n == docs {
            v1.clone()
        } else {
            objects_of(&synthetic_tree(n, 11))
        };
        let dir = tempfile::tempdir().expect("tmp");
        let t = Instant::now();
        let set = ContentSet::from_objects(
            objs.into_iter()
                .map(|o| kiosk_content::ContentObject {
                    path: o.path,
                    bytes: o.bytes,
                })
                .collect(),
        )
        .expect("from_objects");
        let mut w = ContentWriter::open(dir.path()).expect("writer");
        let rec = w
            .apply_generation(
                &set,
                &GenerationInfo {
                    bundle_version: 1,
                    channel: "bench".into(),
                    published_at: None,
                },
            )
            .expect("apply");
        println!(
            "apply {n} docs: {:.2} s ({} items)",
            t.elapsed().as_secs_f64(),
            rec.item_count
        );
    }
    let _ = (compile, Source::Dir(PathBuf::new()));
}
