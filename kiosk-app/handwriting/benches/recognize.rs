//! `cargo bench -p kiosk-handwriting`: top-1/top-5 rates and time per
//! character on the fixture's 300 test characters (jittered), for Zinnia
//! alone and re-ranked, with a SHA-256 of 1 MB as this machine's baseline.

#[path = "../tests/support/fixture.rs"]
mod fixture;

use std::path::Path;
use std::time::{Duration, Instant};

use kiosk_handwriting::{DEFAULT_MODEL_PATH, Recognizer, ZINNIA_NBEST, order, rank};
use sha2::{Digest, Sha256};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let data = vec![0x5au8; 1 << 20];
    let mut base = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        std::hint::black_box(Sha256::digest(&data));
        base.push(t.elapsed());
    }
    base.sort();
    println!("baseline sha256 1 MB: p50 {:?}", percentile(&base, 0.5));

    let t = Instant::now();
    let rec = Recognizer::open(Path::new(DEFAULT_MODEL_PATH)).unwrap_or_else(|e| panic!("{e}"));
    println!("open library + model: {:?}", t.elapsed());
    for name in ["test", "tuning"] {
        let set = fixture::set(name);
        let (mut z1, mut z5, mut r1, mut r5, mut moved) = (0, 0, 0, 0, 0);
        let (mut times, mut times_plain) = (Vec::new(), Vec::new());
        for (c, medians) in &set {
            let ink = fixture::jittered(medians, fixture::seed(*c, 0));
            moved += usize::from(order::LateComponent::ends_like(&ink.strokes));
            let t = Instant::now();
            let ranked = rec.recognize(&ink, 10).unwrap_or_else(|e| panic!("{e}"));
            times.push(t.elapsed());
            let plain = rank::Weights {
                moved_order: f32::INFINITY,
                ..rank::WEIGHTS
            };
            let t = Instant::now();
            std::hint::black_box(
                rec.recognize_weighted(&ink, 10, plain)
                    .unwrap_or_else(|e| panic!("{e}")),
            );
            times_plain.push(t.elapsed());
            let raw = rec
                .recognize_raw(&ink, ZINNIA_NBEST)
                .unwrap_or_else(|e| panic!("{e}"));
            let zp = raw.iter().position(|(v, _)| v.chars().eq([*c]));
            let rp = ranked.iter().position(|k| k.character == *c);
            z1 += usize::from(zp == Some(0));
            z5 += usize::from(zp.is_some_and(|p| p < 5));
            r1 += usize::from(rp == Some(0));
            r5 += usize::from(rp.is_some_and(|p| p < 5));
        }
        times.sort();
        times_plain.sort();
        let n = set.len() as f64;
        println!(
            "{name} ({} characters): Zinnia alone top-1 {:.3} top-5 {:.3}; re-ranked (weights {:?}) top-1 {:.3} top-5 {:.3}; time per character p50 {:?} p99 {:?}; asked again with 辶/廴 strokes first: {moved} drawings; without the moved order (same run) p50 {:?} p99 {:?}",
            set.len(),
            z1 as f64 / n,
            z5 as f64 / n,
            rank::WEIGHTS,
            r1 as f64 / n,
            r5 as f64 / n,
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            percentile(&times_plain, 0.5),
            percentile(&times_plain, 0.99),
        );
    }
}
