//! The short soak (issue 13): 1,000 seeded random touches over every page
//! of the real app (the driver of `cargo bench -p kiosk-app --bench soak`,
//! which makes 100,000): no crash, only the kiosk's own pages, no WARN or
//! ERROR in the app's log, and no gross memory growth.
//!
//! It runs alone in a child process (this test binary started again for
//! this one test), so the resident memory it reads is the soak's own and
//! not that of the other UI tests running in parallel threads, and its
//! tracing subscriber sees every thread of the app (the printer and
//! handwriting workers too).

use std::time::Duration;

#[path = "../../benches/common/soak_driver.rs"]
mod driver;

const CHILD: &str = "KIOSK_SOAK_CHILD";
const NAME: &str = "soak::a_thousand_random_touches_on_every_page";

/// Touches of the short run, and how often memory is read.
const TOUCHES: usize = 1_000;
const EVERY: usize = 100;
/// Memory is compared from here on: by then every page, the fonts, the
/// demo pictures and the handwriting model have been loaded once.
const WARM: usize = 300;

#[test]
fn a_thousand_random_touches_on_every_page() {
    if crate::harness::ran_alone_in_child(NAME, CHILD, "the soak") {
        return;
    }

    let log = driver::WarnLog::default();
    tracing::subscriber::set_global_default(log.subscriber()).expect("the soak's subscriber");
    driver::init_backend().expect("backend");
    let seed = std::env::var("KIOSK_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(13);
    let opts = driver::Options {
        seed,
        touches: TOUCHES,
        sample_every: EVERY,
        // Far above the ~20 s it takes in the debug build; a bound, not a
        // speed check.
        time_limit: Duration::from_secs(600),
    };
    let out = driver::run(&opts, |s| {
        println!(
            "soak: {:>5} touches, VmRSS {:>7} KiB, {:>5.1} s, on {:?}",
            s.touches,
            s.rss_kib,
            s.elapsed.as_secs_f64(),
            s.page
        );
    })
    .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    println!(
        "soak: seed {seed}, {} touches in {:.1} s; steps {:?}; pages {:?}; {} cases found, {} not found, {} idle resets, {} slips ({} bytes)",
        out.touches,
        out.elapsed.as_secs_f64(),
        out.steps,
        out.pages,
        out.lookups_found,
        out.lookups_not_found,
        out.idle_resets,
        out.slips_printed,
        out.slip_bytes,
    );

    assert!(
        !out.stopped_by_time,
        "seed {seed}: stopped by the time bound"
    );
    assert!(
        out.touches >= TOUCHES,
        "seed {seed}: {} touches",
        out.touches
    );
    assert_eq!(
        log.count(),
        0,
        "seed {seed}: the app logged warnings or errors: {:#?}",
        log.first()
    );
    // Every resident page was reached (the staff pages too).
    for page in driver::KNOWN {
        assert!(
            out.pages.contains_key(&format!("{page:?}")),
            "seed {seed}: never on {page:?}: {:?}",
            out.pages
        );
    }
    assert!(
        out.lookups_found > 0 && out.lookups_not_found > 0,
        "{out:?}"
    );
    assert!(out.idle_resets > 0, "{out:?}");
    assert!(
        out.slips_printed > 0,
        "no slip reached the printer: {out:?}"
    );

    // Memory: the short run cannot tell a slow leak from caches still
    // filling (glyphs at the sizes and modes seen so far, decoded
    // pictures, SQLite's page cache, the handwriting model loaded and
    // freed), so the bound is generous: it catches a page or a model kept
    // once per visit (tens of MB over 700 touches), not a slow drift. The
    // 5% goal is the long run's (`cargo bench -p kiosk-app --bench soak`).
    let warm = out
        .samples
        .iter()
        .find(|s| s.touches >= WARM)
        .expect("a sample after warm-up");
    let last = out.samples.last().expect("a last sample");
    assert!(warm.rss_kib > 0, "VmRSS not readable");
    assert!(
        last.rss_kib * 2 < warm.rss_kib * 3,
        "seed {seed}: VmRSS grew from {} KiB at touch {} to {} KiB at touch {}",
        warm.rss_kib,
        warm.touches,
        last.rss_kib,
        last.touches
    );
}
