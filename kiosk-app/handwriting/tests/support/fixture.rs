//! The handwriting fixture (`tests/fixtures/hanzi-medians.json`: stroke
//! medians from hanzi-writer-data, Arphic Public License) turned into inks a
//! finger might leave: seeded jitter, so runs are repeatable but no drawing
//! is a perfect tracing. Shared by the tests and the benchmark (`#[path]`).

#![allow(dead_code)]

use std::collections::BTreeMap;

use kiosk_handwriting::Ink;

pub const FIXTURE: &str = include_str!("../fixtures/hanzi-medians.json");

/// The side of the square pad the inks are drawn on, in pixels (about the
/// pad's size on the 1080×1920 screen).
pub const PAD: f32 = 560.0;

#[derive(serde::Deserialize)]
struct File {
    test: BTreeMap<String, Vec<Vec<[f32; 2]>>>,
    tuning: BTreeMap<String, Vec<Vec<[f32; 2]>>>,
}

/// (character, medians in the fixture's 1024 box, y up) of one set.
pub fn set(name: &str) -> Vec<(char, Vec<Vec<[f32; 2]>>)> {
    let file: File = serde_json::from_str(FIXTURE).expect("the fixture parses");
    let map = match name {
        "test" => file.test,
        "tuning" => file.tuning,
        other => panic!("no fixture set {other}"),
    };
    let mut out: Vec<(char, Vec<Vec<[f32; 2]>>)> = map
        .into_iter()
        .map(|(k, v)| (k.chars().next().expect("a character"), v))
        .collect();
    // A stable order, by code point (the JSON order is not kept by serde).
    out.sort_by_key(|(c, _)| *c);
    out
}

/// SplitMix64: a tiny seeded generator, so the jitter is the same on every
/// machine and with every version of every crate.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [-1, 1).
    pub fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }
}

/// The medians of one character as a finger might draw them on a
/// [`PAD`]×[`PAD`] pad: the whole character scaled (0.8–1.05), rotated
/// (±6°) and moved (±4% of the pad); each stroke moved on its own (±2.5%);
/// each median vertex moved (±1.5%); the polyline then sampled every ~1.5%
/// of the pad, as a touch screen reports it, with a little noise (±0.5%).
pub fn jittered(medians: &[Vec<[f32; 2]>], seed: u64) -> Ink {
    jittered_by(medians, seed, 1.0)
}

/// As [`jittered`], with every jitter amplitude times `amount` (0: a
/// perfect tracing, only resampled).
pub fn jittered_by(medians: &[Vec<[f32; 2]>], seed: u64, amount: f32) -> Ink {
    let mut rng = Rng::new(seed);
    let scale = 0.925 + 0.125 * amount * rng.unit();
    let angle = (6.0f32).to_radians() * amount * rng.unit();
    let (sin, cos) = angle.sin_cos();
    let shift = [
        0.04 * 1024.0 * amount * rng.unit(),
        0.04 * 1024.0 * amount * rng.unit(),
    ];
    let to_pad = PAD / 1024.0;
    let mut ink = Ink::new(PAD, PAD);
    for stroke in medians {
        let offset = [
            0.025 * 1024.0 * amount * rng.unit(),
            0.025 * 1024.0 * amount * rng.unit(),
        ];
        // Box coordinates, y down, centred on the box's middle.
        let vertices: Vec<[f32; 2]> = stroke
            .iter()
            .map(|p| {
                let x = p[0] - 512.0 + 0.015 * 1024.0 * amount * rng.unit();
                let y = (900.0 - p[1]) - 512.0 + 0.015 * 1024.0 * amount * rng.unit();
                let (x, y) = (scale * (x * cos - y * sin), scale * (x * sin + y * cos));
                [
                    (x + 512.0 + shift[0] + offset[0]) * to_pad,
                    (y + 512.0 + shift[1] + offset[1]) * to_pad,
                ]
            })
            .collect();
        let step = 0.015 * PAD;
        let mut points = vec![vertices[0]];
        for pair in vertices.windows(2) {
            let [a, b] = [pair[0], pair[1]];
            let len = ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
            let n = (len / step).ceil().max(1.0) as usize;
            for i in 1..=n {
                let t = i as f32 / n as f32;
                points.push([
                    a[0] + t * (b[0] - a[0]) + 0.005 * PAD * amount * rng.unit(),
                    a[1] + t * (b[1] - a[1]) + 0.005 * PAD * amount * rng.unit(),
                ]);
            }
        }
        ink.strokes.push(points);
    }
    ink
}

/// A seed per character (and per repetition), so each character's jitter
/// does not depend on which others are in the set.
pub fn seed(c: char, repetition: u64) -> u64 {
    (c as u64) << 8 | repetition
}

/// A harder drawing than [`jittered`], for an honest figure when the
/// recognizer's templates come from the same medians: every jitter
/// amplitude 1.8 times [`jittered`]'s (scale 0.70–1.15, ±11°, the
/// character moved ±7%, each stroke ±4.5%, each vertex ±2.7%), a slant
/// (x sheared by ±0.25 of y), each stroke stretched or shrunk about its
/// middle (0.75–1.25), and for about one drawing in three two neighbouring
/// strokes written in swapped order. Its seeds are not [`jittered`]'s.
pub fn hard(medians: &[Vec<[f32; 2]>], seed: u64) -> Ink {
    let mut rng = Rng::new(seed ^ 0x4841_5244_0000_0000);
    let shear = 0.25 * rng.unit();
    let mut strokes: Vec<Vec<[f32; 2]>> = medians
        .iter()
        .map(|stroke| {
            let stretch = 1.0 + 0.25 * rng.unit();
            let n = stroke.len() as f32;
            let mid = stroke
                .iter()
                .fold([0.0, 0.0], |m, p| [m[0] + p[0] / n, m[1] + p[1] / n]);
            stroke
                .iter()
                .map(|p| {
                    let x = mid[0] + stretch * (p[0] - mid[0]);
                    let y = mid[1] + stretch * (p[1] - mid[1]);
                    // The box's middle stays put; y up, so a positive shear
                    // leans the top to the right.
                    [x + shear * (y - 450.0), y]
                })
                .collect()
        })
        .collect();
    if strokes.len() >= 2 && rng.unit() < -1.0 / 3.0 {
        let at = ((rng.unit() + 1.0) / 2.0 * (strokes.len() - 1) as f32) as usize;
        let at = at.min(strokes.len() - 2);
        strokes.swap(at, at + 1);
    }
    jittered_by(&strokes, seed ^ 0x4841_5244_0000_0000, 1.8)
}

/// Strokes written joined (连笔), as hurried hands do: [`jittered`], and
/// then wherever a stroke ends within 25% of the pad from where the next
/// one starts, the two are drawn as one stroke half of the time. Changes
/// the stroke count, which neither Zinnia nor the templates expect.
pub fn joined(medians: &[Vec<[f32; 2]>], seed: u64) -> Ink {
    let mut ink = jittered(medians, seed);
    let mut rng = Rng::new(seed ^ 0x4A4F_494E_0000_0000);
    let mut out: Vec<Vec<[f32; 2]>> = Vec::new();
    for stroke in ink.strokes.drain(..) {
        if let Some(last) = out.last_mut() {
            let (a, b) = (last[last.len() - 1], stroke[0]);
            let gap = ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
            if gap < 0.25 * PAD && rng.unit() < 0.0 {
                last.extend(stroke);
                continue;
            }
        }
        out.push(stroke);
    }
    ink.strokes = out;
    ink
}
