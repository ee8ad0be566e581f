//! Text processing for search: CJK unigram/bigram tokens, pinyin windows,
//! and 文号 (document number) normalisation. Index and query go through the
//! same functions, so they always agree.

use pinyin::ToPinyin;

/// True for the CJK ideographs residents type or read (Han, including
/// extension A and compatibility ideographs).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2EBEF)
}

/// A run of text of one script, as the tokenizer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Run {
    /// Consecutive CJK ideographs.
    Cjk(String),
    /// A word of ASCII letters and digits, lowercased.
    Word(String),
}

/// Splits text into CJK runs and lowercase alphanumeric words; punctuation
/// and spaces separate runs.
pub fn runs(text: &str) -> Vec<Run> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_cjk = false;
    let flush = |cur: &mut String, cjk: bool, out: &mut Vec<Run>| {
        if !cur.is_empty() {
            let s = std::mem::take(cur);
            out.push(if cjk { Run::Cjk(s) } else { Run::Word(s) });
        }
    };
    for c in text.chars() {
        if is_cjk(c) {
            if !cur_cjk {
                flush(&mut cur, false, &mut out);
            }
            cur_cjk = true;
            cur.push(c);
        } else if c.is_alphanumeric() {
            if cur_cjk {
                flush(&mut cur, true, &mut out);
            }
            cur_cjk = false;
            // Full-width digits and letters fold to ASCII.
            let c = fold_fullwidth(c);
            cur.extend(c.to_lowercase());
        } else {
            flush(&mut cur, cur_cjk, &mut out);
        }
    }
    flush(&mut cur, cur_cjk, &mut out);
    out
}

fn fold_fullwidth(c: char) -> char {
    match c as u32 {
        0xFF10..=0xFF19 | 0xFF21..=0xFF3A | 0xFF41..=0xFF5A => {
            char::from_u32(c as u32 - 0xFF10 + 0x30).unwrap_or(c)
        }
        _ => c,
    }
}

/// Index text for the FTS `uni` column: every CJK character and every word.
pub fn unigram_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for run in runs(text) {
        match run {
            Run::Cjk(s) => {
                for c in s.chars() {
                    out.push(c);
                    out.push(' ');
                }
            }
            Run::Word(w) => {
                out.push_str(&w);
                out.push(' ');
            }
        }
    }
    out
}

/// Index text for the FTS `bi` column: overlapping CJK bigrams in order (a
/// lone character stands as itself), and words. A query of n ≥ 2 characters
/// becomes the phrase of its bigrams, which matches exactly the substring.
pub fn bigram_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 3);
    for run in runs(text) {
        match run {
            Run::Cjk(s) => {
                let chars: Vec<char> = s.chars().collect();
                if chars.len() == 1 {
                    out.push(chars[0]);
                    out.push(' ');
                }
                for pair in chars.windows(2) {
                    out.push(pair[0]);
                    out.push(pair[1]);
                    out.push(' ');
                }
            }
            Run::Word(w) => {
                out.push_str(&w);
                out.push(' ');
            }
        }
    }
    out
}

/// The bigrams of a CJK run (or the run itself if one character long).
pub fn bigrams(run: &str) -> Vec<String> {
    let chars: Vec<char> = run.chars().collect();
    if chars.len() < 2 {
        return vec![run.to_string()];
    }
    chars.windows(2).map(|p| p.iter().collect()).collect()
}

/// Characters whose second reading residents really type, with every
/// reading worth indexing, the usual one first. Every other character is
/// indexed by its usual reading only: the dictionary's rare readings (投
/// "dou", 示 "qi", 年 "ning", 招 "qiao") would otherwise make `db` match
/// 招标投标 and fill results with noise.
const HETERONYMS: &[(char, &[&str])] = &[
    ('行', &["xing", "hang"]),
    ('重', &["zhong", "chong"]),
    ('长', &["chang", "zhang"]),
    ('乐', &["le", "yue"]),
    ('还', &["hai", "huan"]),
    ('都', &["du", "dou"]),
    ('会', &["hui", "kuai"]),
    ('传', &["chuan", "zhuan"]),
    ('调', &["diao", "tiao"]),
    ('便', &["bian", "pian"]),
    ('差', &["cha", "chai"]),
    ('朝', &["chao", "zhao"]),
    ('单', &["dan", "shan"]),
    ('降', &["jiang", "xiang"]),
    ('解', &["jie", "xie"]),
    ('曾', &["ceng", "zeng"]),
    ('参', &["can", "shen", "cen"]),
    ('省', &["sheng", "xing"]),
    ('率', &["lv", "shuai"]),
    ('给', &["gei", "ji"]),
    ('校', &["xiao", "jiao"]),
    ('地', &["di", "de"]),
    ('的', &["de", "di"]),
    ('得', &["de", "dei"]),
    ('系', &["xi", "ji"]),
    ('属', &["shu", "zhu"]),
    ('藏', &["cang", "zang"]),
    ('大', &["da", "dai"]),
    ('血', &["xue", "xie"]),
    ('着', &["zhe", "zhao", "zhuo"]),
    ('了', &["le", "liao"]),
    ('没', &["mei", "mo"]),
    ('数', &["shu", "shuo"]),
    ('称', &["cheng", "chen"]),
    ('盛', &["sheng", "cheng"]),
    ('厦', &["sha", "xia"]),
    ('露', &["lu", "lou"]),
    ('落', &["luo", "la", "lao"]),
    ('强', &["qiang", "jiang"]),
    ('薄', &["bo", "bao"]),
    ('卡', &["ka", "qia"]),
    ('觉', &["jue", "jiao"]),
    ('角', &["jiao", "jue"]),
    ('模', &["mo", "mu"]),
    ('乘', &["cheng", "sheng"]),
    ('弹', &["tan", "dan"]),
    ('奇', &["qi", "ji"]),
    ('核', &["he", "hu"]),
    ('恶', &["e", "wu"]),
    ('番', &["fan", "pan"]),
    ('六', &["liu", "lu"]),
    ('泊', &["bo", "po"]),
    ('宿', &["su", "xiu"]),
    ('供', &["gong"]),
    ('种', &["zhong"]),
    ('区', &["qu"]),
    ('石', &["shi"]),
];

/// Pinyin readings of one character, the most common first: two or three
/// for the characters in [`HETERONYMS`], otherwise the usual one.
pub fn readings(c: char) -> Vec<&'static str> {
    reads(c).get().to_vec()
}

/// A character's readings without allocating (for ranking many titles).
#[derive(Clone, Copy)]
enum Reads {
    Many(&'static [&'static str]),
    One([&'static str; 1]),
    No,
}

impl Reads {
    fn get(&self) -> &[&'static str] {
        match self {
            Reads::Many(r) => r,
            Reads::One(r) => r,
            Reads::No => &[],
        }
    }
}

fn reads(c: char) -> Reads {
    if let Some((_, r)) = HETERONYMS.iter().find(|(h, _)| *h == c) {
        return Reads::Many(r);
    }
    c.to_pinyin()
        .map_or(Reads::No, |p| Reads::One([keyboard_spelling(p.plain())]))
}

/// ü as pinyin keyboards type it: v (律 lv, 女 nv, 绿 lv).
fn keyboard_spelling(plain: &'static str) -> &'static str {
    match plain {
        "lü" => "lv",
        "nü" => "nv",
        "lüe" => "lve",
        "nüe" => "nve",
        other => other,
    }
}

/// Longest window of characters whose pinyin is indexed from each start.
pub const PINYIN_WINDOW: usize = 6;
/// Upper bound on spelling variants per window (polyphonic characters).
const MAX_VARIANTS: usize = 4;

/// Pinyin index tokens for a text: for every CJK character, the full pinyin
/// and the initials of the window of up to six characters starting there,
/// in every combination of readings up to a small bound. Indexing from every
/// start lets `db*` find 低保 in the middle of a title that begins with a
/// place name or 关于.
pub fn pinyin_tokens(text: &str) -> (Vec<String>, Vec<String>) {
    let mut full = Vec::new();
    let mut initials = Vec::new();
    for run in runs(text) {
        let Run::Cjk(s) = run else { continue };
        let chars: Vec<Vec<&str>> = s.chars().map(readings).collect();
        for start in 0..chars.len() {
            let end = (start + PINYIN_WINDOW).min(chars.len());
            let mut variants: Vec<(String, String)> = vec![(String::new(), String::new())];
            for reads in &chars[start..end] {
                if reads.is_empty() {
                    break;
                }
                let mut next = Vec::new();
                for (f, i) in &variants {
                    for (n, r) in reads.iter().enumerate() {
                        if n > 0 && next.len() >= MAX_VARIANTS {
                            break;
                        }
                        let mut f2 = f.clone();
                        f2.push_str(r);
                        let mut i2 = i.clone();
                        i2.extend(r.chars().next());
                        next.push((f2, i2));
                    }
                }
                variants = next;
            }
            for (f, i) in variants {
                if !f.is_empty() {
                    full.push(f);
                    initials.push(i);
                }
            }
        }
    }
    full.sort();
    full.dedup();
    initials.sort();
    initials.dedup();
    (full, initials)
}

/// Whether some window of `text` spells `letters` the way the pinyin index
/// matches them (`letters*` against a window's full pinyin or initials),
/// without building every token: for ranking hits that already matched,
/// so it must stay cheap per title.
pub fn spells(text: &str, letters: &str) -> bool {
    let l = letters.as_bytes();
    if l.is_empty() {
        return true;
    }
    // One readings slot per character; anything but a CJK character has
    // none, so no window crosses it (as the index's runs do not).
    let reads: Vec<Reads> = text
        .chars()
        .map(|c| if is_cjk(c) { reads(c) } else { Reads::No })
        .collect();
    for start in 0..reads.len() {
        if matches!(reads[start], Reads::No) {
            continue;
        }
        let window = &reads[start..(start + PINYIN_WINDOW).min(reads.len())];
        if spells_from(window, l, true) || spells_from(window, l, false) {
            return true;
        }
    }
    false
}

/// `l` is a prefix of the window's full pinyin (`full`) or initials.
fn spells_from(window: &[Reads], l: &[u8], full: bool) -> bool {
    if l.is_empty() {
        return true;
    }
    let Some((first, rest)) = window.split_first() else {
        return false;
    };
    first.get().iter().any(|r| {
        let r = r.as_bytes();
        if !full {
            r.first() == l.first() && spells_from(rest, &l[1..], false)
        } else if l.len() <= r.len() {
            r.starts_with(l)
        } else {
            l.starts_with(r) && spells_from(rest, &l[r.len()..], true)
        }
    })
}

/// Full pinyin and initials of a short term (default readings), for the
/// hanzi candidate list of the on-screen keyboard.
pub fn term_pinyin(term: &str) -> Option<(String, String)> {
    let mut full = String::new();
    let mut initials = String::new();
    for c in term.chars() {
        let r = *readings(c).first()?;
        full.push_str(r);
        initials.extend(r.chars().next());
    }
    Some((full, initials))
}

/// A 文号 reduced to what residents type in any spelling: the year and the
/// serial number, e.g. `2020-33` for 冠政办发〔2020〕33号, [2020]33, (2020)33,
/// 2020年33号 or 2020-33. Returns the key and the prefix text before the year
/// (the issuing-body abbreviation, possibly empty).
pub fn doc_number_key(text: &str) -> Option<(String, String)> {
    let chars: Vec<char> = text.chars().map(fold_fullwidth).collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_digit()) {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let year: String = chars[start..i].iter().collect();
            let plausible_year =
                year.len() == 4 && (year.starts_with("19") || year.starts_with("20"));
            if plausible_year {
                // Between year and number: brackets, dashes, spaces, 年, 第.
                let mut j = i;
                while j < chars.len() && "〕]］）)】-_—－ /年第號号.".contains(chars[j])
                {
                    j += 1;
                }
                let num_start = j;
                while j < chars.len() && chars[j].is_ascii_digit() {
                    j += 1;
                }
                if j > num_start && j > i {
                    let num: String = chars[num_start..j].iter().collect();
                    let num = num.trim_start_matches('0');
                    let num = if num.is_empty() { "0" } else { num };
                    let prefix: String = chars[..start].iter().filter(|c| is_cjk(**c)).collect();
                    return Some((format!("{year}-{num}"), prefix));
                }
            }
        } else {
            i += 1;
        }
    }
    None
}

/// Words that carry no meaning in a resident's question; dropped from
/// queries longer than a couple of words.
pub const STOP_WORDS: &[&str] = &[
    "怎么", "怎样", "如何", "什么", "哪里", "哪些", "需要", "我要", "我想", "可以", "的", "了",
    "吗", "呢", "在", "是", "要", "去", "办", "请问",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spells_agrees_with_the_pinyin_tokens() {
        let titles = [
            "关于做好城乡最低生活保障工作的通知",
            "示范县银行业务办理指南",
            "重庆市长江大桥",
            "2024年医保缴费 新农合",
        ];
        let words = [
            "db",
            "dibao",
            "zuidi",
            "zdsh",
            "zdshbz",
            "yhyw",
            "yinhang",
            "hang",
            "cq",
            "chongqing",
            "zhongqing",
            "cj",
            "yb",
            "yibaoj",
            "xnh",
            "xinnongh",
            "dbx",
            "baozhanggongzuode",
            "q",
            "",
        ];
        for t in titles {
            let (full, initials) = pinyin_tokens(t);
            for w in words {
                let indexed = full.iter().chain(initials.iter()).any(|x| x.starts_with(w));
                assert_eq!(spells(t, w), indexed, "{t} / {w}");
            }
        }
    }

    #[test]
    fn bigram_text_of_a_title_keeps_order() {
        assert_eq!(bigram_text("低保金"), "低保 保金 ");
        assert_eq!(bigram_text("税"), "税 ");
        assert_eq!(bigram_text("2020年低保"), "2020 年低 低保 ");
    }

    #[test]
    fn doc_number_spellings_reduce_to_one_key() {
        for s in [
            "示政办发〔2020〕33号",
            "[2020]33",
            "2020-33",
            "（2020）33号",
            "2020年第33号",
            "［２０２０］３３",
        ] {
            assert_eq!(
                doc_number_key(s).map(|k| k.0),
                Some("2020-33".into()),
                "{s}"
            );
        }
        assert_eq!(
            doc_number_key("示政办发〔2020〕33号").map(|k| k.1),
            Some("示政办发".into())
        );
        assert_eq!(doc_number_key("低保"), None);
        assert_eq!(doc_number_key("12345"), None);
    }

    #[test]
    fn pinyin_windows_find_terms_mid_title() {
        let (full, initials) = pinyin_tokens("关于低保标准");
        assert!(full.iter().any(|t| t.starts_with("dibao")), "{full:?}");
        assert!(initials.iter().any(|t| t.starts_with("db")), "{initials:?}");
    }

    #[test]
    fn polyphonic_characters_get_both_readings() {
        for (text, spelling) in [
            ("银行", "yinhang"),
            ("县长", "xianzhang"),
            ("重庆", "chongqing"),
            ("调解", "tiaojie"),
            ("会计", "kuaiji"),
        ] {
            let (full, _) = pinyin_tokens(text);
            assert!(full.iter().any(|t| t == spelling), "{text}: {full:?}");
        }
    }

    #[test]
    fn u_umlaut_is_typed_as_v() {
        let (full, initials) = pinyin_tokens("法律援助");
        assert!(full.iter().any(|t| t == "falvyuanzhu"), "{full:?}");
        assert!(initials.iter().any(|t| t == "flyz"), "{initials:?}");
    }

    #[test]
    fn rare_dictionary_readings_are_not_indexed() {
        // 投 "dou" would make `db` match 招标投标; 示 "qi", 年 "ning" alike.
        let (full, initials) = pinyin_tokens("招标投标 示范县 2021年版");
        assert!(!initials.iter().any(|t| t.contains("db")), "{initials:?}");
        assert!(!full.iter().any(|t| t.starts_with("qifan")), "{full:?}");
        assert!(!full.iter().any(|t| t.contains("ningban")), "{full:?}");
        assert!(
            full.iter().any(|t| t.starts_with("zhaobiaotoubiao")),
            "{full:?}"
        );
    }
}
