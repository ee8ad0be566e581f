//! Helpers shared by the integration tests that drive the real
//! `kiosk-sync` binary: demo bundles, a district repository, its server on
//! 127.0.0.1, and a running daemon with a config in a temp directory.
//!
//! Every wait polls with a deadline; nothing sleeps and hopes.

// Each test file uses its own subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use kiosk_content::control::{self, ControlRequest, ControlResponse, SyncStatus};
use kiosk_content::{ContentReader, SourceTree};
use kiosk_sync::keydir::KeyDir;
use kiosk_sync::publish::{self, BundleObject, PublishOptions};

mod shared;
#[allow(unused_imports)] // as above: not every test file uses each of them
pub use shared::{Server, copy_dir, district_keys};

pub const POLICY: &str = "policies/sfx-2017-021.md";

/// `kiosk-sync pull` of `url` into `data` as a quiet child process, for the
/// tests that kill it (warnings only, no output kept).
pub fn spawn_pull(url: &str, data: &Path, root: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_kiosk-sync"))
        .arg("pull")
        .arg("--repo-url")
        .arg(url)
        .arg("--data-dir")
        .arg(data)
        .arg("--root")
        .arg(root)
        .env("KIOSK_SYNC_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kiosk-sync pull")
}

/// The demo county, and variants with one policy changed; each compiled
/// once per test process (compiling seals progress records, which is slow).
pub fn bundle(variant: usize) -> &'static [BundleObject] {
    static CACHE: [OnceLock<Vec<BundleObject>>; 4] = [const { OnceLock::new() }; 4];
    CACHE[variant].get_or_init(|| {
        let mut tree: SourceTree = kiosk_content::demo::demo_tree();
        if variant > 0 {
            let body =
                String::from_utf8(tree.get(POLICY).expect("demo policy").to_vec()).expect("utf8");
            tree.insert(POLICY, format!("{body}\n\n（第{variant}次修改）\n"));
        }
        let set = kiosk_content::compile(&tree).unwrap_or_else(|p| panic!("demo:\n{p}"));
        set.to_objects()
            .into_iter()
            .map(BundleObject::from)
            .collect()
    })
}

/// District keys and a repository directory.
pub struct Repo {
    pub tmp: tempfile::TempDir,
    pub keys: KeyDir,
    pub dir: PathBuf,
}

impl Repo {
    pub fn new() -> Repo {
        let tmp = tempfile::tempdir().expect("tempdir");
        let keys = district_keys(&tmp.path().join("keys"), 1, 1);
        let dir = tmp.path().join("repo");
        Repo { tmp, keys, dir }
    }

    /// Publish a variant of the demo; returns the bundle version.
    pub fn publish(&self, variant: usize) -> u64 {
        publish::publish(
            &self.dir,
            &self.keys,
            bundle(variant),
            &PublishOptions::default(),
        )
        .expect("publish")
        .snapshot_version
    }

    pub fn root_json(&self) -> PathBuf {
        self.dir.join("metadata").join("1.root.json")
    }

    /// A directory copy of the repository as it is now (a USB stick).
    pub fn copy(&self, name: &str) -> PathBuf {
        let dst = self.tmp.path().join(name);
        copy_dir(&self.dir, &dst);
        dst
    }
}

/// Poll `f` every 50 ms until it gives a value or `timeout` passes.
pub fn wait_for<T>(
    what: &str,
    timeout: Duration,
    log: &dyn Fn() -> String,
    mut f: impl FnMut() -> Option<T>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return v;
        }
        if Instant::now() >= deadline {
            panic!(
                "timed out after {timeout:?} waiting for {what}\n--- daemon log ---\n{}",
                log()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub struct Config {
    pub repo_url: String,
    pub root: Option<PathBuf>,
    pub poll_interval_secs: u64,
    pub min_backoff_secs: u64,
    pub max_backoff_secs: u64,
}

impl Config {
    pub fn new(repo_url: &str, root: &Path) -> Config {
        Config {
            repo_url: repo_url.to_string(),
            root: Some(root.to_path_buf()),
            poll_interval_secs: 3600,
            min_backoff_secs: 1,
            max_backoff_secs: 2,
        }
    }
}

/// A running `kiosk-sync daemon`; killed on drop.
pub struct Daemon {
    pub child: Child,
    pub dir: tempfile::TempDir,
    pub socket: PathBuf,
    pub data: PathBuf,
    pub log: PathBuf,
}

impl Daemon {
    pub fn write_config(dir: &Path, c: &Config) -> PathBuf {
        let root = c
            .root
            .as_ref()
            .map(|r| format!("root = {:?}\n", r.display().to_string()))
            .unwrap_or_default();
        let text = format!(
            "repo_url = {:?}\ndata_dir = {:?}\n{root}poll_interval_secs = {}\nmin_backoff_secs = {}\nmax_backoff_secs = {}\ncontrol_socket = {:?}\n",
            c.repo_url,
            dir.join("data").display().to_string(),
            c.poll_interval_secs,
            c.min_backoff_secs,
            c.max_backoff_secs,
            dir.join("control.sock").display().to_string(),
        );
        let path = dir.join("config.toml");
        std::fs::write(&path, text).expect("write config");
        path
    }

    pub fn start(c: &Config, env: &[(&str, &str)]) -> Daemon {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Self::write_config(dir.path(), c);
        Self::start_with(dir, &config, env)
    }

    pub fn start_with(dir: tempfile::TempDir, config: &Path, env: &[(&str, &str)]) -> Daemon {
        let log = dir.path().join("daemon.log");
        let child = Command::new(env!("CARGO_BIN_EXE_kiosk-sync"))
            .arg("daemon")
            .arg("--config")
            .arg(config)
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .env_remove("WATCHDOG_PID")
            .env("KIOSK_SYNC_LOG", "info")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start kiosk-sync daemon");
        Daemon {
            child,
            socket: dir.path().join("control.sock"),
            data: dir.path().join("data"),
            log,
            dir,
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn request(&self, req: &ControlRequest) -> ControlResponse {
        control::request(&self.socket, req, Duration::from_secs(30))
            .unwrap_or_else(|e| panic!("{req:?}: {e}\n--- daemon log ---\n{}", self.log()))
    }

    pub fn status(&self) -> SyncStatus {
        let resp = self.request(&ControlRequest::Status);
        assert!(resp.ok, "{resp:?}");
        resp.status.expect("status in a status response")
    }

    /// Poll `status` until `pred` holds.
    pub fn wait_status(&self, what: &str, pred: impl Fn(&SyncStatus) -> bool) -> SyncStatus {
        let log = || self.log();
        wait_for(what, Duration::from_secs(10), &log, || {
            // Before the socket is bound the daemon "is not running".
            let resp = control::request(
                &self.socket,
                &ControlRequest::Status,
                Duration::from_secs(10),
            )
            .ok()?;
            let s = resp.status?;
            pred(&s).then_some(s)
        })
    }

    /// The generation the app would open now.
    pub fn app_generation(&self) -> Option<u64> {
        ContentReader::open(&self.data)
            .ok()
            .map(|r| r.generation().generation)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
