//! USB imports end to end with the real binary: `kiosk-sync import
//! --config`, `kiosk-sync ctl` against a running daemon (and none), the
//! `last_import` record whoever wrote it, and `deploy/libexec/usb-import`
//! handing a stick to the daemon or, without one, importing it itself.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

mod support;

use chrono::Utc;
use kiosk_content::control::{ControlRequest, ImportRecord, SyncStatus};
use kiosk_sync::ctl::EXIT_NOT_RUNNING;
use kiosk_sync::pull::UpdateLock;
use kiosk_sync::state::SyncState;
use support::{Config, Daemon, Repo, Server, copy_dir, wait_for};

fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    let out: Output = cmd
        .env("KIOSK_SYNC_LOG", "info")
        .stdin(Stdio::null())
        .output()
        .expect("run");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn kiosk_sync(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kiosk-sync"));
    c.args(args);
    c
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 temp path")
}

/// A daemon config (USB only) in `dir`, for a kiosk whose data is `dir/data`.
fn usb_config(dir: &Path, repo: &Repo) -> PathBuf {
    Daemon::write_config(dir, &Config::new("", &repo.root_json()))
}

/// A published repository, a stick copy of it, and a kiosk without a
/// running daemon (its config in `dir`, its data in `data`).
struct Kiosk {
    repo: Repo,
    stick: PathBuf,
    dir: tempfile::TempDir,
    config: PathBuf,
    data: PathBuf,
}

impl Kiosk {
    fn new() -> Kiosk {
        let repo = Repo::new();
        repo.publish(0);
        let stick = repo.copy("usb-1");
        let dir = tempfile::tempdir().expect("tempdir");
        let config = usb_config(dir.path(), &repo);
        let data = dir.path().join("data");
        Kiosk {
            repo,
            stick,
            dir,
            config,
            data,
        }
    }

    /// `kiosk-sync import STICK --config CONFIG EXTRA...`.
    fn import(&self, stick: &Path, config: &Path, extra: &[&str]) -> (Option<i32>, String, String) {
        let mut c = kiosk_sync(&["import", s(stick), "--config", s(config)]);
        run(c.args(extra))
    }
}

fn last_import(data: &Path) -> ImportRecord {
    SyncState::load(data)
        .last_import
        .unwrap_or_else(|| panic!("no last_import in {}", data.display()))
}

#[test]
fn import_takes_data_dir_and_root_from_the_daemon_config_and_records_each_outcome() {
    let k = Kiosk::new();
    let (stick, data) = (&k.stick, &k.data);

    let (code, out, err) = k.import(stick, &k.config, &[]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("applied generation 1"), "{out}");
    let rec = last_import(data);
    assert_eq!(rec.source, s(stick));
    assert!(rec.ok && rec.generation == Some(1), "{rec:?}");
    assert!(rec.message.contains("generation 1"), "{rec:?}");

    // The same stick again: nothing newer, which is fine.
    let (code, out, err) = k.import(stick, &k.config, &[]);
    assert_eq!(code, Some(0), "{out}{err}");
    let again = last_import(data);
    assert!(again.ok && again.generation.is_none(), "{again:?}");
    assert!(again.message.contains("already has"), "{again:?}");
    assert!(again.finished_at > rec.finished_at);

    // An older stick fails, naming it, and the record says so.
    k.repo.publish(1);
    let newer = k.repo.copy("usb-2");
    let (code, ..) = k.import(&newer, &k.config, &[]);
    assert_eq!(code, Some(0));
    let (code, out, err) = k.import(stick, &k.config, &[]);
    assert_eq!(code, Some(1), "{out}{err}");
    let failed = last_import(data);
    assert!(!failed.ok && failed.generation.is_none(), "{failed:?}");
    assert!(failed.message.contains(s(stick)), "{failed:?}");
    assert_eq!(
        SyncState::load(data).last_error.as_ref(),
        Some(&failed.message)
    );

    // An explicit --data-dir wins over the config's.
    let other = k.dir.path().join("other-data");
    let (code, out, err) = k.import(&newer, &k.config, &["--data-dir", s(&other)]);
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(last_import(&other).generation, Some(1));
}

#[test]
fn a_missing_or_bad_config_names_the_file_and_changes_nothing() {
    let k = Kiosk::new();
    let (stick, data, dir) = (&k.stick, &k.data, k.dir.path());
    let (code, ..) = k.import(stick, &k.config, &[]);
    assert_eq!(code, Some(0));
    let state_before = std::fs::read(SyncState::path(data)).expect("state");
    let good = std::fs::read_to_string(&k.config).expect("config");

    let missing = dir.join("missing.toml");
    let broken = dir.join("broken.toml");
    std::fs::write(&broken, good.replace("data_dir = ", "data_dir == ")).expect("write");
    let misspelt = dir.join("misspelt.toml");
    std::fs::write(&misspelt, good.replace("data_dir", "data_directory")).expect("write");
    for (file, wanted) in [
        (&missing, "No such file"),
        (&broken, "line 2"),
        (&misspelt, "data_directory"),
    ] {
        let (code, out, err) = k.import(stick, file, &[]);
        assert_eq!(code, Some(1), "{out}{err}");
        assert!(
            err.contains(s(file)) && err.contains(wanted),
            "the error should name {} and say {wanted:?}:\n{err}",
            file.display()
        );
        assert_eq!(
            std::fs::read(SyncState::path(data)).expect("state"),
            state_before,
            "a refused config must leave the sync state alone"
        );
    }
    // Neither a config nor --data-dir: say what to give.
    let (code, _, err) = run(&mut kiosk_sync(&["import", s(stick)]));
    assert_eq!(code, Some(1));
    assert!(
        err.contains("--config") && err.contains("--data-dir"),
        "{err}"
    );
    let (code, _, err) = k.import(Path::new("/nonexistent/stick"), &k.config, &[]);
    assert_eq!(code, Some(1));
    assert!(err.contains("/nonexistent/stick"), "{err}");
    assert_eq!(
        std::fs::read(SyncState::path(data)).expect("state"),
        state_before
    );
    assert_eq!(
        kiosk_content::ContentReader::open(data)
            .expect("content kept")
            .generation()
            .generation,
        1
    );
}

#[test]
fn ctl_talks_to_the_daemon_and_import_waits_for_the_result() {
    let repo = Repo::new();
    repo.publish(0);
    let old_stick = repo.copy("usb-old");
    repo.publish(1);
    let stick = repo.copy("usb-new");
    let daemon = Daemon::start(&Config::new("", &repo.root_json()), &[]);
    daemon.wait_status("the daemon", |_| true);
    let config = daemon.dir.path().join("config.toml");
    let ctl = |args: &[&str]| {
        let mut c = kiosk_sync(&["ctl", "--config", s(&config)]);
        c.args(args);
        run(&mut c)
    };

    let (code, out, err) = ctl(&["import", s(&stick)]);
    assert_eq!(code, Some(0), "{out}{err}\n{}", daemon.log());
    assert!(out.contains("generation 1"), "{out}");
    assert!(err.contains(s(&daemon.socket)), "{err}");
    // It ran in the daemon's worker, not in the ctl process.
    assert!(
        daemon
            .log()
            .contains(&format!("usb:{}: applied generation 1", s(&stick))),
        "{}",
        daemon.log()
    );

    let (code, out, err) = ctl(&["status", "--json"]);
    assert_eq!(code, Some(0), "{err}");
    let st: SyncStatus = serde_json::from_str(&out).expect("status JSON");
    assert_eq!(st.generation, Some(1));
    let rec = st.last_import.clone().expect("last_import in the status");
    assert_eq!((rec.source.as_str(), rec.ok), (s(&stick), true));
    assert!(st.disk_free_bytes.is_some_and(|b| b > 0), "{st:?}");
    let (code, out, _) = ctl(&["status"]);
    assert_eq!(code, Some(0));
    assert!(out.contains("last import:  ok"), "{out}");

    // An older stick: the import fails (exit 1) with the record's words.
    let (code, out, err) = ctl(&["import", s(&old_stick)]);
    assert_eq!(code, Some(1), "{out}{err}");
    assert!(
        err.contains("older") && err.contains(s(&old_stick)),
        "{err}"
    );
    assert_eq!(daemon.status().generation, Some(1));

    // Refusals: exit 1 with the daemon's reason.
    let (code, _, err) = ctl(&["import", s(&repo.tmp.path().join("nothing-here"))]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no kiosk repository"), "{err}");
    let (code, _, err) = ctl(&["sync-now"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("USB"), "{err}");
    let (code, _, err) = ctl(&["revert"]);
    assert_eq!(code, Some(1));
    assert!(err.contains("no previous generation"), "{err}");

    // A relative path is made absolute before it is sent.
    let mut c = kiosk_sync(&["ctl", "--socket", s(&daemon.socket), "import", "usb-new"]);
    let (code, out, err) = run(c.current_dir(repo.tmp.path()));
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("nothing newer"), "{out}");
}

#[test]
fn ctl_without_a_daemon_exits_3_naming_the_socket() {
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("control.sock");
    for args in [
        &["status"][..],
        &["sync-now"],
        &["revert"],
        &["import", "/media/usb"],
    ] {
        let mut c = kiosk_sync(&["ctl", "--socket", s(&socket)]);
        let (code, _, err) = run(c.args(args));
        assert_eq!(code, Some(i32::from(EXIT_NOT_RUNNING)), "{args:?}: {err}");
        assert!(
            err.contains(s(&socket)) && err.contains("systemctl start kiosk-sync"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn a_record_written_by_another_process_while_the_daemon_works_is_kept() {
    let repo = Repo::new();
    repo.publish(0);
    let server = Server::start(&repo.dir);
    let daemon = Daemon::start(&Config::new(&server.url(), &repo.root_json()), &[]);
    let first = daemon.wait_status("the first pull", |s| s.generation == Some(1) && !s.busy);

    // Another process (a `kiosk-sync import`) holds the update lock; the
    // daemon's sync waits for it, and meanwhile that process records its
    // import, as `pull` does: load, change, save, under the lock.
    let lock = UpdateLock::acquire(&daemon.data).expect("lock");
    assert!(daemon.request(&ControlRequest::SyncNow).ok);
    let log = || daemon.log();
    wait_for(
        "the daemon to wait for the lock",
        Duration::from_secs(10),
        &log,
        || log().contains("waiting for it to finish").then_some(()),
    );
    let record = ImportRecord {
        source: "/run/kiosk-usb/current".into(),
        finished_at: Utc::now(),
        ok: false,
        generation: None,
        message: "usb:/run/kiosk-usb/current: not a kiosk repository".into(),
    };
    SyncState::update(&lock, |st| st.last_import = Some(record.clone())).expect("save");
    drop(lock);

    let synced = daemon.wait_status("the sync to finish", |s| {
        s.last_attempt > first.last_attempt && !s.busy
    });
    assert_eq!(synced.last_import, Some(record), "{synced:?}");
    assert!(
        synced.next_attempt.is_some_and(|n| n > Utc::now()),
        "{synced:?}"
    );

    // A standalone import while the daemon runs: the daemon reports it, and
    // the daemon's schedule survives it.
    repo.publish(1);
    let stick = repo.copy("usb");
    let config = daemon.dir.path().join("config.toml");
    let (code, out, err) = run(&mut kiosk_sync(&[
        "import",
        s(&stick),
        "--config",
        s(&config),
    ]));
    assert_eq!(code, Some(0), "{out}{err}");
    let st = daemon.status();
    assert_eq!(st.generation, Some(2));
    assert_eq!(
        st.last_import.map(|r| r.source),
        Some(s(&stick).to_string())
    );
    assert_eq!(st.next_attempt, synced.next_attempt);
}

/// `deploy/libexec/usb-import MOUNT` with the test's config and binary.
fn usb_import(mnt: &Path, config: &Path) -> (Option<i32>, String, String) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/libexec/usb-import");
    let mut c = Command::new("bash");
    c.arg(script)
        .arg(mnt)
        .env("KIOSK_SYNC_CONFIG", config)
        .env("KIOSK_SYNC_BIN", env!("CARGO_BIN_EXE_kiosk-sync"));
    run(&mut c)
}

/// A stick with the repository in `kiosk-repo/`, as content officers copy it.
fn stick(repo: &Repo, name: &str) -> (PathBuf, PathBuf) {
    let mnt = repo.tmp.path().join(name);
    let dir = mnt.join("kiosk-repo");
    copy_dir(&repo.dir, &dir);
    (mnt, dir)
}

#[test]
fn usb_import_hands_the_stick_to_the_daemon_and_imports_itself_without_one() {
    let repo = Repo::new();
    repo.publish(0);
    let (mnt, dir) = stick(&repo, "sdb1");
    let daemon = Daemon::start(&Config::new("", &repo.root_json()), &[]);
    daemon.wait_status("the daemon", |_| true);
    let config = daemon.dir.path().join("config.toml");

    let (code, out, err) = usb_import(&mnt, &config);
    assert_eq!(code, Some(0), "{out}{err}\n{}", daemon.log());
    let st = daemon.status();
    assert_eq!(st.generation, Some(1));
    let rec = st.last_import.expect("recorded");
    assert_eq!((rec.source.as_str(), rec.ok), (s(&dir), true));
    assert!(
        daemon
            .log()
            .contains(&format!("usb:{}: applied generation 1", s(&dir))),
        "the daemon should have done the import:\n{}",
        daemon.log()
    );

    // A stick with no repository: refused, and recorded for the staff panel.
    let empty = repo.tmp.path().join("sdc1");
    std::fs::create_dir_all(empty.join("photos")).expect("mkdir");
    let (code, out, err) = usb_import(&empty, &config);
    assert_eq!(code, Some(1), "{out}{err}");
    let rec = daemon.status().last_import.expect("recorded");
    assert!(!rec.ok && rec.source == s(&empty), "{rec:?}");
    assert!(
        rec.message.contains("copy the whole repository folder"),
        "{rec:?}"
    );
    assert_eq!(daemon.status().generation, Some(1));

    // The daemon stopped (its socket file left behind): the script imports
    // by itself (a newer stick).
    let mut daemon = daemon;
    daemon.child.kill().expect("kill");
    daemon.child.wait().expect("wait");
    repo.publish(1);
    let (mnt2, dir2) = stick(&repo, "sdd1");
    let (code, out, err) = usb_import(&mnt2, &config);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("not running"), "{out}");
    let data = config.parent().expect("dir").join("data");
    let rec = last_import(&data);
    assert_eq!((rec.source.as_str(), rec.generation), (s(&dir2), Some(2)));
}
