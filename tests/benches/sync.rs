//! Sync benchmark: bytes transferred for a 1% change vs the full bundle,
//! object verification throughput vs `sha256sum` on the same files, and
//! for 10,000 and 100,000 documents a first install and a 1% change pulled
//! from a repository directory by a child process (a fresh process, as
//! kiosk-sync is): time, the child's peak RSS (`VmHWM`) and bytes it wrote
//! (`/proc/self/io`: `wchar`, bytes passed to write calls, and
//! `write_bytes`, page-cache pages dirtied: object cache, store and state).
//!
//! `cargo bench -p kiosk-tests --bench sync` (add `-- --docs 10000
//! --large-docs 100000`; `--large-docs 0` skips the big apply).
//!
//! Traffic goes only to the in-process server on 127.0.0.1. Not a timed
//! test: it prints numbers for BENCHMARKS.md.

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use kiosk_content::SourceTree;
use kiosk_content::generate::synthetic_tree;
use kiosk_sync::pull::{PullResult, Source};
use kiosk_sync::state::ManualClock;
use kiosk_sync::store::StoreApplier;
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

/// What a child pull reported about itself.
struct ChildReport {
    secs: f64,
    hwm_kib: u64,
    write_bytes: u64,
    wchar: u64,
}

/// `VmHWM` (kB) from /proc/self/status, and `write_bytes` (page cache
/// pages dirtied, counted in 4 kB pages) and `wchar` (bytes passed to
/// write calls) from /proc/self/io.
fn self_usage() -> (u64, u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    let io = std::fs::read_to_string("/proc/self/io").unwrap_or_default();
    let field = |name: &str| {
        io.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(0)
    };
    (hwm, field("write_bytes:"), field("wchar:"))
}

/// The child: one pull from a repository directory into DATA with the real
/// store, then one line with its time, peak RSS and bytes written.
fn child_main(argv: &[String]) {
    let data = PathBuf::from(&argv[0]);
    let repo = PathBuf::from(&argv[1]);
    let root = PathBuf::from(&argv[2]);
    let clock = ManualClock::new(chrono::Utc::now());
    let t = Instant::now();
    let out = kiosk_sync::pull::pull(
        &data,
        &Source::Dir(repo),
        Some(&root),
        &clock,
        &mut StoreApplier::new(&data),
    )
    .expect("child pull");
    assert!(matches!(out.result, PullResult::Applied { .. }));
    let secs = t.elapsed().as_secs_f64();
    let (hwm, written, wchar) = self_usage();
    println!("CHILD {secs} {hwm} {written} {wchar}");
}

fn child_pull(fx: &SyncFixture) -> ChildReport {
    let exe = std::env::current_exe().expect("current exe");
    let out = Command::new(exe)
        .arg("--child-pull")
        .arg(&fx.data)
        .arg(&fx.repo)
        .arg(&fx.root_json)
        .output()
        .expect("run child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "child pull failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("CHILD "))
        .expect("child report");
    let f: Vec<&str> = line.split(' ').collect();
    ChildReport {
        secs: f[0].parse().unwrap_or(0.0),
        hwm_kib: f[1].parse().unwrap_or(0),
        write_bytes: f[2].parse().unwrap_or(0),
        wchar: f.get(3).and_then(|v| v.parse().ok()).unwrap_or(0),
    }
}

/// Bytes of the content store's files.
fn store_bytes(data: &std::path::Path) -> u64 {
    std::fs::read_dir(data.join("content"))
        .map(|rd| {
            rd.flatten()
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

/// One pull + apply of what `fx` publishes, in a child process; prints its
/// time, peak RSS and bytes written against the store's size after it.
fn apply_in_child(fx: &SyncFixture, docs: usize, what: &str) {
    let r = child_pull(fx);
    let store = store_bytes(&fx.data);
    println!(
        "apply {docs} docs, {what}: {:.2} s, peak RSS {:.1} MiB, written {:.1} MiB by write calls ({:.2}% of the store), {:.1} MiB of pages dirtied ({:.2}%), store {:.1} MiB",
        r.secs,
        r.hwm_kib as f64 / 1024.0,
        mib(r.wchar),
        100.0 * r.wchar as f64 / store.max(1) as f64,
        mib(r.write_bytes),
        100.0 * r.write_bytes as f64 / store.max(1) as f64,
        mib(store)
    );
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.iter().any(|a| a == "--list") {
        return;
    }
    if let Some(i) = argv.iter().position(|a| a == "--child-pull") {
        child_main(&argv[i + 1..]);
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

    // Pull + apply in a child process (a fresh process, as kiosk-sync is):
    // first install, then a 1% change, from a repository directory. The
    // child reports its own peak RSS and bytes written.
    for n in [docs, large] {
        if n == 0 {
            continue;
        }
        let (v1, v2, changed) = if n == docs {
            (v1.clone(), v2.clone(), changed)
        } else {
            let t = Instant::now();
            let tree = synthetic_tree(n, 11);
            let (tree2, changed) = change_one_percent(&tree);
            let pair = (objects_of(&tree), objects_of(&tree2), changed);
            println!(
                "compiled {n} docs twice in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            pair
        };
        let fx = SyncFixture::new();
        for (objects, what, is_change) in [
            (v1, "first install".to_string(), false),
            (v2, format!("1% change ({changed} policies)"), true),
        ] {
            fx.publish(&objects);
            drop(objects);
            if n == large
                && is_change
                && let Ok(keep) = std::env::var("KIOSK_BENCH_KEEP")
            {
                keep_for_reruns(&fx, std::path::Path::new(&keep));
            }
            apply_in_child(&fx, n, &what);
        }
    }
}

/// With `KIOSK_BENCH_KEEP=DIR`: copies the large run's kiosk data folder
/// (first install applied), the repository (the 1% change published) and
/// the trusted root into DIR, so the change can be applied again by hand:
/// `cp -a DIR/data D && target/release/deps/sync-* --child-pull D DIR/repo
/// DIR/root.json`.
fn keep_for_reruns(fx: &SyncFixture, keep: &std::path::Path) {
    std::fs::create_dir_all(keep).expect("keep folder");
    for (from, to) in [(&fx.data, "data"), (&fx.repo, "repo")] {
        let status = Command::new("cp")
            .arg("-a")
            .arg(from)
            .arg(keep.join(to))
            .status()
            .expect("cp");
        assert!(status.success(), "cp -a {}", from.display());
    }
    std::fs::copy(&fx.root_json, keep.join("root.json")).expect("root.json");
    println!("kept for reruns in {}", keep.display());
}
