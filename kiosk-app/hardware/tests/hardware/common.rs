//! Shared fixtures: a realistic guide slip and snapshot comparison.

use std::path::PathBuf;

use kiosk_hardware::{Raster, SlipContent};

/// A guide as the app would print it. The print time is fixed so the
/// raster is the same on every run.
pub fn guide_slip() -> SlipContent {
    SlipContent {
        county: "示例县".into(),
        hall: "政务服务中心".into(),
        title: "城乡居民基本养老保险参保登记".into(),
        checklist: vec![
            "居民身份证原件及复印件（本人）".into(),
            "户口簿原件及复印件".into(),
            "《城乡居民基本养老保险参保登记表》一式两份".into(),
            "委托他人办理的，提供委托书和受托人身份证".into(),
        ],
        window: "一楼 3号综合窗口".into(),
        hours: "工作日 9:00-12:00，13:30-17:00（法定节假日除外）".into(),
        qr_url: FORM_URL.into(),
        printed_at: chrono::NaiveDate::from_ymd_opt(2025, 3, 14)
            .and_then(|d| d.and_hms_opt(10, 24, 0))
            .expect("valid date"),
        footer: "本凭条仅供参考，以窗口受理为准。咨询电话 0000-12345".into(),
    }
}

pub const FORM_URL: &str = "https://zwfw.example.gov.cn/form/yl-cbdj?from=kiosk";

fn snapshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// Compares `raster` with the reviewed PNG `name`. With
/// `UPDATE_SNAPSHOTS=1` it (re)writes the PNG instead; review it before
/// committing. On a mismatch the new picture is written beside the old one
/// as `<name>.actual.png` to look at.
pub fn assert_snapshot(name: &str, raster: &Raster) {
    let path = snapshot_dir().join(format!("{name}.png"));
    let png = raster.to_png().expect("encode PNG");
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        std::fs::create_dir_all(snapshot_dir()).expect("create snapshot dir");
        std::fs::write(&path, &png).expect("write snapshot");
        eprintln!(
            "wrote snapshot {}; review it before committing",
            path.display()
        );
        return;
    }
    let expected = match std::fs::read(&path) {
        Ok(bytes) => Raster::from_png(&bytes).expect("snapshot is a PNG"),
        Err(e) => panic!(
            "snapshot {} missing ({e}); run with UPDATE_SNAPSHOTS=1, look at the PNG, commit it",
            path.display()
        ),
    };
    if &expected != raster {
        let actual = snapshot_dir().join(format!("{name}.actual.png"));
        let _ = std::fs::write(&actual, &png);
        panic!(
            "slip differs from snapshot {} ({}x{} vs {}x{}); see {} and, if the change is intended, rerun with UPDATE_SNAPSHOTS=1",
            path.display(),
            expected.width(),
            expected.height(),
            raster.width(),
            raster.height(),
            actual.display()
        );
    }
}

/// Reads every QR code in the raster.
pub fn decode_qr(raster: &Raster) -> Vec<String> {
    let mut img = rqrr::PreparedImage::prepare_from_bitmap(
        raster.width() as usize,
        raster.height() as usize,
        |x, y| raster.get(x as u32, y as u32),
    );
    img.detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}
