//! End to end: publish -> serve on 127.0.0.1 -> pull -> store, and every
//! way an update must be refused while the old content stays current.

use chrono::{Duration, TimeZone, Utc};
use kiosk_content::SourceTree;
use kiosk_sync::keydir::{KeyDir, hall_role};
use kiosk_sync::manifest::sha256_hex;
use kiosk_sync::publish::{self, BundleObject, PublishOptions};
use kiosk_sync::pull::{PullResult, Source};
use kiosk_sync::state::Clock;
use kiosk_sync::tuf::repo;
use kiosk_tests::sync_support::{Server, SyncFixture, district_keys, objects_of};
use serde_json::Value;

const POLICY: &str = "policies/sfx-2017-021.md";

fn demo() -> SourceTree {
    kiosk_content::source::demo_tree()
}

/// The demo with one policy's body changed.
fn demo_with_changed_policy(text: &str) -> SourceTree {
    let mut tree = demo();
    let body = String::from_utf8(tree.get(POLICY).expect("demo policy").to_vec()).expect("utf8");
    tree.insert(POLICY, format!("{body}\n\n（{text}）\n"));
    tree
}

fn policy_object(objs: &[BundleObject]) -> &BundleObject {
    objs.iter()
        .find(|o| o.path.contains("sfx-2017-021"))
        .expect("policy object")
}

/// A fixture with bundle 1 published and pulled.
fn pulled_v1() -> SyncFixture {
    let fx = SyncFixture::new();
    fx.publish(&objects_of(&demo()));
    let out = fx.pull().expect("first pull");
    assert!(
        matches!(out.result, PullResult::Applied { generation: 1, .. }),
        "{out:?}"
    );
    fx
}

/// [`pulled_v1`], then bundle 2 (the policy changed to `text`) published
/// and pulled; with generation 2.
fn pulled_v2(text: &str) -> (SyncFixture, kiosk_content::GenerationRecord) {
    let fx = pulled_v1();
    fx.publish(&objects_of(&demo_with_changed_policy(text)));
    fx.pull().expect("v2");
    let g2 = fx.current().expect("g2");
    (fx, g2)
}

/// [`pulled_v1`], a copy of its repository as `name` (still bundle 1), then
/// bundle 2 published and pulled: the fixture, the copy and generation 2.
fn pulled_v2_with_v1_copy(
    name: &str,
) -> (
    SyncFixture,
    std::path::PathBuf,
    kiosk_content::GenerationRecord,
) {
    let fx = pulled_v1();
    let copy = fx.snapshot_repo(name);
    fx.publish(&objects_of(&demo_with_changed_policy("新版")));
    fx.pull().expect("v2");
    let g2 = fx.current().expect("g2");
    (fx, copy, g2)
}

/// The error of a pull from `source`, after checking the current generation
/// is unchanged.
fn refused_from(
    fx: &SyncFixture,
    source: &Source,
    before: &kiosk_content::GenerationRecord,
    what: &str,
) -> String {
    let err = fx.pull_from(source).expect_err(what);
    assert_eq!(fx.current().as_ref(), Some(before));
    err.to_string()
}

/// A timestamp `version` naming snapshot `snapshot_version` (whose bytes are
/// `snapshot`), signed by `signers` and written over `md/timestamp.json`.
fn write_timestamp(
    md: &std::path::Path,
    version: u64,
    snapshot_version: u64,
    snapshot: &[u8],
    signers: &[&kiosk_sync::tuf::keys::RoleSigner],
) {
    let ts = repo::timestamp_signed(
        version,
        Utc::now() + Duration::days(1),
        repo::meta_entry(snapshot_version, snapshot),
    );
    std::fs::write(
        md.join("timestamp.json"),
        repo::sign(&ts, signers).expect("sign"),
    )
    .expect("write");
}

/// The error text, after checking the current generation is unchanged.
fn refused(fx: &SyncFixture, before: &kiosk_content::GenerationRecord) -> String {
    let err = fx.pull().expect_err("update must be refused");
    let after = fx.current().expect("old content still there");
    assert_eq!(
        &after, before,
        "the current generation changed although the update failed"
    );
    let status = kiosk_sync::daemon::collect_status(&fx.data, None, false);
    let named = Source::Http(fx.server.url()).describe_error(&err);
    assert_eq!(status.last_error, Some(named));
    err.to_string()
}

fn read_json(path: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).expect("read")).expect("json")
}

#[test]
fn publish_serve_pull_applies_and_a_changed_policy_costs_one_object() {
    let fx = pulled_v1();
    let g1 = fx.current().expect("generation 1");
    assert_eq!(g1.generation, 1);
    assert!(g1.item_count > 10);
    assert_eq!(g1.channel, fx.server.url());

    // Nothing new: a poll fetches timestamp.json only.
    fx.server.faults.reset_counters();
    let out = fx.pull().expect("poll");
    assert!(matches!(out.result, PullResult::UpToDate { .. }));
    let reqs = fx.server.faults.requests();
    assert!(
        reqs.iter()
            .all(|r| r.contains("root.json") || r.contains("timestamp.json")),
        "{reqs:?}"
    );

    let v2 = objects_of(&demo_with_changed_policy("本次修改一处"));
    let changed = policy_object(&v2);
    fx.publish(&v2);
    fx.server.faults.reset_counters();
    let pull_started = std::time::Instant::now();
    let out = fx.pull().expect("second pull");
    let pull_took = pull_started.elapsed();
    assert!(
        matches!(out.result, PullResult::Applied { generation: 2, .. }),
        "{out:?}"
    );

    // Objects fetched: exactly the changed policy and the one shard listing it.
    let object_reqs: Vec<String> = fx
        .server
        .faults
        .requests()
        .into_iter()
        .filter(|r| r.starts_with("GET /objects/"))
        .collect();
    assert_eq!(object_reqs.len(), 2, "{object_reqs:?}");
    let changed_url = format!("/objects/{}", sha256_hex(&changed.bytes));
    assert_eq!(
        fx.server.faults.bytes_for(&changed_url),
        changed.bytes.len() as u64
    );
    let shard_url = object_reqs
        .iter()
        .map(|r| r.split_whitespace().nth(1).unwrap_or_default().to_string())
        .find(|u| *u != changed_url)
        .expect("shard request");
    let shard_len = std::fs::metadata(fx.repo.join(shard_url.trim_start_matches('/')))
        .expect("shard")
        .len();
    let objects_bytes: u64 = [changed_url.as_str(), shard_url.as_str()]
        .iter()
        .map(|u| fx.server.faults.bytes_for(u))
        .sum();
    assert_eq!(objects_bytes, changed.bytes.len() as u64 + shard_len);
    // Everything else was metadata and the manifest.
    let total = fx.server.faults.body_bytes();
    let md: u64 = ["timestamp.json", "2.snapshot.json", "2.targets.json"]
        .iter()
        .map(|f| {
            std::fs::metadata(fx.repo.join("metadata").join(f))
                .expect("md")
                .len()
        })
        .sum();
    let manifest = std::fs::read_dir(fx.repo.join("targets/bundle"))
        .expect("targets")
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            fx.server.faults.bytes_for(&format!(
                "/targets/bundle/{}",
                p.file_name().unwrap_or_default().to_string_lossy()
            )) > 0
        })
        .expect("manifest fetched");
    let manifest_len = std::fs::metadata(&manifest).expect("manifest").len();
    assert_eq!(total, objects_bytes + md + manifest_len);
    assert_eq!(out.bytes_transferred, total);
    // The time spent downloading is reported apart from the rest of the
    // pull (tests/bench/sync_curl.py compares it with curl); it cannot
    // exceed the pull's own duration.
    assert!(out.transfer_time > std::time::Duration::ZERO);
    assert!(
        out.transfer_time <= pull_took,
        "{:?} > {pull_took:?}",
        out.transfer_time
    );

    let g2 = fx.current().expect("generation 2");
    assert_eq!(g2.generation, 2);
    assert_eq!(g2.bundle_version, 2);
}

#[test]
fn an_interrupted_download_resumes_and_sends_each_byte_once() {
    let fx = SyncFixture::new();
    let objs = objects_of(&demo());
    let biggest = objs.iter().max_by_key(|o| o.bytes.len()).expect("objects");
    assert!(biggest.bytes.len() > 1000, "want a sizeable object to cut");
    let url = format!("/objects/{}", sha256_hex(&biggest.bytes));
    fx.publish(&objs);
    let half = biggest.bytes.len() as u64 / 2;
    fx.server.faults.cut_next_response(&url, half);
    let out = fx.pull().expect("pull resumes after the cut");
    assert!(matches!(out.result, PullResult::Applied { .. }));
    assert_eq!(
        fx.server.faults.bytes_for(&url),
        biggest.bytes.len() as u64,
        "bytes sent twice or missing"
    );
    let reqs: Vec<String> = fx
        .server
        .faults
        .requests()
        .into_iter()
        .filter(|r| r.contains(&url))
        .collect();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert!(reqs[1].ends_with(&format!("bytes={half}-")), "{reqs:?}");
}

#[test]
fn a_target_with_a_changed_byte_is_refused() {
    let fx = pulled_v1();
    let before = fx.current().expect("g1");
    let v2 = objects_of(&demo_with_changed_policy("改一个字节"));
    fx.publish(&v2);
    let path = fx
        .repo
        .join("objects")
        .join(sha256_hex(&policy_object(&v2).bytes));
    let mut bytes = std::fs::read(&path).expect("object");
    bytes[10] ^= 0x01;
    std::fs::write(&path, bytes).expect("tamper");
    let err = refused(&fx, &before);
    assert!(
        err.contains("hashes to") && err.contains("sfx-2017-021"),
        "{err}"
    );
}

#[test]
fn a_bad_signature_is_refused() {
    let fx = pulled_v1();
    let before = fx.current().expect("g1");
    fx.publish(&objects_of(&demo_with_changed_policy("签名")));
    let ts = fx.repo.join("metadata/timestamp.json");
    let mut doc = read_json(&ts);
    let sig = doc["signatures"][0]["sig"]
        .as_str()
        .expect("sig")
        .to_string();
    let flipped = format!(
        "{}{}",
        if sig.starts_with('0') { "1" } else { "0" },
        &sig[1..]
    );
    doc["signatures"][0]["sig"] = Value::String(flipped);
    std::fs::write(&ts, serde_json::to_vec(&doc).expect("json")).expect("write");
    let err = refused(&fx, &before);
    assert!(
        err.contains("timestamp.json") && err.contains("0 valid signature"),
        "{err}"
    );
}

/// Root v2 signed by one root key of a 2-of-3 root.
fn root_v2_signed_by_one(fx: &SyncFixture, duplicate: bool) {
    let env: Value = read_json(&fx.repo.join("metadata/root.json"));
    let mut signed = env["signed"].clone();
    signed["version"] = Value::from(2);
    let one = fx.keys.signers("root");
    let bytes = repo::sign(&signed, &one[..1]).expect("sign");
    let mut doc: Value = serde_json::from_slice(&bytes).expect("json");
    if duplicate {
        let s = doc["signatures"][0].clone();
        doc["signatures"].as_array_mut().expect("list").push(s);
    }
    std::fs::write(
        fx.repo.join("metadata/2.root.json"),
        serde_json::to_vec(&doc).expect("json"),
    )
    .expect("write");
}

#[test]
fn a_signature_below_threshold_is_refused() {
    let fx = pulled_v1();
    let before = fx.current().expect("g1");
    root_v2_signed_by_one(&fx, false);
    let err = refused(&fx, &before);
    assert!(
        err.contains("2.root.json") && err.contains("only 1 valid") && err.contains("2 needed"),
        "{err}"
    );
}

#[test]
fn duplicate_key_ids_do_not_count_twice() {
    let fx = pulled_v1();
    let before = fx.current().expect("g1");
    root_v2_signed_by_one(&fx, true);
    let err = refused(&fx, &before);
    assert!(err.contains("signs more than once"), "{err}");
}

#[test]
fn an_expired_timestamp_is_refused() {
    let fx = pulled_v1();
    let before = fx.current().expect("g1");
    let mut opts = fx.opts();
    opts.expiry.timestamp = Duration::days(1);
    fx.publish_with(&objects_of(&demo_with_changed_policy("过期")), &opts);
    fx.set_time(Utc::now() + Duration::days(2));
    let err = refused(&fx, &before);
    assert!(
        err.contains("timestamp.json") && err.contains("expired"),
        "{err}"
    );
}

#[test]
fn a_clock_set_back_to_1970_does_not_accept_expired_metadata() {
    let fx = pulled_v1();
    let before = fx.current().expect("g1");
    // Signed 30 days ago with a 7-day timestamp: expired before the newest
    // signed time the kiosk has seen (bundle 1's publish time).
    let opts = PublishOptions {
        now: Utc::now() - Duration::days(30),
        ..PublishOptions::default()
    };
    fx.publish_with(&objects_of(&demo_with_changed_policy("冻结")), &opts);
    fx.set_time(
        Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0)
            .single()
            .expect("1970"),
    );
    let err = refused(&fx, &before);
    assert!(err.contains("expired"), "{err}");
}

#[test]
fn rollback_of_snapshot_and_targets_versions_is_refused() {
    let (fx, before) = pulled_v2("第二版");
    let snap_key = fx.keys.signers("snapshot");
    let ts_key = fx.keys.signers("timestamp");
    let md = fx.repo.join("metadata");

    // A new timestamp naming the old snapshot version 1.
    let old_snap = std::fs::read(md.join("1.snapshot.json")).expect("old snapshot");
    write_timestamp(&md, 10, 1, &old_snap, &ts_key);
    let err = refused(&fx, &before);
    assert!(
        err.contains("rollback") && err.contains("snapshot version"),
        "{err}"
    );

    // A new snapshot listing the old targets version 1.
    let old_targets = std::fs::read(md.join("1.targets.json")).expect("old targets");
    let mut meta = std::collections::BTreeMap::new();
    meta.insert(
        "targets.json".to_string(),
        repo::meta_entry(1, &old_targets),
    );
    let snap = repo::snapshot_signed(11, Utc::now() + Duration::days(1), &meta);
    let snap_bytes = repo::sign(&snap, &snap_key).expect("sign");
    std::fs::write(md.join("11.snapshot.json"), &snap_bytes).expect("write");
    write_timestamp(&md, 11, 11, &snap_bytes, &ts_key);
    let err = refused(&fx, &before);
    assert!(
        err.contains("rollback") && err.contains("targets.json"),
        "{err}"
    );
}

#[test]
fn mixed_metadata_from_two_versions_is_refused() {
    let (fx, before) = pulled_v2("第二版");
    fx.publish(&objects_of(&demo_with_changed_policy("第三版")));
    let md = fx.repo.join("metadata");
    std::fs::copy(md.join("2.targets.json"), md.join("3.targets.json")).expect("mix");
    let err = refused(&fx, &before);
    assert!(
        err.contains("targets.json") && err.contains("changed after signing"),
        "{err}"
    );
}

#[test]
fn an_endless_response_is_cut_off() {
    let fx = pulled_v1();
    let before = fx.current().expect("g1");
    fx.publish(&objects_of(&demo_with_changed_policy("无穷")));
    fx.server.faults.serve_endless("timestamp.json");
    let err = refused(&fx, &before);
    assert!(
        err.contains("timestamp.json") && err.contains("more than 16384 bytes"),
        "{err}"
    );
    assert!(fx.server.faults.body_bytes() < 10 * 1024 * 1024);
}

#[test]
fn a_mirror_serving_an_old_repository_is_refused() {
    let (fx, old, before) = pulled_v2_with_v1_copy("old-mirror");
    let mirror = Server::start(&old);
    let err = refused_from(&fx, &Source::Http(mirror.url()), &before, "old mirror");
    assert!(err.contains("rollback"), "{err}");
}

#[test]
fn a_usb_import_older_than_the_current_generation_is_refused() {
    let (fx, usb, before) = pulled_v2_with_v1_copy("usb-stick");
    let err = refused_from(&fx, &Source::Dir(usb.clone()), &before, "old stick");
    assert!(err.contains("older"), "{err}");
    // The staff panel sees the failed import, naming the stick.
    let last_import = |fx: &SyncFixture| {
        kiosk_sync::daemon::collect_status(&fx.data, None, false)
            .last_import
            .expect("an import is recorded")
    };
    let rec = last_import(&fx);
    assert_eq!(rec.source, usb.display().to_string());
    assert!(!rec.ok && rec.generation.is_none(), "{rec:?}");
    assert!(rec.message.contains(&rec.source) && rec.message.contains("older"));

    // A current stick works, and offline-from-USB applies a newer bundle.
    fx.publish(&objects_of(&demo_with_changed_policy("第三版")));
    let usb2 = fx.snapshot_repo("usb-stick-2");
    let out = fx
        .pull_from(&Source::Dir(usb2.clone()))
        .expect("newer stick");
    assert!(matches!(out.result, PullResult::Applied { .. }));
    assert_eq!(
        fx.current().expect("g3").channel,
        format!("usb:{}", usb2.display())
    );
    let rec = last_import(&fx);
    assert!(rec.ok && rec.generation == Some(3), "{rec:?}");
    assert_eq!(rec.finished_at, fx.clock.now());

    // The same stick again: nothing newer, which is not a failure.
    fx.pull_from(&Source::Dir(usb2.clone()))
        .expect("same stick");
    let rec = last_import(&fx);
    assert!(rec.ok && rec.generation.is_none(), "{rec:?}");
    assert!(rec.message.contains("already has"), "{rec:?}");
    // An HTTP pull is no import: the record stays.
    fx.pull().expect("up to date");
    assert_eq!(last_import(&fx), rec);
}

#[test]
fn root_rotation_works_and_an_old_root_key_alone_can_no_longer_sign() {
    let fx = pulled_v1();
    let new_keys = district_keys(&fx.tmp.path().join("new-keys"), 2, 2);
    publish::rotate_root(&fx.repo, &fx.keys, &new_keys, &fx.opts()).expect("rotate");
    publish::publish(
        &fx.repo,
        &new_keys,
        &objects_of(&demo_with_changed_policy("新钥匙")),
        &fx.opts(),
    )
    .expect("publish");
    let out = fx.pull().expect("pull after rotation");
    assert!(matches!(
        out.result,
        PullResult::Applied { generation: 2, .. }
    ));
    let trusted = read_json(&fx.data.join("tuf/root.json"));
    assert_eq!(trusted["signed"]["version"], 2);
    let before = fx.current().expect("g2");

    // Root v3 signed by the old root keys (even a full threshold of them).
    let mut signed = trusted["signed"].clone();
    signed["version"] = Value::from(3);
    let bytes = repo::sign(&signed, &fx.keys.signers("root")).expect("sign");
    std::fs::write(fx.repo.join("metadata/3.root.json"), bytes).expect("write");
    let err = refused(&fx, &before);
    assert!(
        err.contains("3.root.json") && err.contains("only 0 valid"),
        "{err}"
    );

    // Old targets key can no longer sign targets either.
    std::fs::remove_file(fx.repo.join("metadata/3.root.json")).expect("rm");
    let err = publish::publish(&fx.repo, &fx.keys, &objects_of(&demo()), &fx.opts())
        .expect_err("old keys");
    assert!(err.to_string().contains("rotate-root"), "{err}");
}

fn hall_fixture() -> (SyncFixture, KeyDir, Vec<BundleObject>, Vec<BundleObject>) {
    let fx = SyncFixture::new();
    let hall_keys = KeyDir::generate(
        &fx.tmp.path().join("hall-keys"),
        &[(hall_role("chengguan"), 1, 1)],
    )
    .expect("hall keygen");
    let mut district = KeyDir::load(&fx.keys.dir).expect("keys");
    district.file.halls.insert(
        "chengguan".into(),
        hall_keys
            .public(&hall_role("chengguan"))
            .expect("public")
            .clone(),
    );
    district.save().expect("save");
    let (hall, rest): (Vec<_>, Vec<_>) = objects_of(&demo())
        .into_iter()
        .partition(|o| o.path.starts_with("halls/chengguan/"));
    assert!(!hall.is_empty(), "the demo has notices of hall chengguan");
    publish::publish(&fx.repo, &district, &rest, &fx.opts()).expect("district publish");
    (fx, hall_keys, hall, rest)
}

/// Hall chengguan publishes `objects` with its own keys.
fn publish_chengguan(
    fx: &SyncFixture,
    district: &KeyDir,
    hall_keys: &KeyDir,
    objects: &[BundleObject],
) -> Result<publish::PublishReport, publish::PublishError> {
    publish::publish_hall(
        &fx.repo,
        district,
        hall_keys,
        "chengguan",
        objects,
        &fx.opts(),
    )
}

#[test]
fn a_hall_publishes_its_notices_through_its_delegation() {
    let (fx, hall_keys, hall, _) = hall_fixture();
    let district = KeyDir::load(&fx.keys.dir).expect("keys");
    publish_chengguan(&fx, &district, &hall_keys, &hall).expect("hall publish");
    fx.pull().expect("pull");
    let reader = kiosk_content::ContentReader::open(&fx.data).expect("reader");
    assert!(
        !reader
            .notices(Some("chengguan"))
            .expect("notices")
            .is_empty()
    );

    // A hall cannot publish outside its prefix.
    let mut bad = hall.clone();
    bad.push(BundleObject {
        path: "items/policy/fake.json".into(),
        bytes: b"{}".to_vec(),
    });
    let err = publish_chengguan(&fx, &district, &hall_keys, &bad).expect_err("outside");
    assert!(
        err.to_string().contains("only under halls/chengguan/"),
        "{err}"
    );
}

/// A district item with the id of the hall notice `hall_obj` (a copy of a
/// district notice, renamed).
fn district_item_with_id_of(rest: &[BundleObject], hall_obj: &BundleObject) -> BundleObject {
    let id = kiosk_sync::pull::item_id_of(&hall_obj.path).expect("hall notice id");
    let template = rest
        .iter()
        .find(|o| o.path.starts_with("items/notice/"))
        .expect("a district notice");
    let mut v: Value = serde_json::from_slice(&template.bytes).expect("item json");
    match v.get_mut("meta") {
        Some(meta) => meta["id"] = Value::from(id),
        None => v["id"] = Value::from(id),
    }
    BundleObject {
        path: format!("items/notice/{id}.json"),
        bytes: serde_json::to_vec(&v).expect("json"),
    }
}

#[test]
fn a_hall_cannot_publish_an_item_id_the_district_uses() {
    let (fx, hall_keys, hall, mut rest) = hall_fixture();
    let district = KeyDir::load(&fx.keys.dir).expect("keys");
    let clash = district_item_with_id_of(&rest, &hall[0]);
    rest.push(clash.clone());
    publish::publish(&fx.repo, &district, &rest, &fx.opts()).expect("district publish");
    let err = publish_chengguan(&fx, &district, &hall_keys, &hall).expect_err("clash");
    let msg = err.to_string();
    let id = kiosk_sync::pull::item_id_of(&clash.path).expect("id");
    assert!(
        msg.contains(id) && msg.contains(&hall[0].path) && msg.contains(&clash.path),
        "{msg}"
    );
}

#[test]
fn on_the_kiosk_the_districts_item_wins_and_the_halls_is_set_aside_with_the_reason() {
    // The hall publishes first (no clash yet), then the district publishes
    // an item with the same id: the kiosk must take the district's bundle.
    let (fx, hall_keys, hall, mut rest) = hall_fixture();
    let district = KeyDir::load(&fx.keys.dir).expect("keys");
    publish_chengguan(&fx, &district, &hall_keys, &hall).expect("hall publish");
    fx.pull().expect("pull");
    let clash = district_item_with_id_of(&rest, &hall[0]);
    let id = kiosk_sync::pull::item_id_of(&clash.path)
        .expect("id")
        .to_string();
    rest.push(clash);
    publish::publish(&fx.repo, &district, &rest, &fx.opts()).expect("district publish");
    let out = fx
        .pull()
        .expect("the district's bundle is not blocked by the hall");
    assert!(matches!(out.result, PullResult::Applied { .. }), "{out:?}");
    let reader = kiosk_content::ContentReader::open(&fx.data).expect("reader");
    match reader.item(&id).expect("item") {
        Some(kiosk_content::Item::Notice(n)) => {
            assert_eq!(n.hall, None, "the district's item is shown, not the hall's")
        }
        other => panic!("the district's notice {id} is missing: {other:?}"),
    }
    let status = kiosk_sync::daemon::collect_status(&fx.data, None, false);
    assert_eq!(status.set_aside.len(), 1, "{status:?}");
    assert!(
        status.set_aside[0].contains(&id)
            && status.set_aside[0].contains("chengguan")
            && status.set_aside[0].contains("set aside"),
        "{:?}",
        status.set_aside
    );
    assert_eq!(status.last_error, None);
}

#[test]
fn a_delegated_role_writing_outside_its_prefix_is_refused() {
    let (fx, hall_keys, hall, _) = hall_fixture();
    let district = KeyDir::load(&fx.keys.dir).expect("keys");
    publish_chengguan(&fx, &district, &hall_keys, &hall).expect("hall publish");
    fx.pull().expect("pull");
    let before = fx.current().expect("g1");
    // The hall signs metadata claiming the district's bundle manifest.
    let md = read_json(&fx.repo.join("metadata/hall-chengguan.json"));
    let mut signed = md["signed"].clone();
    signed["version"] = Value::from(2);
    let entry = signed["targets"]["halls/chengguan/manifest.json"].clone();
    signed["targets"]["bundle/manifest.json"] = entry;
    publish::write_role_metadata(
        &fx.repo,
        &district,
        "hall-chengguan",
        &signed,
        &hall_keys.signers("hall-chengguan"),
        &fx.opts(),
    )
    .expect("write");
    let err = refused(&fx, &before);
    assert!(
        err.contains("hall-chengguan")
            && err.contains("bundle/manifest.json")
            && err.contains("halls/chengguan/"),
        "{err}"
    );
}

#[test]
fn revert_restores_the_previous_generation_and_status_reports() {
    let (fx, _) = pulled_v2("第二版");
    let rec = kiosk_sync::store::StoreApplier::new(&fx.data)
        .revert()
        .expect("revert");
    assert_eq!(fx.current().expect("current").generation, rec.generation);
    assert_eq!(rec.generation, 1);
    let status = kiosk_sync::daemon::collect_status(&fx.data, None, false);
    assert_eq!(status.generation, Some(1));
    assert!(status.last_success.is_some());
    assert!(status.last_error.is_none());
}

#[test]
fn a_first_pull_without_a_root_says_what_to_do() {
    let fx = SyncFixture::new();
    fx.publish(&objects_of(&demo()));
    let err = kiosk_sync::pull::pull(
        &fx.data,
        &Source::Http(fx.server.url()),
        None,
        &fx.clock,
        &mut kiosk_sync::store::StoreApplier::new(&fx.data),
    )
    .expect_err("no root");
    assert!(err.to_string().contains("--root"), "{err}");
    assert!(fx.current().is_none());
}
