//! `kiosk-sync`: the district's publishing tool and the kiosk's sync daemon.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use kiosk_content::control::ControlRequest;
use kiosk_sync::keydir::{KeyDir, hall_role};
use kiosk_sync::publish::{self, BundleObject, Expiry, PublishOptions};
use kiosk_sync::pull::{PullResult, Source};
use kiosk_sync::state::SystemClock;
use kiosk_sync::store::StoreApplier;
use kiosk_sync::{ctl, daemon, serve, tuf_client};

/// Signed content bundles for the disclosure kiosk (The Update Framework 1.0).
///
/// District side: `keygen`, `publish`, `delegate-hall`, `publish-hall`,
/// `serve`. Kiosk side: `pull`, `import`, `status`, `daemon`, `revert`, and
/// `ctl` to talk to a running daemon.
#[derive(Parser)]
#[command(name = "kiosk-sync", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create ed25519 keys for root, targets, snapshot and timestamp (or,
    /// with --hall, for a hall's delegated role).
    Keygen {
        /// New key directory (keys.json + private/).
        #[arg(long)]
        out: PathBuf,
        /// Number of root keys (officials).
        #[arg(long, default_value_t = 1)]
        root_keys: usize,
        /// Root signatures required.
        #[arg(long, default_value_t = 1)]
        root_threshold: u64,
        /// Number of targets keys.
        #[arg(long, default_value_t = 1)]
        targets_keys: usize,
        /// Targets signatures required.
        #[arg(long, default_value_t = 1)]
        targets_threshold: u64,
        /// Make a hall key directory for delegated role hall-<ID> instead.
        #[arg(long)]
        hall: Option<String>,
    },
    /// Let a hall publish under halls/<id>/ (takes effect at the next publish).
    DelegateHall {
        /// The district key directory.
        #[arg(long)]
        keys: PathBuf,
        /// The hall's key directory (only its keys.json is read).
        #[arg(long)]
        hall_keys: PathBuf,
        /// Hall id (letters, digits, - and _).
        #[arg(long)]
        hall: String,
    },
    /// Check an authoring folder: print every problem at once as
    /// `file:line: field: what to do`; exit 1 if there is any.
    Check {
        /// Authoring folder (Markdown/TOML/CSV/XLSX/images).
        #[arg(long)]
        source: PathBuf,
    },
    /// Compile an authoring folder and publish it as a signed bundle.
    Publish {
        /// Authoring folder (Markdown/TOML/CSV/XLSX/images).
        #[arg(long)]
        source: PathBuf,
        /// District key directory.
        #[arg(long)]
        keys: PathBuf,
        /// Repository directory (created on first publish).
        #[arg(long)]
        repo: PathBuf,
        #[command(flatten)]
        expiry: ExpiryArgs,
    },
    /// Publish a hall's own notices/progress (all under halls/<id>/).
    PublishHall {
        #[arg(long)]
        source: PathBuf,
        #[arg(long)]
        hall: String,
        /// The hall's key directory.
        #[arg(long)]
        hall_keys: PathBuf,
        /// District key directory holding the snapshot and timestamp keys.
        #[arg(long)]
        keys: PathBuf,
        #[arg(long)]
        repo: PathBuf,
        #[command(flatten)]
        expiry: ExpiryArgs,
    },
    /// Sign a new root listing the keys of --new-keys (signed by old and new root keys).
    RotateRoot {
        #[arg(long)]
        keys: PathBuf,
        #[arg(long)]
        new_keys: PathBuf,
        #[arg(long)]
        repo: PathBuf,
        #[command(flatten)]
        expiry: ExpiryArgs,
    },
    /// Re-sign timestamp.json only (run daily by the online timestamp key).
    RenewTimestamp {
        #[arg(long)]
        keys: PathBuf,
        #[arg(long)]
        repo: PathBuf,
        #[command(flatten)]
        expiry: ExpiryArgs,
    },
    /// Serve a repository over HTTP (Range, ETag): a LAN mirror.
    Serve {
        #[arg(long)]
        repo: PathBuf,
        /// Address to listen on, e.g. 0.0.0.0:8080.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Kiosk: one update from a repository URL.
    Pull {
        /// Repository base URL (holding metadata/, targets/, objects/).
        #[arg(long)]
        repo_url: String,
        #[arg(long)]
        data_dir: PathBuf,
        /// The district's root.json; needed once, on the first pull.
        #[arg(long)]
        root: Option<PathBuf>,
    },
    /// Kiosk: one update from a repository directory (USB stick), in this
    /// process. Its outcome is recorded in DATA_DIR/sync-state.json
    /// (`last_import`), which a running daemon reports; to let the daemon
    /// do the import instead, use `kiosk-sync ctl import`.
    Import {
        /// Repository directory (holding metadata/).
        path: PathBuf,
        /// The daemon's config (e.g. /etc/kiosk-sync/config.toml): data_dir
        /// and root are taken from it unless given below.
        #[arg(long)]
        config: Option<PathBuf>,
        /// The kiosk's data directory (overrides the config's data_dir).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// The district's root.json, needed once (overrides the config's root).
        #[arg(long)]
        root: Option<PathBuf>,
    },
    /// Kiosk: show generation, last success, last error, next attempt.
    Status {
        #[arg(long)]
        data_dir: PathBuf,
        /// Print JSON (the control protocol's SyncStatus).
        #[arg(long)]
        json: bool,
    },
    /// Kiosk: print the kiosk's health and usage once in the Prometheus
    /// text format (for node_exporter's textfile collector and scripts).
    Metrics {
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Kiosk (provisioning): make this kiosk's report key if missing and
    /// print `kiosk id,public key` for the district's list of kiosks.
    ReportKey {
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Kiosk: write the signed report (health, usage since the last report)
    /// into OUT/kiosk-reports/<kiosk id>/, as a USB import does.
    Report {
        #[arg(long)]
        data_dir: PathBuf,
        /// Folder to write into (e.g. a mounted stick).
        #[arg(long)]
        out: PathBuf,
    },
    /// District: summarize kiosks from USB reports (and Prometheus): a
    /// table, the stale or failing kiosks, top items and top searches with
    /// no result.
    Fleet {
        /// Folder of reports (the sticks' kiosk-reports/ folders, copied).
        #[arg(long)]
        reports: PathBuf,
        /// Prometheus base URL (e.g. http://prometheus.district:9090).
        #[arg(long)]
        prometheus: Option<String>,
        /// A kiosk not updated or heard from for this many days is stale.
        #[arg(long, default_value_t = 7)]
        stale_days: i64,
        /// `kiosk id,public key` lines registered at provisioning; other
        /// keys are flagged.
        #[arg(long)]
        registered: Option<PathBuf>,
        /// Also write the kiosk table as CSV to this file.
        #[arg(long)]
        csv: Option<PathBuf>,
    },
    /// Kiosk: make the previous content generation current again.
    Revert {
        #[arg(long)]
        data_dir: PathBuf,
    },
    /// Kiosk: the sync service (systemd Type=notify, watchdog, control socket).
    Daemon {
        /// TOML config: repo_url, data_dir, root, poll_interval_secs,
        /// min_backoff_secs, max_backoff_secs, control_socket.
        #[arg(long)]
        config: PathBuf,
    },
    /// Kiosk: talk to the running daemon over its control socket.
    ///
    /// Exit status: 0 done; 1 refused, failed (a failed import) or any
    /// other error; 2 bad command line; 3 the daemon is not running (no
    /// socket, or nobody answers; scripts may fall back to `kiosk-sync
    /// import`); 4 `import` gave no result within --timeout (the daemon
    /// goes on with it).
    Ctl(CtlArgs),
    /// TUF conformance-suite client protocol (init / refresh / download).
    ///
    /// Options come before the action, e.g.
    /// `kiosk-sync tuf-client --metadata-dir D --metadata-url U refresh`.
    /// Exit status 0 on success, 1 on any failure.
    TufClient(TufClientArgs),
}

#[derive(clap::Args)]
struct CtlArgs {
    /// The daemon's control socket [default: the config's control_socket
    /// with --config, else /run/kiosk-sync/control.sock].
    #[arg(long, global = true)]
    socket: Option<PathBuf>,
    /// The daemon's config file, to find its control socket.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    action: CtlAction,
}

#[derive(Subcommand)]
enum CtlAction {
    /// Show the daemon's status (content, last sync, last import, disk).
    Status {
        /// Print JSON (the control protocol's SyncStatus).
        #[arg(long)]
        json: bool,
    },
    /// Start an update from the configured repository (follow it with
    /// `status`).
    SyncNow,
    /// Make the previous content generation current again.
    Revert,
    /// Hand the import of a repository directory to the daemon and wait
    /// for its result (exit 0 imported or nothing newer, 1 failed).
    Import {
        /// Repository directory (holding metadata/), e.g. /run/kiosk-usb/current.
        path: PathBuf,
        /// Longest wait for the result, in seconds.
        #[arg(long, default_value_t = 900)]
        timeout: u64,
    },
}

/// How long signed metadata stays valid, in days.
#[derive(clap::Args)]
struct ExpiryArgs {
    #[arg(long, default_value_t = 365)]
    root_days: i64,
    #[arg(long, default_value_t = 90)]
    targets_days: i64,
    #[arg(long, default_value_t = 30)]
    snapshot_days: i64,
    #[arg(long, default_value_t = 7)]
    timestamp_days: i64,
}

impl ExpiryArgs {
    fn options(&self) -> anyhow::Result<PublishOptions> {
        for (name, d) in [
            ("root", self.root_days),
            ("targets", self.targets_days),
            ("snapshot", self.snapshot_days),
            ("timestamp", self.timestamp_days),
        ] {
            anyhow::ensure!(
                (1..=3650).contains(&d),
                "--{name}-days must be between 1 and 3650, got {d}"
            );
        }
        Ok(PublishOptions {
            now: chrono::Utc::now(),
            expiry: Expiry {
                root: chrono::Duration::days(self.root_days),
                targets: chrono::Duration::days(self.targets_days),
                snapshot: chrono::Duration::days(self.snapshot_days),
                timestamp: chrono::Duration::days(self.timestamp_days),
            },
        })
    }
}

/// Compile an authoring folder, printing every problem to stderr.
fn compile_dir(dir: &std::path::Path, action: &str) -> anyhow::Result<kiosk_content::ContentSet> {
    let tree = kiosk_content::SourceTree::read_dir(dir)
        .with_context(|| format!("reading the authoring folder {}", dir.display()))?;
    match kiosk_content::compile(&tree) {
        Ok(set) => Ok(set),
        Err(problems) => {
            eprintln!("{problems}");
            let after = if action == "publish" {
                " (nothing was published)"
            } else {
                ""
            };
            anyhow::bail!(
                "{} problem(s) in {}; fix them and {action} again{after}",
                problems.len(),
                dir.display()
            );
        }
    }
}

/// Compile an authoring folder into bundle objects, printing every problem.
fn compile_source(dir: &std::path::Path) -> anyhow::Result<Vec<BundleObject>> {
    let set = compile_dir(dir, "publish")?;
    Ok(set
        .to_objects()
        .into_iter()
        .map(BundleObject::from)
        .collect())
}

/// One pull (or USB import) into the store under `data_dir`, then its
/// one-line summary: what `pull` and `import` both do once their source is
/// known.
fn pull_and_print(
    data_dir: &std::path::Path,
    source: &Source,
    root: Option<&std::path::Path>,
) -> anyhow::Result<()> {
    let out = kiosk_sync::pull::pull(
        data_dir,
        source,
        root,
        &SystemClock,
        &mut StoreApplier::new(data_dir),
    )?;
    print_pull(&out);
    Ok(())
}

fn print_pull(out: &kiosk_sync::pull::PullOutcome) {
    match out.result {
        PullResult::Applied {
            generation,
            bundle_version,
        } => println!(
            "applied generation {generation} (bundle {bundle_version}); {} of {} objects and shards fetched, {} bytes transferred in {:.2} s of downloading",
            out.objects_fetched,
            out.objects_total,
            out.bytes_transferred,
            out.transfer_time.as_secs_f64()
        ),
        PullResult::UpToDate { bundle_version } => println!(
            "already up to date (bundle {bundle_version}); {} bytes transferred",
            out.bytes_transferred
        ),
    }
}

fn print_status(s: &kiosk_content::control::SyncStatus, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(s)?);
        return Ok(());
    }
    let t =
        |v: Option<chrono::DateTime<chrono::Utc>>| v.map_or("-".to_string(), |t| t.to_rfc3339());
    let n = |v: Option<u64>| v.map_or("-".to_string(), |g| g.to_string());
    println!("generation:   {}", n(s.generation));
    println!("bundle:       {}", n(s.bundle_version));
    println!("published:    {}", t(s.content_published_at));
    println!("last success: {}", t(s.last_success));
    println!("last error:   {}", s.last_error.as_deref().unwrap_or("-"));
    println!("next attempt: {}", t(s.next_attempt));
    match &s.last_import {
        Some(i) => println!(
            "last import:  {} {} ({}): {}",
            if i.ok { "ok" } else { "FAILED" },
            i.source,
            i.finished_at.to_rfc3339(),
            i.message
        ),
        None => println!("last import:  -"),
    }
    println!(
        "disk free:    {}",
        s.disk_free_bytes
            .map_or("-".to_string(), |b| format!("{} MiB", b / (1024 * 1024)))
    );
    Ok(())
}

/// `path` made absolute but not resolved: an import is recorded under the
/// path as given (e.g. /run/kiosk-usb/current, a link to the stick).
fn absolute(path: &std::path::Path) -> anyhow::Result<PathBuf> {
    std::path::absolute(path)
        .with_context(|| format!("{}: cannot make it an absolute path", path.display()))
}

/// `import`'s data directory and root: flags first, then the daemon's config.
fn import_paths(
    config: Option<&std::path::Path>,
    data_dir: Option<PathBuf>,
    root: Option<PathBuf>,
) -> anyhow::Result<(PathBuf, Option<PathBuf>)> {
    let cfg = config.map(daemon::DaemonConfig::load).transpose()?;
    let data_dir = match (data_dir, &cfg) {
        (Some(d), _) => d,
        (None, Some(c)) => c.data_dir.clone(),
        (None, None) => anyhow::bail!(
            "no data directory: give --config /etc/kiosk-sync/config.toml (the daemon's config) or --data-dir DIR"
        ),
    };
    Ok((data_dir, root.or(cfg.and_then(|c| c.root))))
}

fn run_ctl(args: CtlArgs) -> anyhow::Result<()> {
    let socket = match (args.socket, &args.config) {
        (Some(s), _) => s,
        (None, Some(c)) => daemon::DaemonConfig::load(c)?.control_socket,
        (None, None) => PathBuf::from(kiosk_content::control::DEFAULT_SOCKET),
    };
    match args.action {
        CtlAction::Status { json } => print_status(&ctl::status(&socket)?, json)?,
        CtlAction::SyncNow => println!("{}", ctl::send(&socket, &ControlRequest::SyncNow)?.message),
        CtlAction::Revert => println!("{}", ctl::send(&socket, &ControlRequest::Revert)?.message),
        CtlAction::Import { path, timeout } => {
            let abs = absolute(&path)?;
            let abs = abs.to_str().with_context(|| {
                format!(
                    "{}: not valid UTF-8, which the control socket cannot carry; use `kiosk-sync import` instead",
                    abs.display()
                )
            })?;
            eprintln!(
                "importing from {abs} through the sync service at {}",
                socket.display()
            );
            let rec = ctl::import(
                &socket,
                abs,
                std::time::Duration::from_secs(timeout),
                CTL_POLL_INTERVAL,
            )?;
            println!("{}", rec.message);
        }
    }
    Ok(())
}

/// How often `ctl import` asks the daemon for the result.
const CTL_POLL_INTERVAL: std::time::Duration = std::time::Duration::from_millis(250);

fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::TufClient(args) => run_tuf_client(args)?,
        Command::Keygen {
            out,
            root_keys,
            root_threshold,
            targets_keys,
            targets_threshold,
            hall,
        } => {
            let counts = match &hall {
                Some(id) => {
                    kiosk_sync::keydir::check_hall_id(id).map_err(anyhow::Error::msg)?;
                    vec![(hall_role(id), 1, 1)]
                }
                None => vec![
                    ("root".to_string(), root_keys, root_threshold),
                    ("targets".to_string(), targets_keys, targets_threshold),
                    ("snapshot".to_string(), 1, 1),
                    ("timestamp".to_string(), 1, 1),
                ],
            };
            KeyDir::generate(&out, &counts)?;
            println!(
                "keys written to {} (keep private/ offline; share keys.json)",
                out.display()
            );
        }
        Command::DelegateHall {
            keys,
            hall_keys,
            hall,
        } => {
            kiosk_sync::keydir::check_hall_id(&hall).map_err(anyhow::Error::msg)?;
            let mut district = KeyDir::load(&keys)?;
            let hk = KeyDir::load(&hall_keys)?;
            let public = hk.public(&hall_role(&hall))?.clone();
            district.file.halls.insert(hall.clone(), public);
            district.save()?;
            println!("hall {hall} may publish under halls/{hall}/ from the next publish");
        }
        Command::Check { source } => {
            let set = compile_dir(&source, "check")?;
            let mut counts = std::collections::BTreeMap::new();
            for item in &set.items {
                *counts.entry(item.kind()).or_insert(0usize) += 1;
            }
            let summary: Vec<String> = counts
                .iter()
                .map(|(k, n)| format!("{n} {}", k.zh()))
                .collect();
            println!(
                "{}: no problems. {}: {}; {} images, {} sealed progress records",
                source.display(),
                set.meta.county,
                summary.join(", "),
                set.assets.len(),
                set.progress.len()
            );
        }
        Command::Publish {
            source,
            keys,
            repo,
            expiry,
        } => {
            let objects = compile_source(&source)?;
            let keys = KeyDir::load(&keys)?;
            let r = publish::publish(&repo, &keys, &objects, &expiry.options()?)?;
            println!(
                "published bundle {} to {}: {} objects ({} new, {} bytes new)",
                r.snapshot_version,
                repo.display(),
                r.objects,
                r.objects_written,
                r.bytes_written
            );
        }
        Command::PublishHall {
            source,
            hall,
            hall_keys,
            keys,
            repo,
            expiry,
        } => {
            let objects = compile_source(&source)?;
            let prefix = publish::hall_prefix(&hall);
            // A hall's authoring folder compiles to a whole content set;
            // only its own prefix is its to publish.
            let objects: Vec<BundleObject> = objects
                .into_iter()
                .filter(|o| o.path.starts_with(&prefix))
                .collect();
            anyhow::ensure!(
                !objects.is_empty(),
                "{}: nothing under {prefix} to publish",
                source.display()
            );
            let r = publish::publish_hall(
                &repo,
                &KeyDir::load(&keys)?,
                &KeyDir::load(&hall_keys)?,
                &hall,
                &objects,
                &expiry.options()?,
            )
            .with_context(|| format!("{}: not published", source.display()))?;
            println!(
                "published hall {hall}: bundle {}, {} objects",
                r.snapshot_version, r.objects
            );
        }
        Command::RotateRoot {
            keys,
            new_keys,
            repo,
            expiry,
        } => {
            let v = publish::rotate_root(
                &repo,
                &KeyDir::load(&keys)?,
                &KeyDir::load(&new_keys)?,
                &expiry.options()?,
            )?;
            println!(
                "root version {v} written; now publish with --keys {}",
                new_keys.display()
            );
        }
        Command::RenewTimestamp { keys, repo, expiry } => {
            let v = publish::renew_timestamp(&repo, &KeyDir::load(&keys)?, &expiry.options()?)?;
            println!("timestamp version {v} written");
        }
        Command::Serve { repo, listen } => {
            anyhow::ensure!(
                repo.join("metadata").is_dir(),
                "{}: not a repository (no metadata/)",
                repo.display()
            );
            let listener = std::net::TcpListener::bind(&listen)
                .with_context(|| format!("listening on {listen}"))?;
            let shutdown = serve::Shutdown::new(&listener)?;
            serve::run(listener, repo, shutdown, Default::default())?;
        }
        Command::Pull {
            repo_url,
            data_dir,
            root,
        } => {
            pull_and_print(&data_dir, &Source::Http(repo_url), root.as_deref())?;
        }
        Command::Import {
            path,
            config,
            data_dir,
            root,
        } => {
            let (data_dir, root) = import_paths(config.as_deref(), data_dir, root)?;
            anyhow::ensure!(
                path.is_dir(),
                "{}: no such directory; give the repository folder on the mounted stick (the one holding metadata/)",
                path.display()
            );
            let path = absolute(&path)?;
            let result = pull_and_print(&data_dir, &Source::Dir(path.clone()), root.as_deref());
            // This kiosk's report onto the stick, whatever the import did.
            kiosk_sync::report::after_import(&data_dir, &path);
            result?;
        }
        Command::Metrics { data_dir } => {
            print!(
                "{}",
                kiosk_sync::metrics::render(&kiosk_sync::metrics::collect(&data_dir, None))
            );
        }
        Command::ReportKey { data_dir } => {
            let signer = kiosk_sync::report::load_or_create_key(&data_dir)?;
            let public = signer.public_json();
            println!(
                "{},{}",
                kiosk_sync::report::id_of(&signer),
                public
                    .pointer("/keyval/public")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
            );
        }
        Command::Report { data_dir, out } => {
            let path = kiosk_sync::report::write_to_stick(&data_dir, &absolute(&out)?)?;
            println!("{}", path.display());
        }
        Command::Fleet {
            reports,
            prometheus,
            stale_days,
            registered,
            csv,
        } => {
            anyhow::ensure!(
                reports.is_dir(),
                "{}: no such folder; give the folder holding the sticks' kiosk-reports/",
                reports.display()
            );
            let fleet = kiosk_sync::fleet::summarize(&kiosk_sync::fleet::FleetOptions {
                reports,
                prometheus,
                stale_days,
                registered,
                now: chrono::Utc::now(),
            })?;
            kiosk_sync::fleet::print_table(&fleet, &mut std::io::stdout().lock())?;
            if let Some(csv) = csv {
                let mut f = std::fs::File::create(&csv)
                    .with_context(|| format!("creating {}", csv.display()))?;
                kiosk_sync::fleet::write_csv(&fleet, &mut f)
                    .with_context(|| format!("writing {}", csv.display()))?;
                eprintln!("kiosk table written to {}", csv.display());
            }
        }
        Command::Status { data_dir, json } => {
            print_status(&daemon::collect_status(&data_dir, None, false), json)?
        }
        Command::Revert { data_dir } => {
            let rec = StoreApplier::new(&data_dir).revert()?;
            println!(
                "generation {} (bundle {}) is current again",
                rec.generation, rec.bundle_version
            );
        }
        Command::Daemon { config } => daemon::run(daemon::DaemonConfig::load(&config)?)?,
        Command::Ctl(args) => run_ctl(args)?,
    }
    Ok(())
}

#[derive(clap::Args)]
struct TufClientArgs {
    /// Directory of trusted metadata (root.json, timestamp.json, ...).
    #[arg(long)]
    metadata_dir: PathBuf,
    /// Base URL of the repository's metadata, ending with `/`.
    #[arg(long)]
    metadata_url: Option<String>,
    /// Target path to download; repeat for several (processed in order).
    #[arg(long = "target-name")]
    target_names: Vec<String>,
    /// Base URL of the repository's targets, ending with `/`.
    #[arg(long)]
    target_base_url: Option<String>,
    /// Directory the verified targets are written to.
    #[arg(long)]
    target_dir: Option<PathBuf>,
    #[command(subcommand)]
    action: TufAction,
}

#[derive(Subcommand)]
enum TufAction {
    /// Trust ROOT (a root.json file) as the initial root.
    Init { root: PathBuf },
    /// Update top-level metadata from --metadata-url.
    Refresh,
    /// Refresh, then download each --target-name into --target-dir.
    Download,
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_env("KIOSK_SYNC_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn run_tuf_client(args: TufClientArgs) -> anyhow::Result<()> {
    let need = |v: Option<String>, name: &str| {
        v.with_context(|| format!("--{name} is required for this action"))
    };
    match args.action {
        TufAction::Init { root } => tuf_client::init(&args.metadata_dir, &root)?,
        TufAction::Refresh => tuf_client::refresh(
            &args.metadata_dir,
            &need(args.metadata_url, "metadata-url")?,
        )?,
        TufAction::Download => {
            let target_dir = args
                .target_dir
                .context("--target-dir is required for download")?;
            tuf_client::download(
                &args.metadata_dir,
                &need(args.metadata_url, "metadata-url")?,
                &args.target_names,
                &need(args.target_base_url, "target-base-url")?,
                &target_dir,
            )?
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let result = run(cli.command);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kiosk-sync: error: {e:#}");
            match e.downcast_ref::<ctl::CtlError>() {
                Some(c) => ExitCode::from(c.exit_code()),
                None => ExitCode::FAILURE,
            }
        }
    }
}
