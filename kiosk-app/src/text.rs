//! Turning content text into what the pages show: Markdown into blocks,
//! dates and money into the forms residents read.

use chrono::NaiveDate;

use crate::Block;

/// The kinds of [`Block`] (see `ui/types.slint`).
pub mod kind {
    pub const PARAGRAPH: i32 = 0;
    pub const HEADING: i32 = 1;
    pub const BULLET: i32 = 2;
    pub const NUMBERED: i32 = 3;
    pub const QUESTION: i32 = 4;
    pub const ANSWER: i32 = 5;
}

pub fn block(kind: i32, text: impl Into<String>, marker: impl Into<String>) -> Block {
    Block {
        kind,
        text: text.into().into(),
        marker: marker.into().into(),
    }
}

/// Simple Markdown (headings, paragraphs, `-`/`1.` lists, emphasis and
/// links) as blocks. Anything else is shown as plain text.
pub fn markdown_blocks(md: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut para = String::new();
    let flush = |para: &mut String, out: &mut Vec<Block>| {
        let t = para.trim();
        if !t.is_empty() {
            out.push(block(kind::PARAGRAPH, inline(t), ""));
        }
        para.clear();
    };
    for line in md.lines() {
        let t = line.trim();
        if t.is_empty() {
            flush(&mut para, &mut out);
            continue;
        }
        if let Some(h) = heading(t) {
            flush(&mut para, &mut out);
            out.push(block(kind::HEADING, inline(h), ""));
        } else if let Some(item) = t
            .strip_prefix("- ")
            .or_else(|| t.strip_prefix("* "))
            .or_else(|| t.strip_prefix("+ "))
        {
            flush(&mut para, &mut out);
            out.push(block(kind::BULLET, inline(item.trim()), "•"));
        } else if let Some((n, item)) = numbered(t) {
            flush(&mut para, &mut out);
            out.push(block(kind::NUMBERED, inline(item), format!("{n}.")));
        } else if para
            .chars()
            .last()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == ',')
        {
            // Latin text wrapped by an editor continues the paragraph.
            para.push(' ');
            para.push_str(t);
        } else {
            // Chinese documents put one paragraph (or a signature line, or a
            // date) on each line: keep them apart.
            flush(&mut para, &mut out);
            para.push_str(t);
        }
    }
    flush(&mut para, &mut out);
    out
}

fn heading(t: &str) -> Option<&str> {
    let hashes = t.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&hashes) {
        let rest = &t[hashes..];
        if rest.starts_with(' ') {
            return Some(rest.trim());
        }
    }
    None
}

fn numbered(t: &str) -> Option<(u32, &str)> {
    let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
    if digits.is_empty() || digits.len() > 3 {
        return None;
    }
    let rest = &t[digits.len()..];
    let rest = rest
        .strip_prefix(". ")
        .or_else(|| rest.strip_prefix("、"))
        .or_else(|| rest.strip_prefix("．"))?;
    Some((digits.parse().ok()?, rest.trim()))
}

/// Removes inline Markdown: `**bold**`, `_em_`, `` `code` ``, `[text](url)`.
pub fn inline(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' | '`' => {}
            '_' if chars.peek() == Some(&'_') => {
                chars.next();
            }
            '[' => {
                let mut label = String::new();
                let mut closed = false;
                for d in chars.by_ref() {
                    if d == ']' {
                        closed = true;
                        break;
                    }
                    label.push(d);
                }
                out.push_str(&label);
                if closed && chars.peek() == Some(&'(') {
                    for d in chars.by_ref() {
                        if d == ')' {
                            break;
                        }
                    }
                } else if !closed {
                    out.insert(out.len() - label.len(), '[');
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Lines of a list as blocks: bullets or numbered steps.
pub fn list_blocks(items: &[String], numbered: bool) -> Vec<Block> {
    items
        .iter()
        .enumerate()
        .map(|(i, t)| {
            if numbered {
                block(kind::NUMBERED, inline(t), format!("{}.", i + 1))
            } else {
                block(kind::BULLET, inline(t), "•")
            }
        })
        .collect()
}

/// 2020年5月12日: the form residents read without thinking.
pub fn date_zh(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

pub fn date_opt(d: Option<NaiveDate>) -> String {
    d.map(date_zh).unwrap_or_default()
}

pub fn period_zh(a: NaiveDate, b: NaiveDate) -> String {
    format!("{} 至 {}", date_zh(a), date_zh(b))
}

/// Amount in fen as yuan with thousands separators: 1,234,567.89.
pub fn yuan(fen: i64) -> String {
    let neg = fen < 0;
    let fen = fen.unsigned_abs();
    let whole = (fen / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{}.{:02}", if neg { "-" } else { "" }, grouped, fen % 100)
}

/// Percent-encodes a URL query value (UTF-8), for navigation links.
pub fn url_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_headings_paragraphs_and_lists() {
        let b = markdown_blocks(
            "## 一、总则\n\n第一条 为了**规范**工作。\n示范县民政局\n\n- 甲\n- 乙\n\n1. 申请\n2、受理\n见[链接](https://x)。\nsee the\nnext line",
        );
        let kinds: Vec<i32> = b.iter().map(|b| b.kind).collect();
        assert_eq!(
            kinds,
            vec![
                kind::HEADING,
                kind::PARAGRAPH,
                kind::PARAGRAPH,
                kind::BULLET,
                kind::BULLET,
                kind::NUMBERED,
                kind::NUMBERED,
                kind::PARAGRAPH,
                kind::PARAGRAPH
            ]
        );
        assert_eq!(b[0].text, "一、总则");
        assert_eq!(b[1].text, "第一条 为了规范工作。");
        assert_eq!(b[2].text, "示范县民政局");
        assert_eq!(b[6].marker, "2.");
        assert_eq!(b[7].text, "见链接。");
        assert_eq!(b[8].text, "see the next line");
    }

    #[test]
    fn money_and_dates_read_naturally() {
        assert_eq!(yuan(123456789), "1,234,567.89");
        assert_eq!(yuan(5), "0.05");
        assert_eq!(yuan(-120000), "-1,200.00");
        let d = NaiveDate::from_ymd_opt(2020, 5, 2).expect("date");
        assert_eq!(date_zh(d), "2020年5月2日");
    }

    #[test]
    fn url_values_are_encoded() {
        assert_eq!(url_encode("城关 a&b"), "%E5%9F%8E%E5%85%B3%20a%26b");
    }
}
