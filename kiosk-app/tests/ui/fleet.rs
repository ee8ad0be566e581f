//! Issue 16 through the real app: usage counted as residents use the demo,
//! read back through kiosk-sync's exposition and a real Prometheus; and
//! nothing a resident types (case numbers, query codes, phone and ID
//! numbers) in any file the app writes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kiosk_app::{PageId, SearchAdapter};
use kiosk_content::usage::{AppReport, counter};
use slint::ComponentHandle;

use crate::harness::{Kiosk, demo, rows};

/// The demo's first case (kiosk-content/demo/progress.csv).
const CASE: &str = "20261102001";
const CODE: &str = "564973";

fn search_letters(k: &Kiosk, letters: &str) {
    k.tap("搜索");
    // The keyboard stays on the tab last used until the idle reset.
    k.tap("拼音");
    for l in letters.chars() {
        k.tap(&l.to_string());
    }
}

fn search_digits(k: &Kiosk, digits: &str) {
    k.tap("搜索");
    k.tap("123");
    for d in digits.chars() {
        k.tap(&d.to_string());
    }
    // Clearing ends the search; back home for the next.
    k.tap("清空");
    k.tap("首页");
}

/// The app's idle reset (which also flushes the counts).
fn idle(k: &Kiosk) {
    k.wait(k.ctx.config.idle_timeout() + Duration::from_secs(1));
    assert_eq!(k.page(), PageId::Attract);
}

/// Some use, as a resident would: a search that finds something and
/// opens it, one that finds nothing, a progress lookup found and one not,
/// big text; then the idle reset.
fn use_the_kiosk(k: &Kiosk) {
    k.start();
    search_letters(k, "db");
    let first = rows(k.win.global::<SearchAdapter>().get_groups())
        .iter()
        .flat_map(|g| rows(g.rows.clone()))
        .next()
        .expect("db finds something");
    k.tap(&first.title);
    k.tap("返回");
    k.tap("清空");
    for l in ["x", "q", "z", "x", "q"] {
        k.tap(l);
    }
    k.tap("首页");
    k.tap("办事进度");
    crate::progress::lookup(k, CASE, "111111");
    k.tap("重新输入");
    crate::progress::lookup(k, CASE, CODE);
    k.tap("大字");
    idle(k);
}

fn report(k: &Kiosk) -> AppReport {
    AppReport::load(&k.data_dir())
        .expect("readable app report")
        .expect("the app wrote its report")
}

#[test]
fn usage_is_counted_and_read_back_through_the_exposition() {
    let k = demo();
    use_the_kiosk(&k);
    let r = report(&k);
    let t = |name: &str| r.totals.get(name).copied().unwrap_or(0);
    assert_eq!(t(counter::VISIT), 1, "{:?}", r.totals);
    assert_eq!(t(counter::SEARCH), 2, "{:?}", r.totals);
    assert_eq!(t(counter::SEARCH_NO_RESULT), 1, "{:?}", r.totals);
    assert_eq!(t(counter::PROGRESS_FOUND), 1);
    assert_eq!(t(counter::PROGRESS_NOT_FOUND), 1);
    assert_eq!(t(counter::IDLE_RESET), 1);
    assert_eq!(t(counter::BIG_TEXT), 1);
    assert_eq!(t("page_view:progress"), 1);
    assert_eq!(r.top_items_30d.len(), 1, "{:?}", r.top_items_30d);
    assert!(!r.top_items_30d[0].title.is_empty());
    assert_eq!(r.printer, "none", "the recording printer has no state");
    // Seen once: not reportable.
    assert!(r.no_result_queries.is_empty());

    let text = kiosk_sync::metrics::render(&kiosk_sync::metrics::collect(&k.data_dir(), None));
    for line in [
        "kiosk_searches_total 2",
        "kiosk_searches_no_result_total 1",
        "kiosk_progress_lookups_total{result=\"found\"} 1",
        "kiosk_progress_lookups_total{result=\"not_found\"} 1",
        "kiosk_visits_total 1",
        "kiosk_app_up 1",
        "kiosk_content_generation 1",
    ] {
        assert!(text.lines().any(|l| l == line), "no `{line}` in\n{text}");
    }
}

/// Every file under `dir` except the content store kiosk-sync writes.
fn files_the_app_wrote(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir").flatten() {
            let p = e.path();
            if p == dir.join("content") {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn case_numbers_codes_phones_and_ids_typed_anywhere_are_in_no_file() {
    let k = demo();
    let secrets = [
        CASE,
        CODE,
        "20269999999",
        "13800138000",
        "110105194912310021",
    ];
    let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 5, d);
    // A control seen on three days (it must be in the file, which shows the
    // search below would find text that is there).
    for d in 1..=3 {
        k.ctx.usage.set_today(day(d));
        k.start();
        for s in &secrets {
            search_digits(&k, s);
        }
        search_letters(&k, "xqzxq");
        k.tap("首页");
        k.tap("办事进度");
        crate::progress::lookup(&k, "20269999999", "123456");
        k.tap("重新输入");
        crate::progress::lookup(&k, CASE, CODE);
        idle(&k);
    }
    let r = report(&k);
    assert_eq!(r.no_result_queries.len(), 1, "{:?}", r.no_result_queries);
    assert_eq!(r.no_result_queries[0].query, "xqzxq");
    assert_eq!(r.no_result_queries[0].days, 3);
    assert!(
        r.totals
            .get(counter::SEARCH_NO_RESULT)
            .copied()
            .unwrap_or(0)
            >= 3,
        "{:?}",
        r.totals
    );
    let files = files_the_app_wrote(&k.data_dir());
    assert!(
        files.iter().any(|f| f.ends_with("usage/usage.db")),
        "{files:?}"
    );
    let mut control_found = false;
    for f in &files {
        let bytes = std::fs::read(f).expect("read");
        control_found |= bytes.windows(5).any(|w| w == b"xqzxq");
        for s in &secrets {
            // As typed, and grouped as the progress page shows a case.
            let grouped = kiosk_app::pages::progress::group_case_digits(s);
            for p in [s.to_string(), grouped] {
                assert!(
                    !bytes.windows(p.len()).any(|w| w == p.as_bytes()),
                    "{} holds {p:?} (typed: {s})",
                    f.display()
                );
            }
        }
    }
    assert!(control_found, "the control query is in no file: {files:?}");
}

/// A free port on 127.0.0.1 (bound, then let go).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

struct Prometheus {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's prometheus on 127.0.0.1, scraping `target` every second.
fn start_prometheus(target: &str) -> Option<Prometheus> {
    let bin = ["/usr/bin/prometheus", "/usr/local/bin/prometheus"]
        .into_iter()
        .find(|p| Path::new(p).exists())?;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: kiosk\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .expect("config");
    let port = free_port();
    let child = Command::new(bin)
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.path().join("log")).expect("log"))
        .spawn()
        .expect("start prometheus");
    Some(Prometheus {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    })
}

/// The `kiosk-sync` binary the workspace built beside this test
/// (target/<profile>/kiosk-sync; `cargo test --workspace` builds it), or
/// KIOSK_SYNC_BIN.
fn kiosk_sync_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("KIOSK_SYNC_BIN") {
        return p.into();
    }
    let exe = std::env::current_exe().expect("test binary path");
    let bin = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("kiosk-sync"))
        .expect("target folder");
    assert!(
        bin.exists(),
        "{} missing: build it first (cargo build -p kiosk-sync) or set KIOSK_SYNC_BIN",
        bin.display()
    );
    bin
}

/// `kiosk-sync daemon` on the app's data dir, as the kiosk runs it, with
/// its Prometheus endpoint on `addr` and no repository to poll.
struct SyncDaemon {
    child: Child,
    dir: tempfile::TempDir,
}

impl SyncDaemon {
    fn start(data: &Path, addr: &str) -> SyncDaemon {
        let dir = tempfile::tempdir().expect("tempdir");
        // The district's root of trust, as a kiosk is provisioned with: keys
        // and the demo county published once (there is no repository to
        // poll; the daemon only needs a trusted root to start).
        let (keys, repo) = (dir.path().join("keys"), dir.path().join("repo"));
        let demo_source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../kiosk-content/demo");
        for args in [
            vec!["keygen".into(), "--out".into(), keys.clone()],
            vec![
                "publish".into(),
                "--source".into(),
                demo_source,
                "--keys".into(),
                keys,
                "--repo".into(),
                repo.clone(),
            ],
        ] {
            let out = Command::new(kiosk_sync_bin())
                .args(&args)
                .output()
                .expect("run kiosk-sync");
            assert!(out.status.success(), "kiosk-sync {args:?}: {out:?}");
        }
        let root = repo.join("metadata").join("1.root.json");
        let config = dir.path().join("config.toml");
        std::fs::write(
            &config,
            format!(
                "repo_url = \"\"\ndata_dir = {:?}\nroot = {:?}\ncontrol_socket = {:?}\nmetrics_listen = {addr:?}\n",
                data.display().to_string(),
                root.display().to_string(),
                dir.path().join("control.sock").display().to_string(),
            ),
        )
        .expect("daemon config");
        let child = Command::new(kiosk_sync_bin())
            .arg("daemon")
            .arg("--config")
            .arg(&config)
            .env_remove("NOTIFY_SOCKET")
            .env_remove("WATCHDOG_USEC")
            .env_remove("WATCHDOG_PID")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("daemon.log")).expect("log"))
            .spawn()
            .expect("start kiosk-sync daemon");
        SyncDaemon { child, dir }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("daemon.log")).unwrap_or_default()
    }
}

impl Drop for SyncDaemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_real_prometheus_scrapes_the_kiosk_and_reads_the_figures_back() {
    let k = demo();
    use_the_kiosk(&k);
    // The kiosk's own sync daemon serves the figures, as on a kiosk.
    let addr = format!("127.0.0.1:{}", free_port());
    let daemon = SyncDaemon::start(&k.data_dir(), &addr);
    let Some(prom) = start_prometheus(&addr) else {
        eprintln!(
            "SKIPPED: no prometheus binary (Debian package `prometheus`, see deploy/dev/install-deps.sh)"
        );
        return;
    };
    // The first scrape after start-up: bounded by 30 s, polled every 200 ms.
    let deadline = Instant::now() + Duration::from_secs(30);
    let value = |q: &str| -> Option<f64> { kiosk_sync::fleet::query_value(&prom.url, q) };
    loop {
        if value("kiosk_searches_total") == Some(2.0) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus at {} has not scraped the daemon at {addr} in 30 s; daemon log:\n{}",
            prom.url,
            daemon.log()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(value("up{job=\"kiosk\"}"), Some(1.0));
    assert_eq!(value("kiosk_searches_no_result_total"), Some(1.0));
    assert_eq!(
        value("kiosk_progress_lookups_total{result=\"not_found\"}"),
        Some(1.0)
    );
    assert_eq!(value("kiosk_content_generation"), Some(1.0));
    assert_eq!(value("kiosk_printer_state{state=\"none\"}"), Some(1.0));
    assert_eq!(value("sum(kiosk_item_views_total)"), Some(1.0));
    // The district's table from the same Prometheus.
    let rows = kiosk_sync::fleet::from_prometheus(&prom.url).expect("fleet from Prometheus");
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].generation, Some(1));
    assert_eq!(rows[0].printer, "none");
}
