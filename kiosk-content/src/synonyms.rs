//! The district's own synonyms: the everyday words residents use (上户口,
//! 房产证, 超市) and the words documents use for the same thing (户籍,
//! 不动产, 食品经营). Content officers keep them in `synonyms.csv` (see
//! FORMAT.md); they travel in the bundle as `synonyms.json` and search
//! reads them from the store at query time.

use serde::{Deserialize, Serialize};

/// One row of `synonyms.csv`: an everyday word and the document words it
/// stands for, in the officer's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Synonym {
    /// What residents say (说法), e.g. 上户口.
    pub term: String,
    /// What documents say (文件用语), e.g. 户籍, 户口迁移.
    pub words: Vec<String>,
}

/// Longest everyday word accepted; longer ones are sentences, not words.
pub const MAX_TERM_CHARS: usize = 12;
/// Most document words one everyday word may stand for. Each is searched,
/// so the bound keeps a query's cost bounded.
pub const MAX_WORDS: usize = 8;

/// The separator between document words when stored in one column.
pub(crate) const STORE_SEPARATOR: char = '|';

/// Every synonym whose everyday word occurs in `query`, longest first, so
/// 上户口 wins over 户口 when both are listed.
pub fn matching<'a>(synonyms: &'a [Synonym], query: &str) -> Vec<&'a Synonym> {
    let mut found: Vec<&Synonym> = synonyms
        .iter()
        .filter(|s| !s.term.is_empty() && query.contains(s.term.as_str()))
        .collect();
    found.sort_by_key(|s| std::cmp::Reverse(s.term.chars().count()));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_everyday_word_first() {
        let syn = vec![
            Synonym {
                term: "户口".into(),
                words: vec!["户籍".into()],
            },
            Synonym {
                term: "上户口".into(),
                words: vec!["出生登记".into()],
            },
            Synonym {
                term: "超市".into(),
                words: vec!["食品经营".into()],
            },
        ];
        let m: Vec<&str> = matching(&syn, "孩子上户口")
            .iter()
            .map(|s| s.term.as_str())
            .collect();
        assert_eq!(m, ["上户口", "户口"]);
    }
}
