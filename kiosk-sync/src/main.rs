//! `kiosk-sync`: the district's publishing tool and the kiosk's sync daemon.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use kiosk_sync::tuf_client;

/// Signed content bundles for the disclosure kiosk (The Update Framework 1.0).
///
/// District side: `keygen`, `publish`, `delegate-hall`, `publish-hall`,
/// `serve`. Kiosk side: `pull`, `import`, `status`, `daemon`, `revert`.
#[derive(Parser)]
#[command(name = "kiosk-sync", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// TUF conformance-suite client protocol (init / refresh / download).
    ///
    /// Options come before the action, e.g.
    /// `kiosk-sync tuf-client --metadata-dir D --metadata-url U refresh`.
    /// Exit status 0 on success, 1 on any failure.
    TufClient(TufClientArgs),
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
    let result = match cli.command {
        Command::TufClient(args) => run_tuf_client(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kiosk-sync: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
