//! Power cuts during a delta apply: `kill -9` of `kiosk-sync pull` at
//! random points while it applies a large change to the live store (its
//! objects already in the cache, so the kills land in the apply). After
//! each: `PRAGMA integrity_check` passes, the content is exactly the old
//! or exactly the new bundle (every item compared with its source), and
//! the next pull completes with the new one. 20 trials on a 150-document
//! county with short bodies in `cargo test`; 200 trials on 400 documents
//! with full bodies with `KIOSK_FAULTS_LONG=1` (`tests/faults.sh --long`).
//!
//! Each trial starts from one prepared data directory (the old content
//! applied, the new objects already cached), copied; kills land within
//! 1.25 times the fastest of three uninterrupted runs of the
//! `kiosk-sync pull` binary on such a copy (so some land around the commit
//! and a few after it finished).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod support;

use kiosk_content::{ContentReader, ContentSet, Disclosure, Item};
use kiosk_sync::publish::{self, BundleObject, PublishOptions};
use kiosk_sync::pull::{PullOptions, PullResult, Source, pull_with};
use kiosk_sync::state::SystemClock;
use kiosk_sync::store::StoreApplier;
use support::{Repo, Server};

fn long_run() -> bool {
    std::env::var("KIOSK_FAULTS_LONG").is_ok_and(|v| v == "1")
}

fn trials() -> usize {
    if long_run() { 200 } else { 20 }
}

struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
}

fn objects(set: &ContentSet) -> Vec<BundleObject> {
    set.to_objects()
        .into_iter()
        .map(BundleObject::from)
        .collect()
}

/// A county (150 documents, short bodies; 400 with full bodies in the long
/// run), and the same with a third of its policies edited, 30 items
/// removed and 30 added: a delta big enough that a kill lands inside the
/// apply's transaction.
fn bundles() -> (Vec<BundleObject>, Vec<BundleObject>) {
    let docs = if long_run() { 400 } else { 150 };
    let tree = kiosk_content::generate::synthetic_tree(docs, 21);
    let mut v1 = kiosk_content::compile(&tree).unwrap_or_else(|p| panic!("synthetic:\n{p}"));
    if !long_run() {
        kiosk_content::generate::cut_bodies(&mut v1, 40);
    }
    let mut v2 = v1.clone();
    let mut n = 0;
    for item in &mut v2.items {
        if let Item::Policy(p) = item {
            if n % 3 == 0 {
                p.meta.title.push_str("（修订）");
                p.meta.keywords.push("新修订".into());
            }
            n += 1;
        }
    }
    let added: Vec<Item> = v2
        .items
        .iter()
        .take(30)
        .cloned()
        .map(|mut i| {
            match &mut i {
                Item::Policy(p) => p.meta.id.push_str("-b"),
                Item::Interpretation(p) => p.meta.id.push_str("-b"),
                Item::Guide(p) => p.meta.id.push_str("-b"),
                Item::Enterprise(p) => p.meta.id.push_str("-b"),
                Item::Consultation(p) => p.meta.id.push_str("-b"),
                Item::Catalog(p) => p.meta.id.push_str("-b"),
                Item::Place(p) => p.meta.id.push_str("-b"),
                Item::Notice(p) => p.meta.id.push_str("-b"),
                Item::Village(p) => p.meta.id.push_str("-b"),
            }
            i
        })
        .collect();
    let len = v2.items.len();
    v2.items.truncate(len - 30);
    v2.items.extend(added);
    v2.items.sort_by(|a, b| a.meta().id.cmp(&b.meta().id));
    (objects(&v1), objects(&v2))
}

/// The store passes integrity checks and holds exactly the shown items
/// of `objs`, each equal to its source.
fn holds(data: &Path, objs: &[BundleObject], trial: usize) -> bool {
    let reader = ContentReader::open(data)
        .unwrap_or_else(|e| panic!("trial {trial}: the app cannot open the store: {e}"));
    let mut n = 0u64;
    for o in objs {
        if !(o.path.starts_with("items/") || o.path.starts_with("halls/")) {
            continue;
        }
        let item: Item = serde_json::from_slice(&o.bytes).expect("source item");
        if item.meta().disclosure != Disclosure::Proactive {
            continue;
        }
        if reader.item(&item.meta().id).expect("read item").as_ref() != Some(&item) {
            return false;
        }
        n += 1;
    }
    reader.generation().item_count == n
}

fn integrity(data: &Path, trial: usize) {
    let conn = rusqlite::Connection::open(data.join("content/store.db"))
        .unwrap_or_else(|e| panic!("trial {trial}: {e}"));
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("trial {trial}: {e}"));
    assert_eq!(ok, "ok", "trial {trial}");
    for t in ["title_ft", "body_ft", "pinyin_ft"] {
        conn.execute_batch(&format!("INSERT INTO {t}({t}) VALUES ('integrity-check')"))
            .unwrap_or_else(|e| panic!("trial {trial}: {t}: {e}"));
    }
}

fn copy_tree(from: &Path, to: &Path) {
    support::copy_dir(from, to);
}

#[test]
fn kill_9_at_random_points_of_a_delta_apply_leaves_the_old_or_the_new_content() {
    let (v1, v2) = bundles();
    let repo = Repo::new();
    let opts = PublishOptions::default();
    publish::publish(&repo.dir, &repo.keys, &v1, &opts).expect("publish v1");
    let server = Server::start(&repo.dir);
    let tmp = tempfile::tempdir().expect("tempdir");
    let pull = |data: &Path| {
        pull_with(
            data,
            &Source::Http(server.url()),
            Some(&repo.root_json()),
            &SystemClock,
            &mut StoreApplier::new(data),
            &PullOptions::default(),
        )
        .map(|o| o.result)
    };
    let base = tmp.path().join("base");
    pull(&base).expect("first install");
    publish::publish(&repo.dir, &repo.keys, &v2, &opts).expect("publish v2");
    // The new objects in the cache of one prepared directory, copied for
    // each trial.
    let warm = tmp.path().join("warm");
    copy_tree(&base, &warm);
    let prepared = tmp.path().join("prepared");
    copy_tree(&base, &prepared);
    assert!(matches!(
        pull(&warm).expect("fetch the new objects"),
        PullResult::Applied { .. }
    ));
    assert!(holds(&warm, &v2, 0));
    copy_tree(&warm.join("objects"), &prepared.join("objects"));
    let _ = std::fs::remove_dir_all(&warm);

    let child = |data: &Path| support::spawn_pull(&server.url(), data, &repo.root_json());
    // How long the binary takes on a prepared copy, start to exit (the
    // fastest of three, so a cold first run does not widen it), plus a
    // quarter: the span the kills are spread over, so most land mid-pull
    // and some just around the commit, where old turns into new.
    let mut span_ms = u64::MAX;
    for i in 0..3 {
        let calibrate = tmp.path().join(format!("calibrate{i}"));
        copy_tree(&prepared, &calibrate);
        let started = Instant::now();
        let status = child(&calibrate).wait().expect("calibration pull");
        assert!(status.success(), "the calibration pull failed");
        span_ms = span_ms.min(started.elapsed().as_millis() as u64);
        assert!(holds(&calibrate, &v2, 0));
        let _ = std::fs::remove_dir_all(&calibrate);
    }
    let span_ms = (span_ms * 5 / 4).max(20);

    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    eprintln!(
        "delta power-cut trials: {} (seed {seed}, kills within {span_ms} ms)",
        trials()
    );
    let mut rng = Lcg(seed);
    let (mut old, mut new, mut finished) = (0, 0, 0);
    for trial in 0..trials() {
        let data: PathBuf = tmp.path().join(format!("t{trial}"));
        copy_tree(&prepared, &data);
        let mut child = child(&data);
        std::thread::sleep(Duration::from_millis(rng.next() % span_ms));
        match child.try_wait().expect("try_wait") {
            Some(_) => finished += 1,
            None => {
                let _ = child.kill(); // SIGKILL
            }
        }
        let _ = child.wait();

        integrity(&data, trial);
        if holds(&data, &v1, trial) {
            old += 1;
        } else if holds(&data, &v2, trial) {
            new += 1;
        } else {
            panic!("trial {trial}: the store holds neither the old nor the new content");
        }
        pull(&data).unwrap_or_else(|e| panic!("trial {trial}: the next pull failed: {e}"));
        integrity(&data, trial);
        assert!(
            holds(&data, &v2, trial),
            "trial {trial}: not the new content after the next pull"
        );
        let _ = std::fs::remove_dir_all(&data);
    }
    eprintln!(
        "delta power-cut trials: {old} left the old content, {new} the new ({finished} finished before the kill); 0 failures"
    );
    assert_eq!(old + new, trials());
}
