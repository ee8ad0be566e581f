//! The long soak (issue 13): the real app driven headless through many
//! seeded random touches over every page, resident memory every 10,000.
//!
//! ```text
//! cargo bench -p kiosk-app --bench soak -- --touches 100000
//!     [--every 10000] [--seed 13] [--minutes 60]
//! ```
//!
//! The driver is the short soak's (`kiosk-app/tests/ui/soak.rs`, 1,000
//! touches in `cargo test`): `benches/common/soak_driver.rs`. Memory is
//! `VmRSS` of `/proc/self/status` (the whole process, KiB). The app's WARN
//! and ERROR lines are counted (the first ones printed); a crash, a page
//! that is not the kiosk's or an error on screen ends the run with a
//! non-zero exit. Goal: growth under 5% from the 10,000th touch to the end.

use std::time::Duration;

use anyhow::{Context, Result, bail};

#[path = "common/soak_driver.rs"]
mod driver;

struct Args {
    touches: usize,
    every: usize,
    seed: u64,
    minutes: u64,
}

fn args() -> Result<Args> {
    let mut a = Args {
        touches: 100_000,
        every: 10_000,
        seed: 13,
        minutes: 60,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = |name: &str| -> Result<u64> {
            it.next()
                .with_context(|| format!("{name} needs a number"))?
                .parse()
                .with_context(|| format!("{name} needs a number"))
        };
        match arg.as_str() {
            "--touches" => a.touches = value("--touches")? as usize,
            "--every" => a.every = value("--every")? as usize,
            "--seed" => a.seed = value("--seed")?,
            "--minutes" => a.minutes = value("--minutes")?,
            // cargo bench passes --bench to every bench binary.
            "--bench" => {}
            other => bail!("unknown argument {other:?} (see the top of kiosk-app/benches/soak.rs)"),
        }
    }
    Ok(a)
}

fn main() -> Result<()> {
    let a = args()?;
    let log = driver::WarnLog::default();
    tracing::subscriber::set_global_default(log.subscriber())
        .context("installing the soak's log subscriber")?;
    driver::init_backend()?;
    let opts = driver::Options {
        seed: a.seed,
        touches: a.touches,
        sample_every: a.every,
        time_limit: Duration::from_secs(a.minutes * 60),
    };
    println!(
        "soak: {} touches, seed {}, VmRSS (/proc/self/status) every {}, at most {} min",
        a.touches, a.seed, a.every, a.minutes
    );
    println!();
    println!(
        "| touches | VmRSS KiB | vs touch {} | heap in use / held KiB | wall s | page |",
        a.every
    );
    println!("|---|---|---|---|---|---|");
    let mut base: Option<u64> = None;
    let every = a.every;
    let out = driver::run(&opts, |s| {
        if s.touches >= every && base.is_none() {
            base = Some(s.rss_kib);
        }
        let vs = base
            .map(|b| format!("{:+.1}%", (s.rss_kib as f64 / b as f64 - 1.0) * 100.0))
            .unwrap_or_else(|| "-".into());
        let heap = s
            .heap
            .map(|h| format!("{} / {}", h.in_use, h.held))
            .unwrap_or_else(|| "-".into());
        println!(
            "| {} | {} | {vs} | {heap} | {:.0} | {:?} |",
            s.touches,
            s.rss_kib,
            s.elapsed.as_secs_f64(),
            s.page
        );
    })?;
    println!();
    println!(
        "{} touches in {:.0} s ({:.1} touches/s){}; warnings and errors in the log: {}",
        out.touches,
        out.elapsed.as_secs_f64(),
        out.touches as f64 / out.elapsed.as_secs_f64().max(1e-9),
        if out.stopped_by_time {
            " (stopped by the time bound)"
        } else {
            ""
        },
        log.count()
    );
    for line in log.first() {
        println!("  log: {line}");
    }
    println!("steps: {:?}", out.steps);
    println!("pages after a step: {:?}", out.pages);
    println!(
        "progress lookups: {} found, {} not found; idle resets: {}; slips printed: {} ({} bytes of ESC/POS)",
        out.lookups_found,
        out.lookups_not_found,
        out.idle_resets,
        out.slips_printed,
        out.slip_bytes
    );
    if let (Some(warm), Some(last)) = (
        out.samples.iter().find(|s| s.touches >= a.every),
        out.samples.last(),
    ) {
        println!(
            "growth from touch {} to touch {}: {:+.1}% ({} -> {} KiB; goal under 5%)",
            warm.touches,
            last.touches,
            (last.rss_kib as f64 / warm.rss_kib as f64 - 1.0) * 100.0,
            warm.rss_kib,
            last.rss_kib
        );
    }
    Ok(())
}
