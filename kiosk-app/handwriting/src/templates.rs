//! A second source of knowledge beside Zinnia's model: the school stroke
//! order and shape of the common characters, as stroke medians (one
//! polyline per stroke, from hanzi-writer-data / Make Me a Hanzi), matched
//! against the drawing.
//!
//! Zinnia's zh_CN model learnt some characters in another stroke order or
//! shape than the one taught in Chinese schools (之 女 水 医 生 安 ... are
//! not in its first five even traced exactly). The template matcher knows
//! the school form of each common character and compares it with the
//! drawing stroke by stroke, tolerant of the order the strokes were
//! written in:
//!
//! 1. Both drawings are normalised (the bounding box's centre to 0, its
//!    longer side to 1, the aspect kept) and every stroke is resampled to
//!    [`POINTS`] points evenly spaced along its length.
//! 2. Only templates whose stroke count is within [`STROKE_SLACK`] of the
//!    drawing's are compared, and first coarsely (stroke ends only) to
//!    keep the best [`SHORTLIST`].
//! 3. A drawn stroke is compared with a template stroke by the mean
//!    distance of their points (written backwards: a small extra cost).
//!    The strokes are paired by a minimum-cost assignment (Hungarian
//!    algorithm), so the order they were written in does not matter; a
//!    stroke left over (joined or broken strokes) costs [`UNMATCHED`]; and
//!    pairs written out of the school order add a little.
//! 4. A drawing with fewer strokes than the template is also read in the
//!    school order with neighbouring strokes written as one (连笔: the two
//!    template strokes joined end to start, [`JOINED`] more), by dynamic
//!    programming; the closer reading counts. Templates with up to half
//!    the drawing's stroke count more are compared for this.
//!
//! The file (`data/hanzi-templates.bin`, made by `data/make-templates.py`
//! from the npm package hanzi-writer-data 2.0.1, Arphic Public License):
//! the magic line `KIOSK-HANZI-TEMPLATES 1\n`, a little-endian u32 length
//! and that many bytes of UTF-8 notice (licence and what was changed), a
//! u32 count of characters, then per character: a u32 code point, a u8
//! stroke count, and per stroke a u8 point count and its points as (u8 x,
//! u8 y), each `(v + 128) / 5` rounded, of the medians' 1024 box (y up).

use std::path::{Path, PathBuf};

use crate::Ink;

/// Points each stroke is resampled to.
pub const POINTS: usize = 8;
/// Templates with this many strokes more or fewer than the drawing are
/// compared (a resident joins or breaks a stroke or two).
pub const STROKE_SLACK: usize = 2;
/// Templates with up to one stroke in this many more than the drawing (on
/// top of [`STROKE_SLACK`]) are compared too: strokes written joined.
pub const JOIN_SLACK_DIVISOR: usize = 2;
/// Templates compared in full after the coarse pass.
pub const SHORTLIST: usize = 160;
/// The cost of a stroke left without a partner, in the units of a stroke
/// distance (mean point distance, the character's longer side = 1).
pub const UNMATCHED: f32 = 0.35;
/// Extra cost of a drawn stroke matched to two template strokes written
/// as one (连笔).
pub const JOINED: f32 = 0.05;
/// Extra cost of a stroke matched written backwards.
pub const BACKWARDS: f32 = 0.08;
/// Extra cost, times the fraction of stroke pairs written out of the
/// school order (0 in order, 1 all reversed).
pub const ORDER: f32 = 0.05;

/// The magic line the file starts with.
const MAGIC: &[u8] = b"KIOSK-HANZI-TEMPLATES 1\n";

/// Why the template file cannot be used (for the staff panel's technical
/// line and the log; the recognizer then works with Zinnia alone).
#[derive(Debug, thiserror::Error)]
pub enum TemplatesError {
    #[error(
        "handwriting templates {}: cannot read ({source}); reinstall the kiosk package or set `handwriting_templates` in the app config",
        path.display()
    )]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "handwriting templates {}: {message} at byte {offset}; the file is damaged or not a template file, regenerate it with make-templates.py or reinstall the kiosk package",
        path.display()
    )]
    Format {
        path: PathBuf,
        offset: usize,
        message: String,
    },
}

/// One stroke, normalised and resampled.
type Stroke = [[f32; 2]; POINTS];

struct Template {
    character: char,
    strokes: Vec<Stroke>,
    /// Strokes `j` and `j + 1` written as one (连笔), for each `j`.
    joined: Vec<Stroke>,
}

/// The templates of the common characters, ready to match.
pub struct Templates {
    templates: Vec<Template>,
    /// Indexes into `templates`, by stroke count.
    by_strokes: Vec<Vec<u32>>,
    notice: String,
}

/// A template's distance to a drawing (lower is closer; 0 = the same).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    pub character: char,
    pub distance: f32,
}

impl Templates {
    /// Reads the template file at `path`.
    pub fn load(path: &Path) -> Result<Templates, TemplatesError> {
        let bytes = std::fs::read(path).map_err(|source| TemplatesError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Templates::parse(&bytes).map_err(|(offset, message)| TemplatesError::Format {
            path: path.to_path_buf(),
            offset,
            message,
        })
    }

    /// Checks the file at `path` without building the templates: it reads
    /// and begins as a template file should (its notice and character
    /// count); returns the count. For the start-up check; [`Templates::load`]
    /// parses the rest at the first stroke.
    pub fn check(path: &Path) -> Result<usize, TemplatesError> {
        let bytes = std::fs::read(path).map_err(|source| TemplatesError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let format = |(offset, message)| TemplatesError::Format {
            path: path.to_path_buf(),
            offset,
            message,
        };
        if !bytes.starts_with(MAGIC) {
            return Err(format((
                0,
                "no `KIOSK-HANZI-TEMPLATES 1` line at the start".into(),
            )));
        }
        let mut r = Reader {
            bytes: &bytes,
            at: MAGIC.len(),
        };
        let len = r.u32("notice length").map_err(format)? as usize;
        r.take(len, "notice").map_err(format)?;
        let count = r.u32("character count").map_err(format)? as usize;
        if count == 0 || count > 100_000 {
            return Err(format((
                r.at,
                format!("{count} characters is not plausible"),
            )));
        }
        Ok(count)
    }

    /// Parses the file's bytes; errors are (byte offset, what is wrong).
    pub fn parse(bytes: &[u8]) -> Result<Templates, (usize, String)> {
        let mut r = Reader { bytes, at: 0 };
        if !bytes.starts_with(MAGIC) {
            return Err((0, "no `KIOSK-HANZI-TEMPLATES 1` line at the start".into()));
        }
        r.at = MAGIC.len();
        let len = r.u32("notice length")? as usize;
        let notice = std::str::from_utf8(r.take(len, "notice")?)
            .map_err(|_| (r.at, "the notice is not UTF-8".to_string()))?
            .to_string();
        let count = r.u32("character count")? as usize;
        if count > 100_000 {
            return Err((r.at, format!("{count} characters is not plausible")));
        }
        let mut templates = Vec::with_capacity(count);
        for _ in 0..count {
            let at = r.at;
            let character = char::from_u32(r.u32("code point")?)
                .ok_or_else(|| (at, "a code point that is not a character".to_string()))?;
            let n = r.u8("stroke count")? as usize;
            if n == 0 {
                return Err((at, format!("{character} has no strokes")));
            }
            let mut strokes = Vec::with_capacity(n);
            for _ in 0..n {
                let points = r.u8("point count")? as usize;
                if points == 0 {
                    return Err((r.at, format!("{character} has a stroke without points")));
                }
                let raw = r.take(2 * points, "points")?;
                strokes.push(
                    raw.chunks_exact(2)
                        .map(|xy| {
                            // Back to the 1024 box, then y down as on screen.
                            let x = f32::from(xy[0]) * 5.0 - 128.0;
                            let y = f32::from(xy[1]) * 5.0 - 128.0;
                            [x, 900.0 - y]
                        })
                        .collect::<Vec<_>>(),
                );
            }
            let joined_raw: Vec<Vec<[f32; 2]>> = strokes
                .windows(2)
                .map(|w| w[0].iter().chain(&w[1]).copied().collect())
                .collect();
            let [all, joined] = normalise_in(&strokes, [&strokes, &joined_raw]);
            templates.push(Template {
                character,
                strokes: all,
                joined,
            });
        }
        if r.at != bytes.len() {
            return Err((r.at, "bytes after the last character".into()));
        }
        let max = templates.iter().map(|t| t.strokes.len()).max().unwrap_or(0);
        let mut by_strokes = vec![Vec::new(); max + 1];
        for (i, t) in templates.iter().enumerate() {
            by_strokes[t.strokes.len()].push(i as u32);
        }
        Ok(Templates {
            templates,
            by_strokes,
            notice,
        })
    }

    /// How many characters the file holds.
    pub fn len(&self) -> usize {
        self.templates.len()
    }

    /// Whether the file holds no character.
    pub fn is_empty(&self) -> bool {
        self.templates.is_empty()
    }

    /// The licence notice the file carries.
    pub fn notice(&self) -> &str {
        &self.notice
    }

    /// Whether `c` has a template.
    pub fn contains(&self, c: char) -> bool {
        self.templates.iter().any(|t| t.character == c)
    }

    /// The `n` templates closest to the drawing, closest first.
    pub fn best(&self, ink: &Ink, n: usize) -> Vec<Match> {
        let drawn = normalise(&ink.strokes);
        let lo = drawn.len().saturating_sub(STROKE_SLACK);
        // More strokes than drawn: some may have been written joined.
        let hi = (drawn.len() + STROKE_SLACK + drawn.len() / JOIN_SLACK_DIVISOR)
            .min(self.by_strokes.len().saturating_sub(1));
        // Coarse pass: stroke ends only, greedy pairing.
        let mut coarse: Vec<(f32, u32)> = (lo..=hi)
            .flat_map(|k| self.by_strokes.get(k).into_iter().flatten())
            .map(|&i| {
                (
                    coarse_distance(&drawn, &self.templates[i as usize].strokes),
                    i,
                )
            })
            .collect();
        let keep = SHORTLIST.min(coarse.len());
        if keep < coarse.len() {
            coarse.select_nth_unstable_by(keep, |a, b| a.0.total_cmp(&b.0));
            coarse.truncate(keep);
        }
        let mut out: Vec<Match> = coarse
            .into_iter()
            .map(|(_, i)| {
                let t = &self.templates[i as usize];
                Match {
                    character: t.character,
                    distance: t.distance(&drawn),
                }
            })
            .collect();
        out.sort_by(|a, b| a.distance.total_cmp(&b.distance));
        out.truncate(n);
        out
    }

    /// The distance of `c`'s template to the drawing, whatever its stroke
    /// count; `None` when `c` has no template.
    pub fn distance_to(&self, ink: &Ink, c: char) -> Option<f32> {
        let t = self.templates.iter().find(|t| t.character == c)?;
        Some(t.distance(&normalise(&ink.strokes)))
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], (usize, String)> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let Some(end) = end else {
            return Err((self.at, format!("the file ends inside a {what}")));
        };
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }
    fn u8(&mut self, what: &str) -> Result<u8, (usize, String)> {
        Ok(self.take(1, what)?[0])
    }
    fn u32(&mut self, what: &str) -> Result<u32, (usize, String)> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

/// Strokes (screen coordinates, y down) → resampled strokes in a box whose
/// longer side is 1, centred on 0.
fn normalise(strokes: &[Vec<[f32; 2]>]) -> Vec<Stroke> {
    let [all] = normalise_in(strokes, [strokes]);
    all
}

/// Each list of polylines normalised in the box of `strokes`.
fn normalise_in<const N: usize>(
    strokes: &[Vec<[f32; 2]>],
    lists: [&[Vec<[f32; 2]>]; N],
) -> [Vec<Stroke>; N] {
    let [x0, y0, x1, y1] = strokes.iter().flatten().fold(
        [f32::MAX, f32::MAX, f32::MIN, f32::MIN],
        |[x0, y0, x1, y1], p| [x0.min(p[0]), y0.min(p[1]), x1.max(p[0]), y1.max(p[1])],
    );
    let side = (x1 - x0).max(y1 - y0).max(1e-3);
    let (cx, cy) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
    lists.map(|list| {
        list.iter()
            .map(|s| {
                let scaled: Vec<[f32; 2]> = s
                    .iter()
                    .map(|p| [(p[0] - cx) / side, (p[1] - cy) / side])
                    .collect();
                resample(&scaled)
            })
            .collect()
    })
}

/// [`POINTS`] points evenly spaced along the polyline (all the same point
/// for a dot).
fn resample(line: &[[f32; 2]]) -> Stroke {
    let mut out = [line.first().copied().unwrap_or([0.0, 0.0]); POINTS];
    let lengths: Vec<f32> = line
        .windows(2)
        .map(|w| ((w[1][0] - w[0][0]).powi(2) + (w[1][1] - w[0][1]).powi(2)).sqrt())
        .collect();
    let total: f32 = lengths.iter().sum();
    if total <= 1e-6 {
        return out;
    }
    let (mut seg, mut walked) = (0, 0.0);
    for (k, slot) in out.iter_mut().enumerate() {
        let target = total * k as f32 / (POINTS - 1) as f32;
        while seg + 1 < lengths.len() && walked + lengths[seg] < target {
            walked += lengths[seg];
            seg += 1;
        }
        let t = if lengths[seg] > 0.0 {
            ((target - walked) / lengths[seg]).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let (a, b) = (line[seg], line[seg + 1]);
        *slot = [a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1])];
    }
    out
}

fn dist(a: [f32; 2], b: [f32; 2]) -> f32 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// Mean point distance of two strokes, either direction (backwards costs
/// [`BACKWARDS`] more).
fn stroke_distance(a: &Stroke, b: &Stroke) -> f32 {
    let (mut fwd, mut back) = (0.0, 0.0);
    for i in 0..POINTS {
        fwd += dist(a[i], b[i]);
        back += dist(a[i], b[POINTS - 1 - i]);
    }
    (fwd.min(back + BACKWARDS * POINTS as f32)) / POINTS as f32
}

/// A cheap lower-quality distance for the coarse pass: each drawn stroke's
/// ends and middle against the nearest template stroke's, and back.
fn coarse_distance(drawn: &[Stroke], template: &[Stroke]) -> f32 {
    let key = |s: &Stroke| [s[0], s[POINTS / 2], s[POINTS - 1]];
    let near = |from: &[Stroke], to: &[Stroke]| -> f32 {
        from.iter()
            .map(|a| {
                let ka = key(a);
                to.iter()
                    .map(|b| {
                        let kb = key(b);
                        dist(ka[0], kb[0]) + dist(ka[1], kb[1]) + dist(ka[2], kb[2])
                    })
                    .fold(f32::MAX, f32::min)
            })
            .sum::<f32>()
            / from.len().max(1) as f32
    };
    near(drawn, template) + near(template, drawn)
}

/// The full distance: strokes paired at least cost, leftovers at
/// [`UNMATCHED`], out-of-order pairs at [`ORDER`]; per stroke of the
/// larger drawing.
fn distance(drawn: &[Stroke], template: &[Stroke]) -> f32 {
    let (n, m) = (drawn.len(), template.len());
    let size = n.max(m);
    if size == 0 {
        return f32::MAX;
    }
    let mut cost = vec![UNMATCHED; size * size];
    for (i, a) in drawn.iter().enumerate() {
        for (j, b) in template.iter().enumerate() {
            cost[i * size + j] = stroke_distance(a, b);
        }
    }
    let assignment = hungarian(&cost, size);
    let total: f32 = (0..size).map(|i| cost[i * size + assignment[i]]).sum();
    // Template strokes in the order the drawn strokes were matched to them.
    let order: Vec<usize> = (0..n).map(|i| assignment[i]).filter(|&j| j < m).collect();
    let pairs = order.len() * order.len().saturating_sub(1) / 2;
    let inversions = (0..order.len())
        .flat_map(|i| (i + 1..order.len()).map(move |j| (i, j)))
        .filter(|&(i, j)| order[i] > order[j])
        .count();
    let disorder = if pairs == 0 {
        0.0
    } else {
        inversions as f32 / pairs as f32
    };
    total / size as f32 + ORDER * disorder
}

impl Template {
    /// The closer of two readings of the drawing: its strokes paired with
    /// the template's in any order ([`distance`]), or in the school order
    /// with neighbouring strokes possibly written joined ([`joined_distance`]).
    fn distance(&self, drawn: &[Stroke]) -> f32 {
        let free = distance(drawn, &self.strokes);
        if drawn.len() < self.strokes.len() {
            free.min(joined_distance(drawn, &self.strokes, &self.joined))
        } else {
            free
        }
    }
}

/// The drawing aligned with the template in the school order (dynamic
/// programming): a drawn stroke matches one template stroke, or two
/// neighbouring ones written as one (连笔, [`JOINED`] more), or none
/// ([`UNMATCHED`]); a template stroke may be left out ([`UNMATCHED`]).
/// Per stroke of the larger drawing, as [`distance`].
fn joined_distance(drawn: &[Stroke], template: &[Stroke], joined: &[Stroke]) -> f32 {
    let (n, m) = (drawn.len(), template.len());
    let w = m + 1;
    let mut d = vec![f32::INFINITY; (n + 1) * w];
    d[0] = 0.0;
    for i in 0..=n {
        for j in 0..=m {
            let here = d[i * w + j];
            if !here.is_finite() {
                continue;
            }
            if i < n && j < m {
                let c = here + stroke_distance(&drawn[i], &template[j]);
                let slot = &mut d[(i + 1) * w + j + 1];
                *slot = slot.min(c);
            }
            if i < n && j + 1 < m {
                // Counted for both template strokes it covers.
                let c = here + 2.0 * stroke_distance(&drawn[i], &joined[j]) + JOINED;
                let slot = &mut d[(i + 1) * w + j + 2];
                *slot = slot.min(c);
            }
            if i < n {
                let slot = &mut d[(i + 1) * w + j];
                *slot = slot.min(here + UNMATCHED);
            }
            if j < m {
                let slot = &mut d[i * w + j + 1];
                *slot = slot.min(here + UNMATCHED);
            }
        }
    }
    // A joined pair counts as one stroke of the drawing: divide as the
    // free pairing does, by the larger count.
    d[n * w + m] / n.max(m) as f32
}

/// Minimum-cost perfect assignment of a `size`×`size` cost matrix (row i →
/// column `result[i]`): the Hungarian algorithm with potentials, O(size³).
fn hungarian(cost: &[f32], size: usize) -> Vec<usize> {
    // 1-based arrays, column 0 a sentinel (e-maxx's formulation).
    let mut u = vec![0.0f32; size + 1];
    let mut v = vec![0.0f32; size + 1];
    let mut p = vec![0usize; size + 1];
    let mut way = vec![0usize; size + 1];
    for i in 1..=size {
        p[0] = i;
        let mut j0 = 0;
        let mut minv = vec![f32::INFINITY; size + 1];
        let mut used = vec![false; size + 1];
        loop {
            used[j0] = true;
            let i0 = p[j0];
            let mut delta = f32::INFINITY;
            let mut j1 = 0;
            for j in 1..=size {
                if !used[j] {
                    let cur = cost[(i0 - 1) * size + (j - 1)] - u[i0] - v[j];
                    if cur < minv[j] {
                        minv[j] = cur;
                        way[j] = j0;
                    }
                    if minv[j] < delta {
                        delta = minv[j];
                        j1 = j;
                    }
                }
            }
            for j in 0..=size {
                if used[j] {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if p[j0] == 0 {
                break;
            }
        }
        loop {
            let j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
            if j0 == 0 {
                break;
            }
        }
    }
    let mut result = vec![0; size];
    for j in 1..=size {
        if p[j] > 0 {
            result[p[j] - 1] = j - 1;
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hungarian_finds_the_cheapest_pairing() {
        // Rows want the columns in reverse; greedy by row would take 0→0.
        let cost = [1.0, 2.0, 9.0, 0.9, 9.0, 9.0, 9.0, 9.0, 0.5];
        let a = hungarian(&cost, 3);
        assert_eq!(a, vec![1, 0, 2]);
        // Brute force agrees on a few seeded random matrices.
        let mut seed = 7u64;
        let mut rnd = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
            (seed >> 40) as f32 / (1u64 << 24) as f32
        };
        for _ in 0..20 {
            let cost: Vec<f32> = (0..16).map(|_| rnd()).collect();
            let a = hungarian(&cost, 4);
            let got: f32 = (0..4).map(|i| cost[i * 4 + a[i]]).sum();
            let mut best = f32::MAX;
            for p in permutations(4) {
                best = best.min((0..4).map(|i| cost[i * 4 + p[i]]).sum());
            }
            assert!((got - best).abs() < 1e-5, "{got} vs {best}");
        }
    }

    fn permutations(n: usize) -> Vec<Vec<usize>> {
        if n == 0 {
            return vec![vec![]];
        }
        let mut out = Vec::new();
        for p in permutations(n - 1) {
            for k in 0..=p.len() {
                let mut q = p.clone();
                q.insert(k, n - 1);
                out.push(q);
            }
        }
        out
    }

    #[test]
    fn resampling_spaces_points_evenly() {
        let s = resample(&[[0.0, 0.0], [7.0, 0.0]]);
        for (k, p) in s.iter().enumerate() {
            assert!((p[0] - k as f32).abs() < 1e-4, "{s:?}");
        }
        let dot = resample(&[[3.0, 4.0]]);
        assert!(dot.iter().all(|p| *p == [3.0, 4.0]));
    }

    fn file(chars: &[(char, Vec<Vec<[u8; 2]>>)]) -> Vec<u8> {
        let mut b = MAGIC.to_vec();
        b.extend(4u32.to_le_bytes());
        b.extend(b"test");
        b.extend((chars.len() as u32).to_le_bytes());
        for (c, strokes) in chars {
            b.extend((*c as u32).to_le_bytes());
            b.push(strokes.len() as u8);
            for s in strokes {
                b.push(s.len() as u8);
                for p in s {
                    b.extend(p);
                }
            }
        }
        b
    }

    #[test]
    fn order_and_direction_do_not_hide_a_character() {
        // 十 as templates see it, and 二 (two horizontals).
        let shi = (
            '十',
            vec![vec![[30, 120], [200, 120]], vec![[115, 200], [115, 30]]],
        );
        let er = (
            '二',
            vec![vec![[60, 170], [170, 170]], vec![[30, 60], [200, 60]]],
        );
        let t = Templates::parse(&file(&[shi, er])).expect("parses");
        assert_eq!((t.len(), t.notice()), (2, "test"));
        // Drawn on screen (y down): the vertical first, then the
        // horizontal written right to left.
        let ink = Ink {
            width: 100.0,
            height: 100.0,
            strokes: vec![
                vec![[50.0, 5.0], [50.0, 95.0]],
                vec![[95.0, 50.0], [5.0, 50.0]],
            ],
        };
        let best = t.best(&ink, 2);
        assert_eq!(best[0].character, '十', "{best:?}");
        assert!(best[0].distance < best[1].distance);
        // In order and forwards is closer still.
        let plain = Ink {
            strokes: vec![
                vec![[5.0, 50.0], [95.0, 50.0]],
                vec![[50.0, 5.0], [50.0, 95.0]],
            ],
            ..ink.clone()
        };
        let d_plain = t.distance_to(&plain, '十').expect("十");
        assert!(d_plain < best[0].distance, "{d_plain} {best:?}");
        assert_eq!(t.distance_to(&plain, '口'), None);
    }

    #[test]
    fn damaged_files_say_where() {
        let good = file(&[('一', vec![vec![[30, 120], [200, 120]]])]);
        assert!(Templates::parse(&good).is_ok());
        let e = Templates::parse(b"hello").err().expect("no magic");
        assert_eq!(e.0, 0);
        let e = Templates::parse(&good[..good.len() - 1])
            .err()
            .expect("cut");
        assert!(e.1.contains("ends inside"), "{e:?}");
        let mut extra = good.clone();
        extra.push(0);
        let e = Templates::parse(&extra).err().expect("extra");
        assert!(e.1.contains("after the last"), "{e:?}");
    }
}
