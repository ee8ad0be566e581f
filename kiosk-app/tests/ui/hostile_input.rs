//! Hostile search input (issue 17) through the app's own input path: the
//! search page's adapter callbacks a touch fires (`key` from the letter
//! keyboard, `insert` from the 123 layer, `pick` of a candidate the
//! recognizer or the vocabulary offered). FTS syntax, SQL fragments,
//! 10,000 characters, emoji, control characters and bytes that are not
//! UTF-8 (as the lossy decoding of a scanner's or keyboard's bytes gives
//! them) must give results or nothing: never the content-error line, never
//! a panic, and the kiosk stays on the search page.

use kiosk_app::strings as zh;
use kiosk_app::{Nav, PageId, SearchAdapter};
use slint::ComponentHandle;

use crate::harness::{Kiosk, demo, rows};

fn hostile() -> Vec<String> {
    let mut v: Vec<String> = [
        "\"",
        "\"\"",
        "\"低保",
        "低保\"",
        "*",
        "低*",
        "*低",
        "NEAR",
        "低 NEAR 保",
        "NEAR(低 保, 3)",
        "OR",
        "低 OR 保",
        "AND NOT",
        "^",
        "^低保",
        "低保^",
        "-低保",
        "+",
        "(",
        ")",
        "()",
        "{title}: 低保",
        "title:低保",
        "col:*",
        ":",
        "'",
        "'; DROP TABLE items; --",
        "' OR '1'='1",
        "\") OR 1=1 --",
        "1; SELECT * FROM sqlite_master",
        "%",
        "_",
        "\\",
        "低保 🙂",
        "👵🏻🔍🏠",
        "\u{0}",
        "低\u{0}保",
        "\u{1}\u{2}\u{7}\u{8}\u{1b}[2J\u{7f}",
        "\r\n\t",
        "\u{202e}保低",
        "\u{200b}低\u{200b}保\u{200b}",
        "\u{fffd}",
        "𠀀𪚥",
        " ",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.push("低".repeat(10_000));
    v.push("a".repeat(10_000));
    v.push("\"".repeat(10_000));
    v.push("低保 OR ".repeat(1_250));
    // Bytes that are not UTF-8, decoded the only way text reaches Slint.
    for bytes in [
        &[0xff, 0xfe, 0xfd][..],
        &[0xc3, 0x28],
        &[0xe4, 0xbd],
        &[0xed, 0xa0, 0x80],
        &[0xf0, 0x9f, 0x98],
        b"\xe4\xbd\x8e\xff\xe4\xbf\x9d",
    ] {
        v.push(String::from_utf8_lossy(bytes).into_owned());
    }
    v
}

/// Results or nothing: the page, the status and no error line.
fn check(k: &Kiosk, how: &str, input: &str) {
    let short: String = input.chars().take(24).collect();
    assert_eq!(k.page(), PageId::Search, "{how} {short:?}");
    let error = k.win.global::<Nav>().get_error_text();
    assert!(error.is_empty(), "{how} {short:?}: {error}");
    let a = k.win.global::<SearchAdapter>();
    let status = a.get_status().to_string();
    let groups = rows(a.get_groups());
    // Nothing found still gives the hall's phone after SEARCH_NONE; the
    // hint fits the keyboard tab.
    let hint = status == zh::SEARCH_HINT
        || status == zh::SEARCH_HINT_HANDWRITING
        || status == zh::SEARCH_HINT_DIGITS;
    let none = status.starts_with(zh::SEARCH_NONE);
    let known = status.is_empty() || hint || none || status.starts_with(zh::SEARCH_PARTIAL);
    assert!(known, "{how} {short:?}: status {status:?}");
    if none || hint {
        assert!(groups.is_empty(), "{how} {short:?}");
    }
}

#[test]
fn hostile_queries_through_keys_the_123_layer_and_candidates_give_results_or_nothing() {
    let k = demo();
    k.start();
    k.tap("搜索");
    let a = k.win.global::<SearchAdapter>();
    let inputs = hostile();
    for input in &inputs {
        // A key that sends the whole string (the keyboard filters it).
        a.invoke_clear();
        a.invoke_key(input.as_str().into());
        check(&k, "key", input);
        // The 123 layer.
        a.invoke_clear();
        a.invoke_insert(input.as_str().into());
        check(&k, "insert", input);
        // A candidate offered as it came (the recognizer's, the
        // vocabulary's), after letters typed, and picked.
        a.invoke_clear();
        a.invoke_key("db".into());
        k.ctx.search.borrow_mut().candidates = vec![input.clone()];
        a.invoke_pick(0);
        check(&k, "pick", input);
        // The query's cap holds for a picked word too.
        assert!(
            a.get_query().chars().count() <= 24,
            "pick {:?}: a query of {} characters",
            input.chars().take(24).collect::<String>(),
            a.get_query().chars().count()
        );
        // Picked once more: hostile words stacked in one query.
        k.ctx.search.borrow_mut().candidates = vec![input.clone()];
        a.invoke_pick(0);
        check(&k, "pick again", input);
        // Letters after it, then deleted (a character at a time).
        a.invoke_key("d".into());
        check(&k, "key after", input);
        for _ in 0..3 {
            a.invoke_backspace();
        }
        check(&k, "backspace", input);
    }
    eprintln!(
        "faults-suite: hostile_input trials {}; {} inputs, each through key, insert, pick (twice), key after and backspace",
        inputs.len() * 6,
        inputs.len()
    );
    // The same store the kiosk reads answers each query itself too (the
    // 10,000-character ones only reach it capped, through the page).
    let content = k.ctx.content.borrow();
    for input in inputs.iter().filter(|i| i.chars().count() <= 200) {
        if let Err(e) = content.search(input, 5) {
            let short: String = input.chars().take(24).collect();
            panic!("store search {short:?}: {e}");
        }
    }
    // And the kiosk still finds what a resident looks for.
    drop(content);
    a.invoke_clear();
    a.invoke_key("db".into());
    assert!(
        !rows(a.get_groups()).is_empty(),
        "db after the hostile input"
    );
}
