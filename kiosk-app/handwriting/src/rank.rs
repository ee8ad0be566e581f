//! How plausible each of Zinnia's candidates is, for re-ranking: Zinnia
//! alone offers 囗 before 口, rare characters before the common one meant,
//! and characters of 8 strokes for a drawing of 3.
//!
//! The table (`data/common-chars.txt`, generated from the Unicode Han
//! Database by `data/make-common-chars.py`) lists the 8,105 characters of the
//! 通用规范汉字表 with their stroke counts, the 3,800 covered by
//! 《现代汉语频率词典》 first by frequency. Nothing outside it is offered.

use std::collections::HashMap;
use std::sync::OnceLock;

use crate::Candidate;

const TABLE: &str = include_str!("../data/common-chars.txt");

/// A standard character's place in the table (0 = 的) and stroke count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub place: u32,
    pub strokes: u32,
}

fn table() -> &'static HashMap<char, Entry> {
    static MAP: OnceLock<HashMap<char, Entry>> = OnceLock::new();
    MAP.get_or_init(|| {
        TABLE
            .lines()
            .filter(|l| !l.starts_with('#'))
            .flat_map(str::split_whitespace)
            .zip(0u32..)
            .filter_map(|(token, place)| {
                let mut chars = token.chars();
                let c = chars.next()?;
                let strokes = chars.as_str().parse().ok()?;
                Some((c, Entry { place, strokes }))
            })
            .collect()
    })
}

/// The character's entry, or `None` for a character residents are never
/// offered (not one of the standard characters).
pub fn entry(c: char) -> Option<Entry> {
    table().get(&c).copied()
}

/// The character's place in the commonness table (0 = 的).
pub fn commonness(c: char) -> Option<u32> {
    entry(c).map(|e| e.place)
}

/// How many characters the table holds.
pub fn table_len() -> usize {
    table().len()
}

/// The weights of the two signals added to Zinnia's score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// Times ln(table size / place): 的 vs 保 matters less than 保 vs a
    /// third-level character.
    pub commonness: f32,
    /// Taken off per stroke of difference between the drawing and the
    /// character (at most 4 counted: strokes written joined or broken).
    pub strokes: f32,
    /// Taken off Zinnia's score for a character found only with a
    /// component's strokes moved to the front ([`crate::order`]);
    /// infinite: the moved order is not asked about at all.
    pub moved_order: f32,
    /// Taken off per unit of template distance ([`crate::templates`]);
    /// 0: the templates are not asked at all (Zinnia alone).
    pub template: f32,
    /// A character offered by the templates but not by Zinnia counts as if
    /// Zinnia had scored it this much below its last candidate.
    pub template_only: f32,
}

/// The weights the kiosk uses, chosen on the fixture's "tuning" characters
/// (not the test set): `cargo bench -p kiosk-handwriting` prints the sweep.
/// On the tuning set (150 characters, jittered) top-1 went from 97 (Zinnia
/// alone, standard characters only) to 113 and top-5 from 117 to 131; the
/// moved order for 辶 and 廴 ([`crate::order`]) took them to 118 and 136
/// (penalty 0: 115 / 135, 0.6: 116 / 136). Moving the last strokes first
/// for every character found the right one more often but ranked wrong
/// ones above it far more often, so only characters with those components
/// are admitted from the moved order, and only for drawings that end with
/// their bottom sweep.
///
/// The template weight (`-- --sweep` in the bench, tuning set only, usual
/// and hard distortions): 4 gave top-1 137 / 120 and top-5 150 / 149 of
/// 150; 12 gave 148 / 143 and 150 / 149; 20 gave 150 / 148 and 150 / 150.
/// 12 is taken rather than 20: the tuning drawings come from the same
/// medians as the templates, so they flatter them, and Zinnia (which
/// learnt real handwriting) should keep a say. Charging a templates-only
/// character more than Zinnia's last score (`template_only` 0.5, 1) only
/// lost characters.
pub const WEIGHTS: Weights = Weights {
    commonness: 0.20,
    strokes: 0.20,
    moved_order: 0.3,
    template: 12.0,
    template_only: 0.0,
};

/// Table places up to this one count as equally common.
const PLACE_FLOOR: f32 = 64.0;

/// Zinnia's score plus the commonness bonus minus the stroke-count penalty.
pub fn combined_score(zinnia_score: f32, e: Entry, drawn_strokes: usize, w: Weights) -> f32 {
    let n = table_len() as f32;
    let place = (e.place as f32).max(PLACE_FLOOR);
    let off = (drawn_strokes as f32 - e.strokes as f32).abs().min(4.0);
    zinnia_score + w.commonness * (n / place).ln() - w.strokes * off
}

/// Characters residents are never offered but Zinnia's model knows, and the
/// standard character a resident drawing that shape means: the enclosure
/// radical 囗 is drawn exactly like 口.
const SAME_SHAPE: &[(char, char)] = &[('囗', '口')];

/// Zinnia's (value, score) list for a drawing of `drawn_strokes` strokes →
/// up to `n` standard characters, best first, by [`combined_score`]. A
/// character listed twice (口 and, through [`SAME_SHAPE`], 囗) keeps its
/// better score.
pub fn rerank(raw: &[(String, f32)], drawn_strokes: usize, n: usize, w: Weights) -> Vec<Candidate> {
    let mut best = scored(raw, drawn_strokes, w);
    best.sort_by(|a, b| b.0.total_cmp(&a.0));
    best.truncate(n);
    best.into_iter().map(|(_, c)| c).collect()
}

/// Zinnia's (value, score) list → each standard character once, with its
/// [`combined_score`], in no particular order.
pub fn scored(raw: &[(String, f32)], drawn_strokes: usize, w: Weights) -> Vec<(f32, Candidate)> {
    let mut best: Vec<(f32, Candidate)> = Vec::new();
    for (value, zinnia_score) in raw {
        let mut chars = value.chars();
        let (Some(c), None) = (chars.next(), chars.next()) else {
            continue;
        };
        let c = SAME_SHAPE
            .iter()
            .find(|(from, _)| *from == c)
            .map_or(c, |&(_, to)| to);
        let Some(e) = entry(c) else {
            continue;
        };
        let score = combined_score(*zinnia_score, e, drawn_strokes, w);
        let candidate = Candidate {
            character: c,
            zinnia_score: *zinnia_score,
            commonness: e.place,
            template_distance: None,
        };
        match best.iter_mut().find(|(_, k)| k.character == c) {
            Some(slot) if slot.0 >= score => {}
            Some(slot) => *slot = (score, candidate),
            None => best.push((score, candidate)),
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_the_standard_list_most_common_first() {
        assert_eq!(table_len(), 8105);
        assert_eq!(
            entry('的'),
            Some(Entry {
                place: 0,
                strokes: 8
            })
        );
        for c in ['低', '保', '医', '户', '口', '人', '十'] {
            let place = commonness(c).expect("a common character");
            assert!(place < 3500, "{c} at {place}");
        }
        assert_eq!(entry('保').map(|e| e.strokes), Some(9));
        // Components and traditional forms are not offered.
        for c in ['囗', '亻', '氵', '讠', '醫', '戶', 'a', '1'] {
            assert_eq!(entry(c), None, "{c}");
        }
        assert!(commonness('人') < commonness('保'));
    }

    #[test]
    fn common_characters_and_matching_stroke_counts_gain() {
        let kou = entry('口').expect("口");
        let rare = entry('叵').expect("叵");
        assert!(combined_score(0.0, kou, 3, WEIGHTS) > combined_score(0.0, rare, 3, WEIGHTS));
        let top = |place| Entry { place, strokes: 3 };
        assert_eq!(
            combined_score(0.0, top(0), 3, WEIGHTS),
            combined_score(0.0, top(63), 3, WEIGHTS)
        );
        assert!(combined_score(0.0, kou, 3, WEIGHTS) > combined_score(0.0, kou, 5, WEIGHTS));
        assert_eq!(
            combined_score(0.0, kou, 20, WEIGHTS),
            combined_score(0.0, kou, 30, WEIGHTS)
        );
    }

    #[test]
    fn rerank_drops_non_characters_and_maps_the_enclosure_to_kou() {
        let raw: Vec<(String, f32)> = [
            ("囗", 0.9),
            ("亻", 0.5),
            ("ab", 0.4),
            ("田", -1.0),
            ("口", -1.2),
        ]
        .iter()
        .map(|(v, s)| (v.to_string(), *s))
        .collect();
        let out = rerank(&raw, 3, 10, WEIGHTS);
        let chars: Vec<char> = out.iter().map(|c| c.character).collect();
        assert_eq!(chars, ['口', '田']);
        assert_eq!(out[0].zinnia_score, 0.9);
        assert_eq!(rerank(&raw, 3, 1, WEIGHTS).len(), 1);
    }
}
