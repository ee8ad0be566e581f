//! `cargo bench -p kiosk-handwriting`: top-1/top-5 rates and time per
//! character on the fixture's characters, for Zinnia alone (re-ranked) and
//! merged with the school-order templates, on the usual jitter and on the
//! harder distortions (`fixture::hard`) and on strokes written joined
//! (`fixture::joined`), with a SHA-256 of 1 MB as this
//! machine's baseline. `-- --sweep` also prints the template weights tried
//! on the tuning set (never the test set).

#[path = "../tests/support/fixture.rs"]
mod fixture;

use std::path::Path;
use std::time::{Duration, Instant};

use kiosk_handwriting::{DEFAULT_MODEL_PATH, Ink, Recognizer, Templates, merge, rank};
use sha2::{Digest, Sha256};

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

const TEMPLATES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/data/hanzi-templates.bin");

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// A character, its drawing and Zinnia's candidates for it.
type Drawn = (char, Ink, Vec<(String, f32)>);

struct Tally {
    top1: usize,
    top5: usize,
    times: Vec<Duration>,
    misses: String,
}

impl Tally {
    fn new() -> Tally {
        Tally {
            top1: 0,
            top5: 0,
            times: Vec::new(),
            misses: String::new(),
        }
    }
    fn add(&mut self, c: char, got: &[char], took: Duration) {
        let p = got.iter().position(|g| *g == c);
        self.top1 += usize::from(p == Some(0));
        self.top5 += usize::from(p.is_some_and(|p| p < 5));
        if p.is_none_or(|p| p >= 5) {
            self.misses.push(c);
        }
        self.times.push(took);
    }
    fn line(&mut self, n: usize) -> String {
        self.times.sort();
        format!(
            "top-1 {:.3} top-5 {:.3}, p50 {:.1?} p99 {:.1?}; not in the top 5: {}",
            self.top1 as f64 / n as f64,
            self.top5 as f64 / n as f64,
            percentile(&self.times, 0.5),
            percentile(&self.times, 0.99),
            self.misses
        )
    }
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let sweep = std::env::args().any(|a| a == "--sweep");
    let data = vec![0x5au8; 1 << 20];
    let mut base = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        std::hint::black_box(Sha256::digest(&data));
        base.push(t.elapsed());
    }
    base.sort();
    println!("baseline sha256 1 MB: p50 {:?}", percentile(&base, 0.5));

    let rss0 = rss_kib();
    let t = Instant::now();
    let zinnia = Recognizer::open(Path::new(DEFAULT_MODEL_PATH)).unwrap_or_else(|e| panic!("{e}"));
    let rss1 = rss_kib();
    println!(
        "open library + model: {:?}, RSS +{} KiB",
        t.elapsed(),
        rss1 - rss0
    );
    let t = Instant::now();
    let templates = Templates::load(Path::new(TEMPLATES)).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "load {} templates: {:?}, RSS +{} KiB",
        templates.len(),
        t.elapsed(),
        rss_kib() - rss1
    );
    let both = Recognizer::open(Path::new(DEFAULT_MODEL_PATH))
        .unwrap_or_else(|e| panic!("{e}"))
        .with_templates(templates);

    type Draw = fn(&[Vec<[f32; 2]>], u64) -> Ink;
    let usual: Draw = |m, s| fixture::jittered(m, s);
    let hard: Draw = |m, s| fixture::hard(m, s);
    let joined: Draw = |m, s| fixture::joined(m, s);
    for name in ["test", "tuning"] {
        let set = fixture::set(name);
        for (kind, draw) in [("jittered", usual), ("hard", hard), ("joined", joined)] {
            let (mut alone, mut merged) = (Tally::new(), Tally::new());
            let mut fewer = 0;
            for (c, medians) in &set {
                let ink = draw(medians, fixture::seed(*c, 0));
                fewer += usize::from(ink.strokes.len() < medians.len());
                let t = Instant::now();
                let got = zinnia.recognize(&ink, 10).unwrap_or_else(|e| panic!("{e}"));
                alone.add(
                    *c,
                    &got.iter().map(|k| k.character).collect::<Vec<_>>(),
                    t.elapsed(),
                );
                let t = Instant::now();
                let got = both.recognize(&ink, 10).unwrap_or_else(|e| panic!("{e}"));
                merged.add(
                    *c,
                    &got.iter().map(|k| k.character).collect::<Vec<_>>(),
                    t.elapsed(),
                );
            }
            println!(
                "{name} {kind} ({}, {fewer} with fewer strokes): Zinnia re-ranked {}",
                set.len(),
                alone.line(set.len())
            );
            println!(
                "{name} {kind} ({}): with templates {}",
                set.len(),
                merged.line(set.len())
            );
        }
    }

    if sweep {
        let set = fixture::set("tuning");
        let templates = both.templates().expect("loaded");
        for (kind, draw) in [("jittered", usual), ("hard", hard)] {
            let inks: Vec<Drawn> = set
                .iter()
                .map(|(c, m)| {
                    let ink = draw(m, fixture::seed(*c, 0));
                    let raw = zinnia
                        .zinnia_candidates(&ink, rank::WEIGHTS)
                        .unwrap_or_else(|e| panic!("{e}"));
                    (*c, ink, raw)
                })
                .collect();
            for template in [1.0f32, 2.0, 4.0, 6.0, 8.0, 12.0, 20.0] {
                for template_only in [0.0f32, 0.5, 1.0] {
                    let w = rank::Weights {
                        template,
                        template_only,
                        ..rank::WEIGHTS
                    };
                    let (mut t1, mut t5) = (0, 0);
                    for (c, ink, raw) in &inks {
                        let got = merge(templates, raw, ink, 10, w);
                        let p = got.iter().position(|k| k.character == *c);
                        t1 += usize::from(p == Some(0));
                        t5 += usize::from(p.is_some_and(|p| p < 5));
                    }
                    println!(
                        "sweep tuning {kind}: template {template} template_only {template_only}: top-1 {t1} top-5 {t5} of {}",
                        inks.len()
                    );
                }
            }
        }
    }
}
