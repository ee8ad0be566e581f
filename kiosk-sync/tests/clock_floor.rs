//! The clock floor of a brand-new kiosk: its clock says 1970 (no RTC, no
//! network time yet) and it has no sync state, so no trusted time has been
//! seen. Expiry must still be judged no earlier than the build date of
//! kiosk-sync and the signing time of the trusted root.

mod support;

use chrono::{DateTime, Duration, Utc};
use kiosk_sync::publish::{self, PublishOptions, ROOT_SIGNED_AT};
use kiosk_sync::pull::{PullResult, Source, pull};
use kiosk_sync::state::{ManualClock, SyncState, build_time};
use kiosk_sync::store::StoreApplier;
use support::{Repo, bundle};

/// The district repository (`support::Repo`: keys and `repo/`) of the demo
/// county.
struct Fixture {
    repo: Repo,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture { repo: Repo::new() }
    }

    fn repo(&self) -> std::path::PathBuf {
        self.repo.dir.clone()
    }

    /// Publish (a new bundle version) as if signed at `now`.
    fn publish_at(&self, now: DateTime<Utc>) {
        publish::publish(
            &self.repo.dir,
            &self.repo.keys,
            bundle(0),
            &PublishOptions {
                now,
                ..PublishOptions::default()
            },
        )
        .expect("publish");
    }

    /// A brand-new kiosk (empty data directory) pulling from the repository
    /// directory with its clock at 1970.
    fn pull_in_1970(&self, kiosk: &str) -> Result<PullResult, String> {
        let data = self.repo.tmp.path().join(kiosk);
        assert!(!data.exists(), "a brand-new kiosk has no state");
        let clock = ManualClock::new(DateTime::UNIX_EPOCH);
        pull(
            &data,
            &Source::Dir(self.repo()),
            Some(&self.repo().join("metadata/1.root.json")),
            &clock,
            &mut StoreApplier::new(&data),
        )
        .map(|out| out.result)
        .map_err(|e| {
            assert!(
                kiosk_content::ContentReader::open(&data).is_err(),
                "refused, yet content was applied"
            );
            let msg = e.to_string();
            let recorded = Source::Dir(self.repo()).describe_error(&e);
            assert_eq!(SyncState::load(&data).last_error, Some(recorded));
            msg
        })
    }
}

#[test]
fn a_new_kiosk_at_1970_refuses_metadata_that_expired_before_kiosk_sync_was_built() {
    let fx = Fixture::new();
    // Signed 30 days before this build: the 7-day timestamp expired 23 days
    // before it. A 1970 clock alone would accept it.
    fx.publish_at(build_time() - Duration::days(30));
    let err = fx
        .pull_in_1970("kiosk")
        .expect_err("expired metadata accepted");
    assert!(
        err.contains("timestamp.json") && err.contains("expired"),
        "{err}"
    );
    assert!(
        err.contains("1970-01-01") && err.contains("the date this kiosk-sync was built"),
        "the error should say the clock is behind and which floor was used: {err}"
    );
    assert!(
        err.contains(&build_time().to_string()),
        "the error should name the time expiry was judged at: {err}"
    );

    // Freshly signed metadata is accepted at once, whatever the clock says.
    fx.publish_at(Utc::now());
    let out = fx.pull_in_1970("kiosk-2").expect("fresh metadata");
    assert!(matches!(out, PullResult::Applied { .. }), "{out:?}");
}

#[test]
fn the_signing_time_of_the_trusted_root_is_a_floor_too() {
    let fx = Fixture::new();
    // Root v1 signed "in 30 days", later metadata signed now: its 7-day
    // timestamp expires before the root was signed, so it cannot be current.
    let root_time = Utc::now() + Duration::days(30);
    fx.publish_at(root_time);
    fx.publish_at(Utc::now());
    let root: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fx.repo().join("metadata/1.root.json")).expect("root"),
    )
    .expect("json");
    assert!(
        root["signed"][ROOT_SIGNED_AT].is_string(),
        "the publisher signs the root's time: {root}"
    );
    let err = fx
        .pull_in_1970("kiosk")
        .expect_err("expired at the root's time");
    assert!(
        err.contains("timestamp.json")
            && err.contains("expired")
            && err.contains("the signing time of the trusted root"),
        "{err}"
    );
}
