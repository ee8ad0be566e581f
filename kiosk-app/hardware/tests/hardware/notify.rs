//! systemd notify against a fake `NOTIFY_SOCKET`: readiness, watchdog
//! pings at the configured interval, and no pings while the UI loop is
//! blocked (which is the whole point of pinging from the UI loop).

use std::{
    os::unix::net::UnixDatagram,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
        mpsc,
    },
    time::{Duration, Instant},
};

use kiosk_hardware::{Notifier, WatchdogPinger, notify::watchdog_interval};

fn env_of(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |key| {
        pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    }
}

/// Everything that arrives on `socket` until `until`, with arrival times.
fn collect(socket: &UnixDatagram, until: Instant) -> Vec<(Instant, String)> {
    socket
        .set_read_timeout(Some(Duration::from_millis(20)))
        .expect("timeout");
    let mut got = Vec::new();
    let mut buf = [0u8; 512];
    while Instant::now() < until {
        if let Ok(n) = socket.recv(&mut buf) {
            got.push((
                Instant::now(),
                String::from_utf8_lossy(&buf[..n]).into_owned(),
            ));
        }
    }
    got
}

#[test]
fn ready_then_watchdog_pings_that_stop_while_the_ui_loop_is_blocked() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("notify.sock");
    let systemd = UnixDatagram::bind(&path).expect("bind fake systemd");
    let env = env_of(vec![
        ("NOTIFY_SOCKET", path.display().to_string()),
        // WatchdogSec=200ms: ping every 100 ms.
        ("WATCHDOG_USEC", "200000".into()),
        ("WATCHDOG_PID", std::process::id().to_string()),
    ]);
    let mut pinger = WatchdogPinger::from_lookup(env);
    assert_eq!(pinger.interval(), Some(Duration::from_millis(100)));
    let tick = pinger.timer_interval().expect("timer");
    assert_eq!(tick, Duration::from_millis(25));

    // The "UI loop": a thread that runs timer callbacks, unless a
    // callback blocks it (here: a long synchronous job on the UI thread).
    // It reports when it actually froze and thawed.
    let stop = Arc::new(AtomicBool::new(false));
    let (block_tx, block_rx) = mpsc::channel::<Duration>();
    let (frozen_tx, frozen_rx) = mpsc::channel::<(Instant, Instant)>();
    let ui_stop = Arc::clone(&stop);
    let ui = std::thread::spawn(move || {
        pinger.ready();
        while !ui_stop.load(Ordering::SeqCst) {
            if let Ok(freeze) = block_rx.try_recv() {
                let from = Instant::now();
                std::thread::sleep(freeze);
                let _ = frozen_tx.send((from, Instant::now()));
            }
            pinger.ping_if_due(Instant::now());
            std::thread::sleep(tick);
        }
    });

    let start = Instant::now();
    let mut got = collect(&systemd, start + Duration::from_millis(700));
    let block_sent = Instant::now();
    block_tx
        .send(Duration::from_millis(800))
        .expect("block the loop");
    got.extend(collect(&systemd, block_sent + Duration::from_millis(1400)));
    stop.store(true, Ordering::SeqCst);
    ui.join().expect("ui thread");
    let (frozen_at, thawed_at) = frozen_rx.recv().expect("the loop was blocked");

    assert_eq!(got.first().map(|(_, m)| m.as_str()), Some("READY=1"));
    assert_eq!(got.iter().filter(|(_, m)| m == "READY=1").count(), 1);
    let pings: Vec<Instant> = got
        .iter()
        .filter(|(_, m)| m == "WATCHDOG=1")
        .map(|(t, _)| *t)
        .collect();

    // Before blocking: pings at the interval (100 ms; the timer ticks every
    // 25 ms). Never early; the upper bounds are loose because CI machines
    // are noisy.
    let before: Vec<Instant> = pings.iter().copied().filter(|t| *t < block_sent).collect();
    assert!(
        (3..=8).contains(&before.len()),
        "{} pings in 700 ms",
        before.len()
    );
    let mut gaps: Vec<Duration> = before.windows(2).map(|p| p[1] - p[0]).collect();
    gaps.sort();
    // Receive times jitter a little around send times.
    assert!(gaps[0] >= Duration::from_millis(80), "early ping: {gaps:?}");
    let median = gaps[gaps.len() / 2];
    assert!(
        median <= Duration::from_millis(160),
        "median gap {median:?}"
    );

    // While blocked: silence for far longer than WatchdogSec (200 ms), so
    // systemd would restart the kiosk. (50 ms of slack for a ping sent just
    // before the freeze and received just after.)
    assert!(thawed_at - frozen_at >= Duration::from_millis(800));
    let silent_from = frozen_at + Duration::from_millis(50);
    assert!(
        !pings.iter().any(|t| *t > silent_from && *t < thawed_at),
        "pinged while the UI loop was blocked"
    );
    // After: pings again.
    assert!(
        pings.iter().any(|t| *t >= thawed_at),
        "pings resume after the loop runs again"
    );
}

#[test]
fn abstract_socket_addresses_work() {
    use std::os::linux::net::SocketAddrExt;
    let name = format!("kiosk-hardware-test-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).expect("addr");
    let systemd = UnixDatagram::bind_addr(&addr).expect("bind abstract");
    let notifier = Notifier::connect(&format!("@{name}")).expect("connect");
    notifier.ready().expect("send");
    notifier.status("内容版本 42\n已同步").expect("send");
    let mut buf = [0u8; 256];
    let n = systemd.recv(&mut buf).expect("recv");
    assert_eq!(&buf[..n], b"READY=1");
    let n = systemd.recv(&mut buf).expect("recv");
    assert_eq!(
        String::from_utf8_lossy(&buf[..n]),
        "STATUS=内容版本 42 已同步"
    );
}

#[test]
fn without_systemd_everything_is_a_no_op() {
    let mut pinger = WatchdogPinger::from_lookup(|_| None);
    assert_eq!(pinger.timer_interval(), None);
    pinger.ready();
    assert!(!pinger.ping_if_due(Instant::now()));
    assert!(Notifier::from_lookup(|_| None).expect("ok").is_none());
}

#[test]
fn watchdog_for_another_process_or_bad_values_is_ignored() {
    let other_pid = env_of(vec![
        ("WATCHDOG_USEC", "1000000".into()),
        ("WATCHDOG_PID", "1".into()),
    ]);
    assert_eq!(watchdog_interval(other_pid), None);
    assert_eq!(
        watchdog_interval(env_of(vec![("WATCHDOG_USEC", "soon".into())])),
        None
    );
    assert_eq!(
        watchdog_interval(env_of(vec![("WATCHDOG_USEC", "3000000".into())])),
        Some(Duration::from_millis(1500))
    );
    let err = Notifier::connect("relative/path").expect_err("bad address");
    assert!(err.to_string().contains("NOTIFY_SOCKET"), "{err}");
}

#[test]
fn systemd_gone_does_not_stop_the_ui() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("gone.sock");
    let env = env_of(vec![
        ("NOTIFY_SOCKET", path.display().to_string()),
        ("WATCHDOG_USEC", "200000".into()),
    ]);
    let mut pinger = WatchdogPinger::from_lookup(env);
    pinger.ready();
    assert!(
        pinger.ping_if_due(Instant::now()),
        "tried, failure logged once"
    );
}
