//! How common a character is, for re-ranking Zinnia's candidates: Zinnia
//! alone offers 囗 before 口, and radicals, components and rare or
//! traditional forms that residents never mean to write.
//!
//! The table (`data/common-chars.txt`, generated from the Unicode Han
//! Database by `data/make-common-chars.py`) lists the 8,105 characters of the
//! 通用规范汉字表, the 3,800 covered by 《现代汉语频率词典》 first by frequency.

use std::collections::HashMap;
use std::sync::OnceLock;

const TABLE: &str = include_str!("../data/common-chars.txt");

fn table() -> &'static HashMap<char, u32> {
    static MAP: OnceLock<HashMap<char, u32>> = OnceLock::new();
    MAP.get_or_init(|| {
        TABLE
            .lines()
            .filter(|l| !l.starts_with('#'))
            .flat_map(str::chars)
            .zip(0u32..)
            .collect()
    })
}

/// The character's place in the commonness table (0 = 的), or `None` for a
/// character residents are never offered (not a standard character).
pub fn commonness(c: char) -> Option<u32> {
    table().get(&c).copied()
}

/// How many characters the table holds.
pub fn table_len() -> usize {
    table().len()
}

/// The weight of commonness against Zinnia's score. Zinnia's scores of
/// plausible candidates for one drawing lie within about 1 of each other;
/// this prior moves a candidate by at most `PRIOR_WEIGHT * ln(8105/64)`.
pub(crate) const PRIOR_WEIGHT: f32 = 0.10;
/// Table places up to this one count as equally common.
const PRIOR_FLOOR: f32 = 64.0;

/// Zinnia's score plus a bonus for common characters (log of the table
/// place, so 的 vs 保 matters less than 保 vs a third-level character).
pub(crate) fn combined_score(zinnia_score: f32, place: u32) -> f32 {
    let n = table_len() as f32;
    let place = (place as f32).max(PRIOR_FLOOR);
    zinnia_score + PRIOR_WEIGHT * (n / place).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_the_standard_list_most_common_first() {
        assert_eq!(table_len(), 8105);
        assert_eq!(commonness('的'), Some(0));
        for c in ['低', '保', '医', '户', '口', '人', '十'] {
            let place = commonness(c).expect("a common character");
            assert!(place < 3500, "{c} at {place}");
        }
        // Components and traditional forms are not offered.
        for c in ['囗', '亻', '氵', '讠', '醫', '戶', 'a', '1'] {
            assert_eq!(commonness(c), None, "{c}");
        }
        assert!(commonness('人') < commonness('保'));
    }

    #[test]
    fn common_characters_gain() {
        let common = commonness('口').expect("口");
        let rare = commonness('叵').expect("叵");
        assert!(combined_score(0.0, common) > combined_score(0.0, rare));
        assert_eq!(combined_score(0.0, 0), combined_score(0.0, 63));
    }
}
