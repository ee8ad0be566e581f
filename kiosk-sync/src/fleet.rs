//! `kiosk-sync fleet`: the district's view of its kiosks, from the reports
//! USB sticks bring back ([`crate::report`]) and, where the district runs
//! Prometheus, from its HTTP API. One row per kiosk (newest figures win),
//! the stale or failing ones listed with why, and the top items and
//! no-result searches across kiosks for the content officers.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::report::{self, KioskReport, Verdict};

/// One kiosk as the district sees it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KioskRow {
    pub kiosk_id: String,
    pub hall: String,
    /// `usb` (a report file) or `prometheus`.
    pub source: String,
    /// When these figures were taken (report time, or the query time).
    pub seen_at: Option<DateTime<Utc>>,
    pub last_success: Option<DateTime<Utc>>,
    pub generation: Option<u64>,
    pub last_error: String,
    pub printer: String,
    /// `ok`, `unregistered key`, `BROKEN SIGNATURE: ...`, or `-` (Prometheus).
    pub signature: String,
    /// Why it is stale or failing (empty: fine).
    pub problems: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fleet {
    pub kiosks: Vec<KioskRow>,
    /// (item id, kind, title, views, kiosks) over the last 30 days.
    pub top_items: Vec<(String, String, String, u64, usize)>,
    /// (query, kiosks, days summed, times).
    pub top_no_result: Vec<(String, usize, u64, u64)>,
    /// Files under the reports folder that are not readable reports.
    pub unreadable: Vec<String>,
}

pub struct FleetOptions {
    pub reports: PathBuf,
    pub prometheus: Option<String>,
    /// A kiosk not updated (or not heard from) for this long is stale.
    pub stale_days: i64,
    /// `kiosk id,public key hex` lines registered at provisioning.
    pub registered: Option<PathBuf>,
    pub now: DateTime<Utc>,
}

/// Report files under `dir` (at most 6 folders deep, 100,000 files).
fn report_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), 0)];
    while let Some((d, depth)) = stack.pop() {
        let entries = std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))?;
        for e in entries.flatten() {
            let Ok(ft) = e.file_type() else { continue };
            let p = e.path();
            if ft.is_dir() && depth < 6 {
                stack.push((p, depth + 1));
            } else if ft.is_file()
                && p.extension().is_some_and(|x| x == "json")
                && out.len() < 100_000
            {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// `kiosk id,public key hex` per line; `#` comments.
pub fn load_registered(path: &Path) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut map = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((id, key)) = line.split_once(',') else {
            return Err(format!(
                "{}:{}: write `kiosk id,public key hex` (as `kiosk-sync report-key` prints)",
                path.display(),
                n + 1
            ));
        };
        map.insert(id.trim().to_string(), key.trim().to_string());
    }
    Ok(map)
}

/// Reads the reports (and Prometheus) and sums them up.
pub fn summarize(opts: &FleetOptions) -> anyhow::Result<Fleet> {
    let registered = opts
        .registered
        .as_deref()
        .map(load_registered)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let mut fleet = Fleet::default();
    // Newest valid report per kiosk; broken ones are rows of their own.
    let mut newest: BTreeMap<String, (KioskReport, Verdict)> = BTreeMap::new();
    let mut broken: Vec<KioskRow> = Vec::new();
    for path in report_files(&opts.reports).map_err(anyhow::Error::msg)? {
        match report::read(&path, registered.as_ref()) {
            Ok((r, Verdict::BadSignature(why))) => broken.push(KioskRow {
                kiosk_id: r.kiosk_id.clone(),
                hall: r.hall_name.clone(),
                source: "usb".into(),
                seen_at: Some(r.created_at),
                signature: "BROKEN SIGNATURE".into(),
                problems: vec![format!(
                    "{}: broken signature ({why}); its figures are not used",
                    path.display()
                )],
                ..KioskRow::default()
            }),
            Ok((r, v)) => {
                let newer = newest
                    .get(&r.kiosk_id)
                    .is_none_or(|(old, _)| r.created_at > old.created_at);
                if newer {
                    newest.insert(r.kiosk_id.clone(), (r, v));
                }
            }
            Err(e) => fleet.unreadable.push(e.to_string()),
        }
    }
    let mut items: BTreeMap<String, (String, String, u64, usize)> = BTreeMap::new();
    let mut queries: BTreeMap<String, (usize, u64, u64)> = BTreeMap::new();
    for (id, (r, v)) in &newest {
        let h = &r.health;
        let mut row = KioskRow {
            kiosk_id: id.clone(),
            hall: if r.hall_name.is_empty() {
                r.hall_id.clone()
            } else {
                r.hall_name.clone()
            },
            source: "usb".into(),
            seen_at: Some(r.created_at),
            last_success: h.last_success,
            generation: h.generation,
            last_error: h.last_error.clone().unwrap_or_default(),
            printer: h.printer.clone(),
            signature: match v {
                Verdict::Valid => "ok".into(),
                Verdict::Unregistered => "unregistered key".into(),
                Verdict::BadSignature(_) => "BROKEN SIGNATURE".into(),
            },
            problems: Vec::new(),
        };
        if *v == Verdict::Unregistered {
            row.problems
                .push("signed by a key not registered for this kiosk id".into());
        }
        if (opts.now - r.created_at).num_days() >= opts.stale_days {
            row.problems.push(format!(
                "last report {} days old",
                (opts.now - r.created_at).num_days()
            ));
        }
        if !h.app_up {
            row.problems.push("the touch app was not running".into());
        }
        if let (Some(free), Some(size)) = (h.disk_free_bytes, h.disk_size_bytes)
            && size > 0
            && free * 10 < size
        {
            row.problems
                .push(format!("disk low: {} MiB free", free / (1024 * 1024)));
        }
        if let Some(c) = &h.clock_problem {
            row.problems.push(format!("clock: {c}"));
        }
        health_problems(&mut row, opts);
        for i in &r.usage.top_items_30d {
            let e = items
                .entry(i.id.clone())
                .or_insert_with(|| (i.kind.clone(), i.title.clone(), 0, 0));
            e.2 += i.views;
            e.3 += 1;
        }
        for q in &r.usage.no_result_queries {
            let e = queries.entry(q.query.clone()).or_default();
            e.0 += 1;
            e.1 += u64::from(q.days);
            e.2 += q.times;
        }
        fleet.kiosks.push(row);
    }
    fleet.kiosks.extend(broken);
    if let Some(url) = &opts.prometheus {
        for mut row in from_prometheus(url)? {
            health_problems(&mut row, opts);
            // A kiosk seen both ways: the newer figures win.
            match fleet.kiosks.iter_mut().find(|k| {
                !row.kiosk_id.is_empty() && k.kiosk_id == row.kiosk_id && k.source == "usb"
            }) {
                Some(k) if k.seen_at < row.seen_at => *k = row,
                Some(_) => {}
                None => fleet.kiosks.push(row),
            }
        }
    }
    let mut items: Vec<_> = items
        .into_iter()
        .map(|(id, (kind, title, views, n))| (id, kind, title, views, n))
        .collect();
    items.sort_by(|a, b| b.3.cmp(&a.3).then(a.0.cmp(&b.0)));
    items.truncate(20);
    fleet.top_items = items;
    let mut queries: Vec<_> = queries
        .into_iter()
        .map(|(q, (k, d, t))| (q, k, d, t))
        .collect();
    queries.sort_by(|a, b| b.1.cmp(&a.1).then(b.3.cmp(&a.3)).then(a.0.cmp(&b.0)));
    queries.truncate(20);
    fleet.top_no_result = queries;
    Ok(fleet)
}

fn health_problems(row: &mut KioskRow, opts: &FleetOptions) {
    match row.last_success {
        None => row.problems.push("never updated".into()),
        Some(t) if (opts.now - t).num_days() >= opts.stale_days => row.problems.push(format!(
            "stale: last update {} days ago",
            (opts.now - t).num_days()
        )),
        Some(_) => {}
    }
    if !row.last_error.is_empty() {
        row.problems.push(format!("failing: {}", row.last_error));
    }
    if matches!(row.printer.as_str(), "paper_out" | "offline" | "error") {
        row.problems.push(format!("printer {}", row.printer));
    }
}

/// One instant query against Prometheus at `base`; the result's series as
/// (labels, value).
pub fn query(
    client: &reqwest::blocking::Client,
    base: &str,
    q: &str,
) -> anyhow::Result<Vec<(BTreeMap<String, String>, f64)>> {
    let url = format!("{}/api/v1/query", base.trim_end_matches('/'));
    let resp = client
        .get(&url)
        .query(&[("query", q)])
        .send()
        .map_err(|e| anyhow::anyhow!("{url}: {e} (is Prometheus at {base}?)"))?;
    let status = resp.status();
    let text = resp
        .text()
        .map_err(|e| anyhow::anyhow!("{url}: reading the answer: {e}"))?;
    let body: Value = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("{url}: not Prometheus's JSON ({e})"))?;
    if !status.is_success() || body.get("status").and_then(Value::as_str) != Some("success") {
        anyhow::bail!("{url}?query={q}: HTTP {status}: {body}");
    }
    let mut out = Vec::new();
    for s in body
        .pointer("/data/result")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        let labels = s
            .get("metric")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let value = s
            .pointer("/value/1")
            .and_then(Value::as_str)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(f64::NAN);
        out.push((labels, value));
    }
    Ok(out)
}

/// The first value an instant query gives (`None`: no series, or
/// Prometheus did not answer).
pub fn query_value(base: &str, q: &str) -> Option<f64> {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .ok()?;
    query(&client, base, q).ok()?.first().map(|(_, v)| *v)
}

/// The kiosks Prometheus scrapes (job label any), one row per instance.
pub fn from_prometheus(base: &str) -> anyhow::Result<Vec<KioskRow>> {
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(15))
        .build()?;
    let now = Utc::now();
    let mut rows: BTreeMap<String, KioskRow> = BTreeMap::new();
    let instance = |l: &BTreeMap<String, String>| l.get("instance").cloned().unwrap_or_default();
    for (l, _) in query(&client, base, "kiosk_info")? {
        let inst = instance(&l);
        rows.insert(
            inst.clone(),
            KioskRow {
                kiosk_id: l.get("kiosk_id").cloned().unwrap_or_default(),
                hall: l.get("hall_id").cloned().unwrap_or_default(),
                source: "prometheus".into(),
                seen_at: Some(now),
                signature: "-".into(),
                ..KioskRow::default()
            },
        );
        if let Some(r) = rows.get_mut(&inst)
            && r.kiosk_id.is_empty()
        {
            r.kiosk_id = inst;
        }
    }
    for (l, v) in query(&client, base, "up == 0")? {
        if v == 0.0 {
            let inst = instance(&l);
            let row = rows.entry(inst.clone()).or_insert_with(|| KioskRow {
                kiosk_id: inst.clone(),
                source: "prometheus".into(),
                signature: "-".into(),
                ..KioskRow::default()
            });
            row.problems
                .push("not answering Prometheus's scrapes".into());
        }
    }
    for (l, v) in query(&client, base, "kiosk_content_generation")? {
        if let Some(r) = rows.get_mut(&instance(&l)) {
            r.generation = Some(v as u64);
        }
    }
    for (l, v) in query(&client, base, "kiosk_sync_last_success_timestamp_seconds")? {
        if let Some(r) = rows.get_mut(&instance(&l)) {
            r.last_success = DateTime::from_timestamp(v as i64, 0);
        }
    }
    for (l, v) in query(&client, base, "kiosk_sync_failing")? {
        if let Some(r) = rows.get_mut(&instance(&l))
            && v == 1.0
        {
            r.last_error = "the last update failed (see kiosk-sync status on the kiosk)".into();
        }
    }
    for (l, _) in query(&client, base, "kiosk_printer_state == 1")? {
        if let Some(r) = rows.get_mut(&instance(&l)) {
            r.printer = l.get("state").cloned().unwrap_or_default();
        }
    }
    for (l, v) in query(&client, base, "kiosk_app_up")? {
        if let Some(r) = rows.get_mut(&instance(&l))
            && v == 0.0
        {
            r.problems.push("the touch app was not running".into());
        }
    }
    Ok(rows.into_values().collect())
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_else(|| "-".into())
}

/// `s` cut to `n` terminal columns (CJK characters take two) and padded
/// to exactly that width, so the table's columns line up.
fn cut(s: &str, n: usize) -> String {
    let w = |c: char| if c >= '\u{1100}' { 2 } else { 1 };
    let mut out = String::new();
    let mut used = 0;
    let total: usize = s.chars().map(w).sum();
    for c in s.chars() {
        if total > n && used + w(c) > n - 1 {
            out.push('…');
            used += 1;
            break;
        }
        out.push(c);
        used += w(c);
    }
    out.push_str(&" ".repeat(n.saturating_sub(used)));
    out
}

/// The terminal table, the problem list and the top lists.
pub fn print_table(f: &Fleet, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        out,
        "{}  {}  {:<10}  {:<16}  {:<16}  {:>4}  {:<10}  {:<16}  LAST ERROR",
        cut("KIOSK", 16),
        cut("HALL", 24),
        "SOURCE",
        "SEEN",
        "LAST SYNC",
        "GEN",
        "PRINTER",
        "SIGNATURE"
    )?;
    for k in &f.kiosks {
        writeln!(
            out,
            "{}  {}  {:<10}  {:<16}  {:<16}  {:>4}  {}  {}  {}",
            cut(&k.kiosk_id, 16),
            cut(&k.hall, 24),
            k.source,
            time(k.seen_at),
            time(k.last_success),
            k.generation.map_or("-".into(), |g| g.to_string()),
            cut(&k.printer, 10),
            cut(&k.signature, 16),
            cut(&k.last_error, 60),
        )?;
    }
    let bad: Vec<_> = f.kiosks.iter().filter(|k| !k.problems.is_empty()).collect();
    writeln!(out, "\nSTALE OR FAILING: {}", bad.len())?;
    for k in bad {
        writeln!(
            out,
            "  {} ({}): {}",
            k.kiosk_id,
            k.hall,
            k.problems.join("; ")
        )?;
    }
    if !f.unreadable.is_empty() {
        writeln!(out, "\nUNREADABLE FILES: {}", f.unreadable.len())?;
        for u in &f.unreadable {
            writeln!(out, "  {u}")?;
        }
    }
    writeln!(out, "\nTOP ITEMS (last 30 days, all kiosks)")?;
    for (id, kind, title, views, n) in &f.top_items {
        writeln!(
            out,
            "  {views:>6}  {n:>3} kiosks  {kind:<14}  {id}  {title}"
        )?;
    }
    writeln!(
        out,
        "\nTOP SEARCHES WITH NO RESULT (each seen on 3+ days at a kiosk)"
    )?;
    for (q, kiosks, days, times) in &f.top_no_result {
        writeln!(
            out,
            "  {times:>6} times  {days:>4} days  {kiosks:>3} kiosks  {q}"
        )?;
    }
    Ok(())
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One CSV row per kiosk (UTF-8 with a BOM, so spreadsheet programs read
/// the Chinese hall names).
pub fn write_csv(f: &Fleet, out: &mut dyn Write) -> std::io::Result<()> {
    out.write_all("\u{feff}".as_bytes())?;
    writeln!(
        out,
        "kiosk_id,hall,source,seen_at,last_success,generation,printer,signature,last_error,problems"
    )?;
    let iso = |t: Option<DateTime<Utc>>| t.map(|t| t.to_rfc3339()).unwrap_or_default();
    for k in &f.kiosks {
        let fields = [
            k.kiosk_id.clone(),
            k.hall.clone(),
            k.source.clone(),
            iso(k.seen_at),
            iso(k.last_success),
            k.generation.map(|g| g.to_string()).unwrap_or_default(),
            k.printer.clone(),
            k.signature.clone(),
            k.last_error.clone(),
            k.problems.join("; "),
        ];
        let line: Vec<String> = fields.iter().map(|s| csv_field(s)).collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}
