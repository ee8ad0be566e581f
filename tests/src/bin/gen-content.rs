//! Writes a synthetic content source of any size, in the authoring format,
//! for scale tests and benchmarks:
//! `cargo run -p kiosk-tests --bin gen-content -- --docs 100000 --out /tmp/big`

use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

#[derive(Parser)]
#[command(
    about = "Generate a synthetic content source (policies in a fictional county) for benchmarks"
)]
struct Args {
    /// Number of policy documents.
    #[arg(long, default_value_t = 10_000)]
    docs: usize,
    /// Seed; the same seed gives the same files.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output folder (created; must be empty or absent).
    #[arg(long)]
    out: PathBuf,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.out.exists() && std::fs::read_dir(&args.out)?.next().is_some() {
        anyhow::bail!("{} is not empty; give a new folder", args.out.display());
    }
    let tree = kiosk_content::generate::synthetic_tree(args.docs, args.seed);
    tree.write_to(&args.out)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!("wrote {} files to {}", tree.len(), args.out.display());
    Ok(())
}
