//! Issue 16 with the real binary: the daemon's /metrics and `kiosk-sync
//! metrics` (checked by promtool), the signed report a USB import writes
//! onto the stick, `kiosk-sync fleet` reading it back (a broken signature
//! and an unregistered key flagged), the shipped alerting rules and
//! dashboard. The app's side of the figures is a report file as the app
//! writes it (the app itself drives them in kiosk-app's UI test `fleet`).

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

mod support;

use chrono::{NaiveDate, Utc};
use kiosk_content::control::ControlRequest;
use kiosk_content::usage::{APP_REPORT_FORMAT, AppReport, DayUsage, ItemCount, QueryCount};
use support::{Config, Daemon, Repo, wait_for};

fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    let out = cmd.stdin(Stdio::null()).output().expect("run");
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

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_path_buf()
}

/// `promtool`, or `None` with a message where the package is missing.
fn promtool() -> Option<&'static str> {
    let p = "/usr/bin/promtool";
    if Path::new(p).exists() {
        Some(p)
    } else {
        eprintln!(
            "SKIPPED promtool checks: no /usr/bin/promtool (Debian package `prometheus`, see deploy/dev/install-deps.sh)"
        );
        None
    }
}

fn promtool_check_metrics(text: &str) {
    let Some(bin) = promtool() else { return };
    let mut child = Command::new(bin)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(text.as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("promtool");
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool check metrics:\n{}{}\n--- exposition ---\n{text}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The app's report as the app writes it, with a printer out of paper.
fn app_report(data: &Path, written_at: chrono::DateTime<Utc>) {
    let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).expect("date");
    let counts = |n: u64| -> BTreeMap<String, u64> {
        [
            ("visit", n),
            ("search", 2 * n),
            ("search_no_result", n),
            ("item_view:guide", 3 * n),
            ("page_view:search", 2 * n),
            ("progress_found", 1),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    };
    let report = AppReport {
        format: APP_REPORT_FORMAT.into(),
        written_at,
        app_version: "0.1.0".into(),
        started_at: written_at - chrono::Duration::hours(5),
        hall_id: "chengguan".into(),
        hall_name: "城关镇便民服务中心".into(),
        printer: "paper_out".into(),
        screen: "on".into(),
        screen_in_hours: true,
        totals: counts(30),
        days: vec![
            DayUsage {
                date: day(1),
                counts: counts(10),
            },
            DayUsage {
                date: day(2),
                counts: counts(20),
            },
        ],
        top_items_30d: vec![ItemCount {
            id: "guide-dibao".into(),
            kind: "guide".into(),
            title: "最低生活保障申请".into(),
            views: 40,
        }],
        no_result_queries: vec![QueryCount {
            query: "宅基地".into(),
            days: 3,
            times: 5,
        }],
    };
    std::fs::create_dir_all(data.join("usage")).expect("usage dir");
    std::fs::write(
        AppReport::path(data),
        serde_json::to_vec_pretty(&report).expect("json"),
    )
    .expect("write app report");
}

fn http_get(addr: &str, path: &str) -> (String, String) {
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    write!(stream, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("request");
    let mut text = String::new();
    stream.read_to_string(&mut text).expect("response");
    let (head, body) = text.split_once("\r\n\r\n").expect("a response head");
    (head.to_string(), body.to_string())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

fn reports_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for kiosk in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        for f in std::fs::read_dir(kiosk.path())
            .into_iter()
            .flatten()
            .flatten()
        {
            // Only finished reports: the kiosk writes `.<name>.<pid>.tmp`
            // first and renames it, so a poll can see the temporary file.
            let p = f.path();
            let name = f.file_name();
            let name = name.to_string_lossy();
            if !name.starts_with('.') && name.ends_with(".json") {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn metrics_served_and_printed_a_usb_report_and_fleet_reads_it_back() {
    let repo = Repo::new();
    repo.publish(0);
    let stick = repo.copy("usb-1");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Daemon::write_config(dir.path(), &Config::new("", &repo.root_json()));
    let addr = format!("127.0.0.1:{}", free_port());
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str(&format!("metrics_listen = {addr:?}\n"));
    std::fs::write(&config, text).expect("config");
    let data = dir.path().join("data");
    app_report(&data, Utc::now());
    let daemon = Daemon::start_with(dir, &config, &[]);
    daemon.wait_status("the daemon", |_| true);

    // Before any content: up, no generation gauge, the app's figures.
    let (head, body) = http_get(&addr, "/metrics");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("text/plain; version=0.0.4"), "{head}");
    assert!(!body.contains("kiosk_content_generation "), "{body}");
    assert!(body.contains("kiosk_printer_state{state=\"paper_out\"} 1"));

    let resp = daemon.request(&ControlRequest::Import {
        path: s(&stick).to_string(),
    });
    assert!(resp.ok, "{resp:?}");
    daemon.wait_status("the import", |st| st.generation == Some(1));
    let reports_dir = stick.join("kiosk-reports");
    let log = || daemon.log();
    let written = wait_for(
        "the report on the stick",
        Duration::from_secs(10),
        &log,
        || {
            let r = reports_under(&reports_dir);
            (!r.is_empty()).then_some(r)
        },
    );
    assert_eq!(written.len(), 1, "{written:?}");

    let (_, body) = http_get(&addr, "/metrics");
    for line in [
        "kiosk_content_generation 1",
        "kiosk_sync_failing 0",
        "kiosk_app_up 1",
        "kiosk_visits_total 30",
        "kiosk_item_views_total{kind=\"guide\"} 90",
        "kiosk_page_views_total{page=\"search\"} 60",
        "kiosk_printer_state{state=\"ready\"} 0",
        "kiosk_screen_state{state=\"on\"} 1",
    ] {
        assert!(body.lines().any(|l| l == line), "no `{line}` in\n{body}");
    }
    promtool_check_metrics(&body);
    let (head, _) = http_get(&addr, "/other");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");

    // The same, once, on standard output.
    let (code, printed, err) = run(&mut kiosk_sync(&["metrics", "--data-dir", s(&data)]));
    assert_eq!(code, Some(0), "{err}");
    assert!(printed.contains("kiosk_content_generation 1"), "{printed}");
    promtool_check_metrics(&printed);

    // Every metric the dashboard and the rules use is exposed.
    let dashboard =
        std::fs::read_to_string(workspace().join("deploy/monitoring/grafana-dashboard.json"))
            .expect("dashboard");
    let _: serde_json::Value = serde_json::from_str(&dashboard).expect("dashboard is JSON");
    let rules = std::fs::read_to_string(workspace().join("deploy/monitoring/kiosk.rules.yml"))
        .expect("rules");
    for used in [dashboard, rules] {
        for name in used
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with("kiosk_") && w.len() > 6)
        {
            assert!(
                body.contains(&format!("# TYPE {name} ")),
                "{name} is used in deploy/monitoring but not exposed"
            );
        }
    }

    // The district: the report read back.
    let csv = daemon.dir.path().join("fleet.csv");
    let (code, out, err) = run(&mut kiosk_sync(&[
        "fleet",
        "--reports",
        s(&reports_dir),
        "--csv",
        s(&csv),
    ]));
    assert_eq!(code, Some(0), "{out}{err}");
    let kiosk_id = written[0]
        .parent()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
        .expect("kiosk id folder")
        .to_string();
    let row = out
        .lines()
        .find(|l| l.starts_with(&kiosk_id))
        .unwrap_or_else(|| panic!("no row for {kiosk_id}:\n{out}"));
    assert!(row.contains("城关镇便民服务中心"), "{row}");
    assert!(row.contains("paper_out") && row.contains(" ok "), "{row}");
    assert!(out.contains("printer paper_out"), "{out}");
    assert!(out.contains("guide-dibao  最低生活保障申请"), "{out}");
    assert!(out.contains("宅基地"), "{out}");
    let csv_text = std::fs::read_to_string(&csv).expect("csv");
    assert!(
        csv_text
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with(&format!("{kiosk_id},城关镇便民服务中心,usb,"))),
        "{csv_text}"
    );
    // The report holds the usage days since the last report: both days
    // the first time.
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&written[0]).expect("report")).expect("json");
    assert_eq!(
        report["signed"]["usage"]["days"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(report["signed"]["health"]["generation"], 1);

    // Registered keys: this kiosk's own line passes, another key is flagged.
    let (code, line, err) = run(&mut kiosk_sync(&["report-key", "--data-dir", s(&data)]));
    assert_eq!(code, Some(0), "{err}");
    assert!(line.starts_with(&format!("{kiosk_id},")), "{line}");
    let registered = daemon.dir.path().join("kiosks.csv");
    std::fs::write(&registered, &line).expect("write");
    let (_, out, _) = run(&mut kiosk_sync(&[
        "fleet",
        "--reports",
        s(&reports_dir),
        "--registered",
        s(&registered),
    ]));
    assert!(!out.contains("unregistered"), "{out}");
    std::fs::write(&registered, format!("{kiosk_id},{}\n", "ab".repeat(32))).expect("write");
    let (_, out, _) = run(&mut kiosk_sync(&[
        "fleet",
        "--reports",
        s(&reports_dir),
        "--registered",
        s(&registered),
    ]));
    assert!(out.contains("unregistered key"), "{out}");

    // A report changed after the kiosk signed it.
    let tampered_dir = daemon.dir.path().join("collected");
    std::fs::create_dir_all(tampered_dir.join(&kiosk_id)).expect("dir");
    let original = std::fs::read_to_string(&written[0]).expect("report");
    let tampered = original.replacen("\"generation\": 1", "\"generation\": 7", 1);
    assert_ne!(tampered, original);
    std::fs::write(tampered_dir.join(&kiosk_id).join("changed.json"), tampered).expect("write");
    let (code, out, err) = run(&mut kiosk_sync(&["fleet", "--reports", s(&tampered_dir)]));
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("BROKEN SIGNATURE"), "{out}");
    assert!(out.contains("broken signature"), "{out}");
    assert!(
        !out.contains("guide-dibao"),
        "a broken report's figures were used:\n{out}"
    );
}

#[test]
fn the_shipped_alerting_rules_pass_promtool() {
    let Some(bin) = promtool() else { return };
    let rules = workspace().join("deploy/monitoring/kiosk.rules.yml");
    let (code, out, err) = run(Command::new(bin).args(["check", "rules", s(&rules)]));
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("SUCCESS: 7 rules found"), "{out}");
}

#[test]
fn a_bad_metrics_listen_is_refused_naming_the_key() {
    let repo = Repo::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Daemon::write_config(dir.path(), &Config::new("", &repo.root_json()));
    let mut text = std::fs::read_to_string(&config).expect("config");
    text.push_str("metrics_listen = \"the vpn\"\n");
    std::fs::write(&config, text).expect("config");
    let (code, _, err) = run(&mut kiosk_sync(&["daemon", "--config", s(&config)]));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("metrics_listen = \"the vpn\""), "{err}");
    assert!(err.contains(s(&config)), "{err}");
}

#[test]
fn a_stick_that_cannot_take_the_report_still_imports() {
    let repo = Repo::new();
    repo.publish(0);
    let stick = repo.copy("usb-ro");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = Daemon::write_config(dir.path(), &Config::new("", &repo.root_json()));
    // A file where the reports folder would go: it cannot be made.
    std::fs::write(stick.join("kiosk-reports"), b"not a folder").expect("write");
    let (code, out, err) = run(&mut kiosk_sync(&[
        "import",
        s(&stick),
        "--config",
        s(&config),
    ]));
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(err.contains("no kiosk report on the stick"), "{err}");
    assert!(err.contains("kiosk-reports"), "{err}");
}
