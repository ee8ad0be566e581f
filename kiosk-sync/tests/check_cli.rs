//! `kiosk-sync check --source DIR`: every problem at once, exit 1 if any.

use std::process::Command;

fn kiosk_sync() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kiosk-sync"))
}

fn demo_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    kiosk_content::demo::demo_tree()
        .write_to(dir.path())
        .expect("write demo");
    dir
}

#[test]
fn a_good_source_checks_clean_with_a_summary() {
    let src = demo_copy();
    let out = kiosk_sync()
        .args(["check", "--source"])
        .arg(src.path())
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("no problems"), "{stdout}");
    assert!(stdout.contains("示范县"), "{stdout}");
}

#[test]
fn every_problem_is_printed_with_file_line_and_field_and_the_exit_code_is_1() {
    let src = demo_copy();
    let policy = src.path().join("policies/sfx-2020-033.md");
    let text = std::fs::read_to_string(&policy).expect("policy");
    std::fs::write(&policy, text.replacen("主动公开", "不予公开", 1)).expect("write");
    let guide = src.path().join("guides/dibao-shenqing.md");
    let text = std::fs::read_to_string(&guide).expect("guide");
    std::fs::write(&guide, text.replacen("fee =", "fees =", 1)).expect("write");
    let before: Vec<_> = walk(src.path());

    let out = kiosk_sync()
        .args(["check", "--source"])
        .arg(src.path())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let disclosure_line = text_line(&policy, "disclosure =");
    assert!(
        stderr.contains(&format!(
            "policies/sfx-2020-033.md:{disclosure_line}: disclosure:"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("guides/dibao-shenqing.md:"), "{stderr}");
    assert!(stderr.contains("fees"), "{stderr}");
    assert!(
        stderr.contains("2 problem(s)"),
        "only the two real problems: {stderr}"
    );
    assert_eq!(walk(src.path()), before, "check never changes the source");
}

#[test]
fn a_missing_folder_is_named() {
    let out = kiosk_sync()
        .args(["check", "--source", "/nonexistent/county"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/county"));
}

fn text_line(path: &std::path::Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(path).expect("read");
    text.lines()
        .position(|l| l.contains(needle))
        .expect("needle")
        + 1
}

fn walk(dir: &std::path::Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((p.clone(), std::fs::read(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}
