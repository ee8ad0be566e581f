//! Shared fixtures: a realistic guide slip (from `tests/fixtures`) and
//! snapshot comparison.

use std::path::PathBuf;

use kiosk_hardware::Raster;

#[path = "../fixtures/sample_slip.rs"]
mod sample_slip;
pub use sample_slip::{FORM_URL, guide_slip};

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
