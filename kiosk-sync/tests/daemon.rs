//! `kiosk-sync daemon` end to end: the real binary, a repository served by
//! `kiosk-sync`'s own server on 127.0.0.1, a fake systemd notify socket, and
//! the app's side of the control protocol (`kiosk_content::control`).
//!
//! Every wait polls with a deadline; nothing sleeps and hopes.

use std::io::{Read, Write};
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

mod support;

use chrono::Utc;
use kiosk_content::control::{self, ControlRequest, ControlResponse};
use kiosk_sync::state::SyncState;
use support::{Config, Daemon, Repo, Server, wait_for};

/// One raw line to the control socket, the raw answer back.
fn raw_exchange(socket: &Path, line: &[u8]) -> String {
    let mut s = UnixStream::connect(socket).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    s.write_all(line).expect("write");
    s.shutdown(std::net::Shutdown::Write).expect("shutdown");
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
}

/// A fake `$NOTIFY_SOCKET`.
struct Notify {
    sock: UnixDatagram,
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl Notify {
    fn new() -> Notify {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("notify.sock");
        let sock = UnixDatagram::bind(&path).expect("bind notify socket");
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .expect("timeout");
        Notify {
            sock,
            path,
            _dir: dir,
        }
    }

    fn path(&self) -> &str {
        self.path.to_str().expect("utf8 temp path")
    }

    /// Messages received until `deadline`, or until `stop` says enough.
    fn collect(
        &self,
        deadline: Instant,
        mut stop: impl FnMut(&[(Instant, String)]) -> bool,
    ) -> Vec<(Instant, String)> {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while Instant::now() < deadline && !stop(&got) {
            if let Ok(n) = self.sock.recv(&mut buf) {
                got.push((
                    Instant::now(),
                    String::from_utf8_lossy(&buf[..n]).into_owned(),
                ));
            }
        }
        got
    }
}

fn statuses(msgs: &[(Instant, String)]) -> Vec<&str> {
    msgs.iter()
        .flat_map(|(_, m)| m.lines())
        .filter_map(|l| l.strip_prefix("STATUS="))
        .collect()
}

#[test]
fn ready_watchdog_pings_and_status_reach_the_notify_socket() {
    let repo = Repo::new();
    repo.publish(0);
    let server = Server::start(&repo.dir);
    let notify = Notify::new();
    // 1 s watchdog: pings expected every ~0.5 s.
    let daemon = Daemon::start(
        &Config::new(&server.url(), &repo.root_json()),
        &[
            ("NOTIFY_SOCKET", notify.path()),
            ("WATCHDOG_USEC", "1000000"),
        ],
    );
    let start = Instant::now();
    let msgs = notify.collect(start + Duration::from_secs(10), |m| {
        m.iter().any(|(_, s)| s.contains("READY=1"))
    });
    let ready = msgs
        .iter()
        .position(|(_, m)| m.lines().any(|l| l == "READY=1"))
        .unwrap_or_else(|| panic!("no READY=1 in {msgs:?}\n{}", daemon.log()));
    // Ready means the control socket answers.
    let resp = control::request(
        &daemon.socket,
        &ControlRequest::Status,
        Duration::from_secs(10),
    )
    .expect("control socket answers once READY=1 was sent");
    assert!(resp.ok);
    assert!(
        !msgs[..ready].iter().any(|(_, m)| m.contains("WATCHDOG=1")),
        "a watchdog ping before READY=1: {msgs:?}"
    );

    // Watch for 3 s: pings at about half the interval, and a STATUS naming
    // the generation once the first pull applied.
    let t0 = Instant::now();
    let msgs = notify.collect(t0 + Duration::from_secs(3), |_| false);
    let pings: Vec<Instant> = msgs
        .iter()
        .filter(|(_, m)| m.lines().any(|l| l == "WATCHDOG=1"))
        .map(|(t, _)| *t)
        .collect();
    assert!(
        (4..=9).contains(&pings.len()),
        "{} pings in 3 s with WATCHDOG_USEC=1s: {msgs:?}",
        pings.len()
    );
    let mut gaps: Vec<Duration> = pings.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort();
    let median = gaps[gaps.len() / 2];
    assert!(
        median >= Duration::from_millis(350) && median <= Duration::from_millis(700),
        "median ping gap {median:?}: {gaps:?}"
    );
    let longest = gaps.last().copied().unwrap_or_default();
    assert!(
        longest < Duration::from_millis(1000),
        "a gap of {longest:?} would let systemd kill the service: {gaps:?}"
    );
    if let Some(first) = pings.first() {
        assert!(*first - t0 < Duration::from_secs(1), "first ping late");
    }

    let s = daemon.wait_status("generation 1", |s| s.generation == Some(1));
    assert_eq!(s.bundle_version, Some(1));
    let more = notify.collect(Instant::now() + Duration::from_secs(3), |m| {
        statuses(m).iter().any(|s| s.contains("generation 1"))
    });
    let all: Vec<&str> = statuses(&msgs).into_iter().chain(statuses(&more)).collect();
    let applied = all
        .iter()
        .find(|s| s.contains("generation 1"))
        .unwrap_or_else(|| panic!("no STATUS naming the generation: {all:?}"));
    assert!(applied.contains("bundle 1"), "{applied}");
    assert!(
        applied.contains("next check"),
        "STATUS should say when the next check is: {applied}"
    );
}

#[test]
fn a_usb_only_daemon_idles_and_a_foreign_watchdog_pid_gets_no_pings() {
    let repo = Repo::new();
    repo.publish(0);
    let notify = Notify::new();
    let daemon = Daemon::start(
        &Config::new("", &repo.root_json()),
        &[
            ("NOTIFY_SOCKET", notify.path()),
            ("WATCHDOG_USEC", "200000"),
            // The watchdog is meant for another process (as after a fork).
            ("WATCHDOG_PID", "1"),
        ],
    );
    let ready = notify.collect(Instant::now() + Duration::from_secs(10), |m| {
        m.iter().any(|(_, s)| s.contains("READY=1"))
    });
    assert!(
        ready.iter().any(|(_, m)| m.contains("READY=1")),
        "{ready:?}\n{}",
        daemon.log()
    );
    let status = statuses(&ready).join(" | ");
    assert!(
        status.contains("USB") && status.contains("no content"),
        "{status}"
    );

    let cpu = |pid: u32| -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
        let after = stat.rsplit(')').next().unwrap_or_default();
        let f: Vec<&str> = after.split_whitespace().collect();
        f[11].parse::<u64>().unwrap_or(0) + f[12].parse::<u64>().unwrap_or(0)
    };
    let before = cpu(daemon.pid());
    let msgs = notify.collect(Instant::now() + Duration::from_millis(1500), |m| {
        m.len() > 50
    });
    let used = cpu(daemon.pid()) - before;
    assert!(
        used < 30,
        "an idle daemon used {used} clock ticks of CPU in 1.5 s (spinning?)"
    );
    assert!(
        !msgs.iter().any(|(_, m)| m.contains("WATCHDOG=1")),
        "pings although WATCHDOG_PID names another process: {} messages",
        msgs.len()
    );

    let resp = daemon.request(&ControlRequest::SyncNow);
    assert!(!resp.ok);
    assert!(resp.message.contains("USB"), "{}", resp.message);
    let s = daemon.status();
    assert_eq!(s.repository_url, None, "{s:?}");
    assert_eq!(s.generation, None);
    assert_eq!(s.next_attempt, None, "no repository: nothing scheduled");
}

#[test]
fn status_sync_now_and_revert_over_the_control_socket() {
    let repo = Repo::new();
    repo.publish(0);
    let server = Server::start(&repo.dir);
    let daemon = Daemon::start(&Config::new(&server.url(), &repo.root_json()), &[]);

    let s = daemon.wait_status("the first pull", |s| s.generation.is_some() && !s.busy);
    assert_eq!((s.generation, s.bundle_version), (Some(1), Some(1)));
    assert_eq!(s.repository_url.as_deref(), Some(server.url().as_str()));
    // The app (the daemon's group) may connect whatever the umask; others not.
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&daemon.socket)
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o660, "{mode:o}");
    assert!(s.last_success.is_some() && s.last_error.is_none(), "{s:?}");
    assert!(s.content_published_at.is_some() && s.content_applied_at.is_some());
    let next = s.next_attempt.expect("next attempt scheduled");
    let ahead = (next - Utc::now()).num_seconds();
    assert!(
        (3600 * 9 / 10 - 10..=3600 * 11 / 10).contains(&ahead),
        "next poll in {ahead} s with poll_interval_secs = 3600 (±10%)"
    );
    assert_eq!(daemon.app_generation(), Some(1));

    // A new version, then "sync now".
    repo.publish(1);
    let resp = daemon.request(&ControlRequest::SyncNow);
    assert!(resp.ok, "{resp:?}");
    assert!(
        resp.status.as_ref().is_some_and(|s| s.busy),
        "right after sync_now the status says busy: {resp:?}"
    );
    let s = daemon.wait_status("generation 2", |s| s.generation == Some(2) && !s.busy);
    assert_eq!(s.bundle_version, Some(2));
    assert_eq!(s.previous_generation, Some(1), "{s:?}");
    assert_eq!(daemon.app_generation(), Some(2));

    // Revert: back to generation 1, and status says so.
    let resp = daemon.request(&ControlRequest::Revert);
    assert!(resp.ok, "{resp:?}");
    assert!(resp.message.contains("generation 1"), "{}", resp.message);
    let s = daemon.status();
    assert_eq!((s.generation, s.bundle_version), (Some(1), Some(1)));
    assert_eq!(s.previous_generation, None);
    assert_eq!(daemon.app_generation(), Some(1));
    let resp = daemon.request(&ControlRequest::Revert);
    assert!(!resp.ok);
    assert!(resp.message.contains("no previous generation"), "{resp:?}");

    // A sync does not undo the revert: bundle 2 was applied once already.
    let before = daemon.status().last_attempt;
    assert!(daemon.request(&ControlRequest::SyncNow).ok);
    let s = daemon.wait_status("the next sync", |s| s.last_attempt > before && !s.busy);
    assert_eq!(s.generation, Some(1), "{s:?}");
    assert!(s.last_error.is_none(), "{s:?}");

    // Malformed requests get an error answer; the daemon keeps serving.
    for bad in [
        &b"this is not json\n"[..],
        b"{\"cmd\":\"format_disk\"}\n",
        b"{\"cmd\":\"import\"}\n",
        b"",
    ] {
        let answer = raw_exchange(&daemon.socket, bad);
        if bad.is_empty() {
            continue; // nothing asked; any answer or none is fine
        }
        let resp: ControlResponse =
            serde_json::from_str(answer.trim()).unwrap_or_else(|e| panic!("{answer:?}: {e}"));
        assert!(!resp.ok, "{resp:?}");
        assert!(
            resp.message.contains("not a control request"),
            "{}",
            resp.message
        );
    }
    // A client that connects and says nothing does not block others.
    let _silent = UnixStream::connect(&daemon.socket).expect("connect");
    let t = Instant::now();
    assert_eq!(daemon.status().generation, Some(1));
    assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());

    // A second daemon on the same socket refuses to start.
    let config = daemon.dir.path().join("config.toml");
    let (code, stderr) = run_to_exit(&config);
    assert_ne!(code.code(), Some(0), "{stderr}");
    assert!(stderr.contains("already"), "{stderr}");
    assert_eq!(daemon.status().generation, Some(1));
}

#[test]
fn an_older_usb_copy_is_refused_and_a_newer_one_is_applied() {
    let repo = Repo::new();
    repo.publish(0);
    let old_stick = repo.copy("usb-old");
    repo.publish(1);
    let server = Server::start(&repo.dir);
    let daemon = Daemon::start(&Config::new(&server.url(), &repo.root_json()), &[]);
    let s = daemon.wait_status("the first pull", |s| s.generation.is_some() && !s.busy);
    assert_eq!((s.generation, s.bundle_version), (Some(1), Some(2)));

    let resp = daemon.request(&ControlRequest::Import {
        path: old_stick.display().to_string(),
    });
    assert!(resp.ok, "{resp:?}");
    let s = daemon.wait_status("the import to finish", |s| {
        s.last_error.is_some() && !s.busy
    });
    let err = s.last_error.clone().unwrap_or_default();
    assert!(err.contains("older"), "{err}");
    assert!(err.contains(&old_stick.display().to_string()), "{err}");
    assert_eq!((s.generation, s.bundle_version), (Some(1), Some(2)));
    assert_eq!(daemon.app_generation(), Some(1));

    // Not a repository, or not an absolute path: refused at once.
    let resp = daemon.request(&ControlRequest::Import {
        path: repo.tmp.path().join("nothing-here").display().to_string(),
    });
    assert!(!resp.ok);
    assert!(resp.message.contains("no kiosk repository"), "{resp:?}");
    let resp = daemon.request(&ControlRequest::Import {
        path: "usb-old".into(),
    });
    assert!(!resp.ok);
    assert!(resp.message.contains("absolute"), "{resp:?}");

    // A newer stick is applied, after an update by another process (a
    // `kiosk-sync import` started by udev holds the update lock) is done.
    repo.publish(2);
    let new_stick = repo.copy("usb-new");
    drop(server); // the stick works offline
    let other = std::fs::File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(daemon.data.join("sync.lock"))
        .expect("lock file");
    other.lock().expect("lock");
    let resp = daemon.request(&ControlRequest::Import {
        path: new_stick.display().to_string(),
    });
    assert!(resp.ok, "{resp:?}");
    let until = Instant::now() + Duration::from_millis(1500);
    while Instant::now() < until {
        let s = daemon.status();
        assert!(s.busy, "the import waits for the other update: {s:?}");
        assert_eq!(s.generation, Some(1));
        std::thread::sleep(Duration::from_millis(100));
    }
    other.unlock().expect("unlock");
    let s = daemon.wait_status("generation 2", |s| s.generation == Some(2) && !s.busy);
    assert_eq!(s.bundle_version, Some(3));
    assert!(s.last_error.is_none(), "{s:?}");
    assert_eq!(daemon.app_generation(), Some(2));
}

#[test]
fn when_the_repository_goes_away_the_last_good_content_stays_and_retries_back_off() {
    let repo = Repo::new();
    repo.publish(0);
    let server = Server::start(&repo.dir);
    let addr = server.addr;
    let url = server.url();
    // Backoff 1 s, 2 s (capped).
    let daemon = Daemon::start(&Config::new(&url, &repo.root_json()), &[]);
    daemon.wait_status("the first pull", |s| s.generation == Some(1) && !s.busy);

    drop(server);
    assert!(daemon.request(&ControlRequest::SyncNow).ok);
    let s = daemon.wait_status("a failed attempt", |s| s.last_error.is_some() && !s.busy);
    let err = s.last_error.clone().unwrap_or_default();
    assert!(err.contains(&url), "last_error should name {url}: {err}");
    assert_eq!((s.generation, s.bundle_version), (Some(1), Some(1)));
    assert_eq!(
        daemon.app_generation(),
        Some(1),
        "the last good content stays"
    );

    // Each failure schedules the next attempt after a growing backoff.
    let log = || daemon.log();
    let mut seen: Vec<SyncState> = Vec::new();
    wait_for(
        "three failed attempts",
        Duration::from_secs(12),
        &log,
        || {
            // The state is written by the pull, then completed with the
            // next attempt: take only completed failures.
            let st = SyncState::load(&daemon.data);
            let complete = matches!((st.next_attempt, st.last_error_at),
                (Some(next), Some(failed)) if next >= failed);
            if complete
                && st.consecutive_failures > 0
                && seen
                    .last()
                    .is_none_or(|l| l.last_error_at != st.last_error_at)
            {
                seen.push(st.clone());
            }
            (seen.len() >= 3).then_some(())
        },
    );
    assert_eq!(
        seen.iter()
            .map(|st| st.consecutive_failures)
            .collect::<Vec<_>>(),
        [1, 2, 3],
        "one failure counted per attempt"
    );
    for st in &seen {
        let (Some(next), Some(failed)) = (st.next_attempt, st.last_error_at) else {
            continue;
        };
        // The exact backoff formula is unit-tested (`next_delay`). Here only
        // what load cannot break: the next attempt is at least half the
        // capped backoff after the failure (the daemon schedules it after
        // recording the failure), and not wildly later (seconds, not the
        // minutes a wrong unit or a missing cap would give). The gap between
        // recording the failure and scheduling (an fsync) varies with load,
        // so no tight upper bound.
        let delay = (next - failed).num_milliseconds();
        let cap = 1000 * (1i64 << (st.consecutive_failures - 1)).min(2);
        assert!(
            (cap / 2 - 100..=cap + 5000).contains(&delay),
            "failure {}: next attempt after {delay} ms, expected about {}..{cap} ms",
            st.consecutive_failures,
            cap / 2
        );
    }
    let s = daemon.status();
    assert_eq!(s.next_attempt, seen.last().and_then(|st| st.next_attempt));
    assert_eq!(daemon.app_generation(), Some(1));

    // The repository comes back: the next attempt succeeds by itself.
    let _server = Server::start_at(&repo.dir, &addr.to_string());
    let s = daemon.wait_status("recovery", |s| s.last_error.is_none() && !s.busy);
    assert_eq!(s.generation, Some(1));
    assert_eq!(SyncState::load(&daemon.data).consecutive_failures, 0);
}

/// Run `kiosk-sync daemon --config FILE` expecting it to exit (within 10 s).
fn run_to_exit(config: &Path) -> (ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kiosk-sync"))
        .arg("daemon")
        .arg("--config")
        .arg(config)
        .env_remove("NOTIFY_SOCKET")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            panic!("the daemon did not exit on a bad config:\n{err}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    (status, err)
}

#[test]
fn a_bad_config_stops_start_up_naming_the_file_and_the_field() {
    let repo = Repo::new();
    repo.publish(0);
    let dir = tempfile::tempdir().expect("tempdir");
    let good = Config::new("http://127.0.0.1:9/", &repo.root_json());
    let base = std::fs::read_to_string(Daemon::write_config(dir.path(), &good)).expect("config");
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "misspelt key",
            base.replace("poll_interval_secs", "poll_intervall_secs"),
            "poll_intervall_secs",
        ),
        (
            "wrong type",
            base.replace("min_backoff_secs = 1", "min_backoff_secs = \"often\""),
            "min_backoff_secs",
        ),
        (
            "zero interval",
            base.replace("poll_interval_secs = 3600", "poll_interval_secs = 0"),
            "poll_interval_secs",
        ),
        (
            "absurd interval",
            base.replace(
                "poll_interval_secs = 3600",
                "poll_interval_secs = 18446744073709551615",
            ),
            "poll_interval_secs",
        ),
        (
            "backoff range",
            base.replace("max_backoff_secs = 2", "max_backoff_secs = 0"),
            "max_backoff_secs",
        ),
        (
            "not a URL",
            base.replace("http://127.0.0.1:9/", "zwgk.example/kiosk-repo/"),
            "repo_url",
        ),
        (
            "missing root file",
            base.replace(
                &repo.root_json().display().to_string(),
                &dir.path().join("no-such-root.json").display().to_string(),
            ),
            "root",
        ),
        (
            "no root at all",
            base.lines()
                .filter(|l| !l.starts_with("root ="))
                .collect::<Vec<_>>()
                .join("\n"),
            "root",
        ),
    ];
    for (what, text, field) in cases {
        let path = dir.path().join("config.toml");
        std::fs::write(&path, &text).expect("write");
        let (status, stderr) = run_to_exit(&path);
        assert!(
            !status.success(),
            "{what}: exit {status:?}\n{text}\n{stderr}"
        );
        assert!(
            stderr.contains(&path.display().to_string()) && stderr.contains(field),
            "{what}: the error should name {} and {field}:\n{stderr}",
            path.display()
        );
        assert!(
            !dir.path().join("control.sock").exists(),
            "{what}: a refused config must not bind the control socket"
        );
    }
    let (status, stderr) = run_to_exit(&dir.path().join("missing.toml"));
    assert!(!status.success());
    assert!(stderr.contains("missing.toml"), "{stderr}");
}
