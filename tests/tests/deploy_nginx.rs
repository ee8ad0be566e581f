//! The district side for real: a repository published by `kiosk-sync`,
//! served by nginx with the site config from `deploy/nginx/` on 127.0.0.1,
//! pulled by a kiosk. Checks the caching headers, that objects are served
//! with byte ranges and never gzipped, and that a download cut by killing
//! the kiosk mid-object is resumed after the restart with one Range request
//! for the remaining bytes only (seen in nginx's own access log).
//!
//! Needs nginx (`bash deploy/dev/install-deps.sh` installs it); without it
//! these tests fail, they do not skip.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kiosk_content::ContentReader;
use kiosk_sync::publish::{self, PublishOptions};
use kiosk_sync::pull::{PullResult, Source};
use kiosk_sync::state::SystemClock;
use kiosk_sync::store::StoreApplier;
use kiosk_tests::sync_support::{district_keys, objects_of};

const REPO_PATH: &str = "/kiosk-repo/";

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn nginx_binary() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    // Debian installs it in /usr/sbin, which is not on every user's PATH.
    dirs.extend(["/usr/sbin", "/usr/local/sbin"].map(PathBuf::from));
    dirs.into_iter()
        .map(|d| d.join("nginx"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "nginx is not installed (not on PATH, not in /usr/sbin); run `bash deploy/dev/install-deps.sh`"
            )
        })
}

/// The site config of deploy/nginx/ with its `# kiosk-test:` lines pointed
/// at a temporary web root, 127.0.0.1:`port` and a temporary access log.
fn site_config(www: &Path, port: u16, access_log: &Path) -> String {
    let path = workspace_root().join("deploy/nginx/kiosk-repo.conf");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut seen = BTreeMap::new();
    let out: Vec<String> = text
        .lines()
        .map(|line| {
            let tagged = (!line.trim_start().starts_with('#'))
                .then(|| line.split_once("# kiosk-test:"))
                .flatten();
            let Some((_, tag)) = tagged else {
                return line.to_string();
            };
            let tag = tag.trim();
            *seen.entry(tag.to_string()).or_insert(0) += 1;
            match tag {
                "listen" => format!("    listen 127.0.0.1:{port};"),
                "listen6" => "    # (no IPv6 listener in the test)".to_string(),
                "root" => format!("    root {};", www.display()),
                "access_log" => format!("    access_log {} kiosk_repo;", access_log.display()),
                other => panic!("{}: unknown test tag {other:?}", path.display()),
            }
        })
        .collect();
    for tag in ["listen", "listen6", "root", "access_log"] {
        assert_eq!(
            seen.get(tag),
            Some(&1),
            "{}: expected exactly one line tagged `# kiosk-test: {tag}`",
            path.display()
        );
    }
    out.join("\n")
}

/// nginx as a child process (single process, `daemon off`), killed on drop.
struct Nginx {
    child: Child,
    port: u16,
    prefix: PathBuf,
    access_log: PathBuf,
}

impl Nginx {
    /// `http_extra` goes into the http block before the site (test-only
    /// directives, e.g. a rate limit).
    fn start(prefix: &Path, www: &Path, port: u16, name: &str, http_extra: &str) -> Nginx {
        let nginx = nginx_binary();
        std::fs::create_dir_all(prefix.join("tmp")).expect("nginx prefix");
        let access_log = prefix.join(format!("{name}.access.log"));
        let site = prefix.join(format!("{name}.site.conf"));
        std::fs::write(&site, site_config(www, port, &access_log)).expect("write site");
        let log_format = workspace_root().join("deploy/nginx/kiosk-repo-log.conf");
        let p = prefix.display();
        // Like Debian's nginx.conf in what matters here: gzip is on
        // globally (here for every type), so the site must turn it off.
        let conf = format!(
            "master_process off;\n\
             worker_processes 1;\n\
             pid {p}/{name}.pid;\n\
             error_log {p}/{name}.error.log info;\n\
             events {{ worker_connections 64; }}\n\
             http {{\n\
             client_body_temp_path {p}/tmp/body;\n\
             proxy_temp_path {p}/tmp/proxy;\n\
             fastcgi_temp_path {p}/tmp/fastcgi;\n\
             uwsgi_temp_path {p}/tmp/uwsgi;\n\
             scgi_temp_path {p}/tmp/scgi;\n\
             gzip on; gzip_types *; gzip_min_length 1; gzip_proxied any;\n\
             include {};\n\
             {http_extra}\n\
             include {};\n\
             }}\n",
            log_format.display(),
            site.display()
        );
        let conf_path = prefix.join(format!("{name}.nginx.conf"));
        std::fs::write(&conf_path, conf).expect("write nginx.conf");
        let error_log = prefix.join(format!("{name}.error.log"));
        let child = Command::new(&nginx)
            .arg("-p")
            .arg(prefix)
            .arg("-e")
            .arg(&error_log)
            .arg("-c")
            .arg(&conf_path)
            .args(["-g", "daemon off;"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", nginx.display()));
        let mut n = Nginx {
            child,
            port,
            prefix: prefix.to_path_buf(),
            access_log,
        };
        n.wait_ready(&error_log);
        n
    }

    fn wait_ready(&mut self, error_log: &Path) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut stderr = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = e.read_to_string(&mut stderr);
                }
                panic!(
                    "nginx exited at start ({status}):\n{stderr}\n{}",
                    std::fs::read_to_string(error_log).unwrap_or_default()
                );
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "nginx did not listen on 127.0.0.1:{} within 15 s; see {}",
                self.port,
                self.prefix.display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}{REPO_PATH}", self.port)
    }

    fn log(&self) -> Vec<LogLine> {
        std::fs::read_to_string(&self.access_log)
            .unwrap_or_default()
            .lines()
            .map(|l| LogLine::parse(l).unwrap_or_else(|| panic!("unreadable log line: {l}")))
            .collect()
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One line of the `kiosk_repo` log format (deploy/nginx/kiosk-repo-log.conf).
#[derive(Debug, Clone)]
struct LogLine {
    method: String,
    uri: String,
    status: u16,
    range: String,
    body_bytes: u64,
    gzip: String,
}

impl LogLine {
    fn parse(line: &str) -> Option<LogLine> {
        let (_, rest) = line.split_once("] \"")?;
        let (request, rest) = rest.split_once("\" ")?;
        let (method, uri) = request.split_once(' ')?;
        let (status, rest) = rest.split_once(' ')?;
        let field = |name: &str| -> Option<String> {
            let start = rest.find(&format!("{name}="))? + name.len() + 1;
            let v = &rest[start..];
            if let Some(q) = v.strip_prefix('"') {
                Some(q[..q.find('"')?].to_string())
            } else {
                Some(v.split(' ').next()?.to_string())
            }
        };
        Some(LogLine {
            method: method.to_string(),
            uri: uri.to_string(),
            status: status.parse().ok()?,
            range: field("range")?,
            body_bytes: field("body")?.parse().ok()?,
            gzip: field("gzip")?,
        })
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

/// A plain HTTP/1.0 exchange (headers lower-cased).
struct Response {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

fn http(method: &str, port: u16, path: &str, extra_headers: &[(&str, &str)]) -> Response {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to nginx");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut req = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n");
    for (k, v) in extra_headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).expect("send request");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("read response");
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("end of headers");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Response {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    }
}

/// District keys and the demo county published to `<tmp>/www/kiosk-repo`.
struct Published {
    tmp: tempfile::TempDir,
    www: PathBuf,
    repo: PathBuf,
    root_json: PathBuf,
    data: PathBuf,
    items: u64,
}

fn publish_demo() -> Published {
    let tmp = tempfile::tempdir().expect("tempdir");
    // nginx may run its worker as another user when started as root.
    make_world_readable(tmp.path());
    let keys = district_keys(&tmp.path().join("keys"), 1, 1);
    let www = tmp.path().join("www");
    let repo = www.join("kiosk-repo");
    let objects = objects_of(&kiosk_content::source::demo_tree());
    let report =
        publish::publish(&repo, &keys, &objects, &PublishOptions::default()).expect("publish");
    assert_eq!(report.snapshot_version, 1);
    // What the same content gives when applied directly.
    let items = kiosk_content::demo::open_demo(&tmp.path().join("reference"))
        .expect("demo store")
        .generation()
        .item_count;
    Published {
        root_json: repo.join("metadata/1.root.json"),
        data: tmp.path().join("kiosk"),
        www,
        repo,
        tmp,
        items,
    }
}

fn make_world_readable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755)).expect("chmod tempdir");
}

fn pull(data: &Path, url: &str, root: &Path) -> kiosk_sync::pull::PullOutcome {
    kiosk_sync::pull::pull(
        data,
        &Source::Http(url.to_string()),
        Some(root),
        &SystemClock,
        &mut StoreApplier::new(data),
    )
    .unwrap_or_else(|e| panic!("pull from {url}: {e}"))
}

/// Objects of the repository (name = sha256) with their lengths, largest first.
fn repo_objects(repo: &Path) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = std::fs::read_dir(repo.join("objects"))
        .expect("repo objects")
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                e.metadata().expect("stat").len(),
            )
        })
        .collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

fn current_items(data: &Path) -> u64 {
    ContentReader::open(data)
        .expect("the kiosk has content")
        .generation()
        .item_count
}

#[test]
fn nginx_serves_the_repository_with_the_right_headers_and_a_kiosk_pulls_it() {
    let p = publish_demo();
    let port = free_port();
    let nginx = Nginx::start(&p.tmp.path().join("nginx"), &p.www, port, "plain", "");

    // Metadata: revalidated every time, a missing next root included.
    let ts = http("GET", port, "/kiosk-repo/metadata/timestamp.json", &[]);
    assert_eq!(ts.status, 200);
    assert_eq!(
        ts.headers.get("cache-control").map(String::as_str),
        Some("no-cache")
    );
    assert_eq!(
        ts.headers.get("content-type").map(String::as_str),
        Some("application/json")
    );
    assert!(ts.headers.contains_key("etag"));
    let next_root = http("GET", port, "/kiosk-repo/metadata/2.root.json", &[]);
    assert_eq!(next_root.status, 404);
    assert_eq!(
        next_root.headers.get("cache-control").map(String::as_str),
        Some("no-cache"),
        "a 404 for the next root must not be cached either"
    );
    // Metadata can change in place: no ranges that could splice two versions.
    let ranged_md = http(
        "GET",
        port,
        "/kiosk-repo/metadata/timestamp.json",
        &[("Range", "bytes=5-")],
    );
    assert_eq!(ranged_md.status, 200);

    // Objects: immutable, identity-encoded even when gzip is asked for, ranges.
    let objects = repo_objects(&p.repo);
    // Globally gzip applies to every type here, so any object would do.
    let (sha, len) = objects[0].clone();
    let bytes = std::fs::read(p.repo.join("objects").join(&sha)).expect("object");
    let path = format!("/kiosk-repo/objects/{sha}");
    let full = http("GET", port, &path, &[("Accept-Encoding", "gzip")]);
    assert_eq!(full.status, 200);
    assert_eq!(
        full.headers.get("content-encoding"),
        None,
        "objects must not be gzipped"
    );
    assert_eq!(full.headers.get("content-length"), Some(&len.to_string()));
    assert_eq!(full.body, bytes);
    let cc = full
        .headers
        .get("cache-control")
        .cloned()
        .unwrap_or_default();
    assert!(
        cc.contains("immutable") && cc.contains("max-age=31536000"),
        "{cc}"
    );
    assert_eq!(
        full.headers.get("content-type").map(String::as_str),
        Some("application/octet-stream")
    );
    let part = http(
        "GET",
        port,
        &path,
        &[("Accept-Encoding", "gzip"), ("Range", "bytes=10-")],
    );
    assert_eq!(part.status, 206);
    assert_eq!(
        part.headers.get("content-range"),
        Some(&format!("bytes 10-{}/{len}", len - 1))
    );
    assert_eq!(part.headers.get("content-encoding"), None);
    assert_eq!(part.body, bytes[10..]);

    // Manifests (content-addressed) are immutable too.
    let manifest = std::fs::read_dir(p.repo.join("targets/bundle"))
        .expect("targets/bundle")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(".manifest.json"))
        .expect("a bundle manifest");
    let m = http(
        "GET",
        port,
        &format!("/kiosk-repo/targets/bundle/{manifest}"),
        &[],
    );
    assert_eq!(m.status, 200);
    assert!(m.headers["cache-control"].contains("immutable"));

    // Nothing else is served, and nothing but GET/HEAD.
    for path in [
        "/kiosk-repo/",
        "/kiosk-repo/objects/",
        "/kiosk-repo/objects/.partial/x",
        "/kiosk-repo/../keys/keys.json",
        "/keys/keys.json",
        "/",
    ] {
        assert_eq!(http("GET", port, path, &[]).status, 404, "{path}");
    }
    assert_eq!(http("POST", port, &path, &[]).status, 403);
    assert_eq!(http("HEAD", port, &path, &[]).status, 200);

    // A kiosk pulls it: every object once, then a poll costs metadata only.
    let before = nginx.log().len();
    let out = pull(&p.data, &nginx.url(), &p.root_json);
    assert!(
        matches!(
            out.result,
            PullResult::Applied {
                generation: 1,
                bundle_version: 1
            }
        ),
        "{out:?}"
    );
    assert_eq!(current_items(&p.data), p.items);
    let log = nginx.log()[before..].to_vec();
    let mut object_requests = BTreeMap::new();
    for l in &log {
        assert!(l.method == "GET" && l.gzip == "-", "not a plain GET: {l:?}");
        if let Some(sha) = l.uri.strip_prefix("/kiosk-repo/objects/") {
            assert_eq!(l.status, 200, "{l:?}");
            *object_requests.entry(sha.to_string()).or_insert(0) += 1;
        }
    }
    assert_eq!(object_requests.len(), objects.len(), "every object fetched");
    assert!(
        object_requests.values().all(|&n| n == 1),
        "{object_requests:?}"
    );

    let before = nginx.log().len();
    let out = pull(&p.data, &nginx.url(), &p.root_json);
    assert!(matches!(out.result, PullResult::UpToDate { .. }), "{out:?}");
    let poll = nginx.log()[before..].to_vec();
    assert!(
        poll.iter()
            .all(|l| l.uri.starts_with("/kiosk-repo/metadata/")),
        "a poll with nothing new fetched more than metadata: {poll:?}"
    );
}

/// Set by the resume test: this test then runs one pull in its own process,
/// so the parent can kill it mid-download like a power cut. Run alone, it
/// does nothing.
const CHILD_ENV: &str = "KIOSK_DEPLOY_NGINX_CHILD_PULL";

#[test]
fn child_process_pull_for_the_resume_test() {
    let Ok(spec) = std::env::var(CHILD_ENV) else {
        return;
    };
    let mut parts = spec.splitn(3, '\n');
    let (url, data, root) = (
        parts.next().expect("url"),
        parts.next().expect("data dir"),
        parts.next().expect("root"),
    );
    let _ = kiosk_sync::pull::pull(
        Path::new(data),
        &Source::Http(url.to_string()),
        Some(Path::new(root)),
        &SystemClock,
        &mut StoreApplier::new(Path::new(data)),
    );
}

#[test]
fn a_download_cut_by_killing_the_kiosk_resumes_with_a_range_request_for_the_rest() {
    let p = publish_demo();
    let port = free_port();
    let prefix = p.tmp.path().join("nginx");
    let objects = repo_objects(&p.repo);
    let (big, len) = objects[0].clone();
    assert!(
        len >= 16 * 1024,
        "the demo's largest object is only {len} bytes; the test needs one of 16 KiB or more"
    );
    // Only this object is slowed down (test-only directive; the site config
    // itself is unchanged): about 10 s for the whole object.
    let rate = (len / 10).max(1024);
    let throttle = format!(
        "map_hash_bucket_size 256;\n\
         map $uri $kiosk_test_rate {{ default 0; {REPO_PATH}objects/{big} {rate}; }}\n\
         limit_rate $kiosk_test_rate;"
    );
    let slow = Nginx::start(&prefix, &p.www, port, "slow", &throttle);

    // The kiosk, in its own process, killed once part of the object is in.
    let partial = p.data.join("objects/.partial").join(&big);
    let mut child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "child_process_pull_for_the_resume_test",
            "--test-threads",
            "1",
            "--nocapture",
        ])
        .env(
            CHILD_ENV,
            format!(
                "{}\n{}\n{}",
                slow.url(),
                p.data.display(),
                p.root_json.display()
            ),
        )
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the kiosk process");
    let deadline = Instant::now() + Duration::from_secs(60);
    let cut_at = len / 4;
    loop {
        let have = std::fs::metadata(&partial).map(|m| m.len()).unwrap_or(0);
        if have >= cut_at {
            break;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("the kiosk process ended ({status}) before it had {cut_at} bytes of {big}");
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("no {cut_at} bytes of {big} within 60 s (have {have})");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().expect("kill the kiosk process");
    child.wait().expect("reap the kiosk process");
    drop(slow);

    let have = std::fs::metadata(&partial)
        .expect("the partial download survives the kill")
        .len();
    assert!(have > 0 && have < len, "partial {have} of {len}");
    assert!(
        ContentReader::open(&p.data).is_err(),
        "nothing may be applied from a cut pull"
    );
    let cached_before: Vec<String> = std::fs::read_dir(p.data.join("objects"))
        .expect("object cache")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.len() == 64)
        .collect();

    // Restarted: same server (now full speed), same data directory.
    let nginx = Nginx::start(&prefix, &p.www, port, "resumed", "");
    let out = pull(&p.data, &nginx.url(), &p.root_json);
    assert!(
        matches!(out.result, PullResult::Applied { generation: 1, .. }),
        "{out:?}"
    );
    assert_eq!(current_items(&p.data), p.items);
    assert!(
        !partial.exists(),
        "the finished partial file is moved into the cache"
    );
    let cached = p.data.join("objects").join(&big);
    assert_eq!(
        std::fs::read(&cached).expect("cached object"),
        std::fs::read(p.repo.join("objects").join(&big)).expect("repo object"),
    );

    let log = nginx.log();
    let requests: Vec<&LogLine> = log
        .iter()
        .filter(|l| l.uri == format!("{REPO_PATH}objects/{big}"))
        .collect();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let r = requests[0];
    eprintln!(
        "cut after {have} of {len} bytes of objects/{big}; resumed with: {} {} {} range={} body={}",
        r.method, r.uri, r.status, r.range, r.body_bytes
    );
    assert_eq!(r.status, 206, "{r:?}");
    assert_eq!(r.range, format!("bytes={have}-"), "{r:?}");
    assert_eq!(r.body_bytes, len - have, "only the remaining bytes: {r:?}");
    for sha in &cached_before {
        assert!(
            !log.iter().any(|l| l.uri.ends_with(sha.as_str())),
            "{sha} was complete before the cut but fetched again"
        );
    }
}

#[test]
fn the_default_sync_config_in_deploy_loads() {
    let path = workspace_root().join("deploy/config/kiosk-sync.toml");
    let cfg = kiosk_sync::daemon::DaemonConfig::load(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(cfg.data_dir, Path::new("/var/lib/kiosk"));
    assert_eq!(
        cfg.control_socket,
        Path::new(kiosk_content::control::DEFAULT_SOCKET)
    );
    assert!(cfg.repo_url.ends_with('/'));
}
