#!/usr/bin/env bash
# Boots the kiosk firmware image in QEMU and checks it the way a hall would
# use it. Not part of CI (minutes, and it needs the image): run it by hand,
# and record its result and time in deploy/README.md.
#
#   bash deploy/image/boot-test.sh                  # amd64 image, KVM if /dev/kvm, else TCG
#   bash deploy/image/boot-test.sh --arch arm64     # arm64 image under TCG: boots to kiosk-sync (long)
#   options: --image FILE (default out/image/disclosure-kiosk-<arch>.img), --keep (leave the work dir),
#            --uefi (amd64: boot through OVMF and the image's systemd-boot; TCG on hosts
#            whose KVM cannot run OVMF, see below), --accel tcg|kvm (default kvm when
#            /dev/kvm is writable; this project's build machines are VMs whose nested
#            KVM hangs an x86 guest kernel at "Probing EDD": use --accel tcg there,
#            which boots through OVMF and systemd-boot like a mini-PC)
#
# Like an operator, it copies the image, writes kiosk.toml, root.json and an
# initial content bundle onto the copy's FAT partition KIOSKCONF (mtools),
# and boots it with no network at all (a USB-only village station). Checks:
#  1. the very first boot with a wrong kiosk.toml (two mistakes): the kiosk
#     does not start, and tty1 (what the screen shows: /dev/vcs1 and a
#     screendump) names both lines, the keys and what to write; then
#     powered off, kiosk.toml corrected on KIOSKCONF;
#  2. kiosk-config, kiosk-sync and kiosk-app units active; the initial
#     bundle imported at that boot (generation 1);
#  3. the guest's screen (QMP screendump of the virtio GPU, 1080x1920) is
#     the kiosk's start page, after a tap the home page, after another the
#     依申请公开 page: compared with `kiosk-app screenshot` of the same
#     content and config on this machine; zbar reads that page's QR code
#     off the guest's screen;
#  4. root file system mounted read-only (and a write as root refused),
#     journal in RAM, data partition with its SD-card options;
#  5. `systemd-analyze security` of kiosk-app and kiosk-sync inside the guest
#     no worse than deploy/ci/verify-units.sh's offline scores;
#  6. a virtual USB stick (usb-storage) with a newer signed bundle: the udev
#     rule's units mount it (rw,nosuid,nodev,noexec) and hand it to the
#     daemon, which applies it (generation 2); the screen shows it; the
#     kiosk's signed report is back on the stick and kiosk-sync fleet on
#     the host reads it (USB, signature ok, generation 2);
#  7. a stick with a tampered bundle (one object's bytes changed): the
#     import fails, generation and screen unchanged, the stick unmounted;
#  8. power cut (QMP `quit`) during an import from a slowed-down stick: the
#     next boot shows intact content (the old or the new generation, whole).
# With --arch arm64: the first boot only (kiosk-config, kiosk-sync,
# generation 1, kiosk-app and its start page on the screen).
# Binaries for the reference screenshots and bundles: KIOSK_BIN_DIR (default
# target/debug), the same build as the image's package; the demo county from
# KIOSK_DEMO_SRC (default kiosk-content/demo).
# The guest is driven through the QEMU guest agent (virtio serial); the
# image's qemu-guest-agent starts only when that channel exists.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."

arch=amd64 image="" keep=0 uefi=0 accel=""
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch="${2:?}"; shift 2 ;;
    --image) image="${2:?}"; shift 2 ;;
    --keep) keep=1; shift ;;
    --uefi) uefi=1; shift ;;
    --accel) accel="${2:?}"; shift 2 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "boot-test.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
image="${image:-out/image/disclosure-kiosk-$arch.img}"
[ -f "$image" ] || { echo "boot-test.sh: $image missing: bash deploy/image/build.sh --arch $arch" >&2; exit 1; }
bin="${KIOSK_BIN_DIR:-target/debug}"
ks="$bin/kiosk-sync" ka="$bin/kiosk-app"
for b in "$ks" "$ka"; do
  [ -x "$b" ] || { echo "boot-test.sh: $b missing (cargo build -p kiosk-sync -p kiosk-app)" >&2; exit 1; }
done
for t in mcopy mkfs.vfat sfdisk python3 zbarimg; do
  command -v "$t" >/dev/null || { echo "boot-test.sh: $t missing (apt-get install -y mtools dosfstools fdisk python3-pil zbar-tools qemu-system-x86 ovmf)" >&2; exit 1; }
done
# The screens are read with Pillow: Debian's python3-pil, which a Python
# earlier in PATH (pyenv, a venv) does not see.
py=python3
"$py" -c 'import PIL' 2>/dev/null || py=/usr/bin/python3
"$py" -c 'import PIL' 2>/dev/null || { echo "boot-test.sh: no python3 with Pillow (apt-get install -y python3-pil)" >&2; exit 1; }
ctl() { "$py" "$here/qemu_ctl.py" "$@"; }

w="$(realpath -m out/image/boot-test-$arch)"
rm -rf "$w"
mkdir -p "$w"
qemu_pid=""
stop_vm() {
  if [ -n "$qemu_pid" ] && kill -0 "$qemu_pid" 2>/dev/null; then
    kill "$qemu_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$qemu_pid" 2>/dev/null || true
  fi
  qemu_pid=""
}
finish() {
  stop_vm
  # The 2-3 GB disk copy goes; logs and screenshots stay for a look.
  [ "$keep" = 1 ] || rm -f "$w/disk.img" "$w"/stick*.img
}
trap finish EXIT

t0=$(date +%s)
passed=()
ok() { passed+=("$*"); echo "PASS: $*"; }
die() {
  echo "FAIL: $*" >&2
  if [ -S "$w/qga.sock" ] && [ -n "$qemu_pid" ]; then
    ctl exec "$w/qga.sock" 30 "journalctl -b --no-pager -o short-monotonic" >"$w/journal-fail.txt" 2>&1 || true
  fi
  echo "(the guest's journal: $w/journal-fail.txt; serial console: $w/serial-*.log; screens: $w/*.png)" >&2
  # BOOT_TEST_HOLD=1: leave the guest running for a look (kill QEMU by its pid yourself).
  if [ "${BOOT_TEST_HOLD:-0}" = 1 ] && [ -n "$qemu_pid" ]; then
    echo "guest left running: qemu pid $qemu_pid, agent $w/qga.sock, monitor $w/qmp.sock" >&2
    qemu_pid="" keep=1
  fi
  exit 1
}

# ---------------------------------------------------------------------------
echo "== content: keys and three signed bundles (the demo county, then changes)"
"$ks" keygen --out "$w/keys" >/dev/null
# The demo county, from the same commit as the binaries (KIOSK_DEMO_SRC).
cp -a "${KIOSK_DEMO_SRC:-kiosk-content/demo}" "$w/src"
publish() { "$ks" publish --source "$w/src" --keys "$w/keys" --repo "$w/repo" >"$w/publish-$1.log" 2>&1 || { cat "$w/publish-$1.log"; die "publish $1"; }; rm -rf "$w/repo$1"; cp -a "$w/repo" "$w/repo$1"; }
publish 1
notice() { # notice FILE TITLE
  cat >"$w/src/notices/$1.md" <<EOF
+++
title = "$2"
agency = "城关镇便民服务中心"
disclosure = "主动公开"
published = $(date +%F)
starts = $(date -d yesterday +%F)
ends = $(date -d '+30 days' +%F)
hall = "chengguan"
+++
这是镜像启动测试发布的公告。
EOF
}
notice gg-boot-test-2 "启动测试：U盘导入的第二版内容"
publish 2
notice gg-boot-test-3 "启动测试：第三版内容"
publish 3
# The tampered copy of bundle 3: one object that is new in it, one byte changed.
cp -a "$w/repo3" "$w/repo3-bad"
victim=""
for f in "$w/repo3/objects"/*; do
  [ -e "$w/repo2/objects/${f##*/}" ] || { victim="${f##*/}"; break; }
done
[ -n "$victim" ] || die "bundle 3 has no new object to tamper with"
printf 'X' | dd of="$w/repo3-bad/objects/$victim" bs=1 seek=10 conv=notrunc status=none
cp "$w/repo/metadata/1.root.json" "$w/root.json"

# kiosk.toml for a USB-only station; the app's part, as kiosk-config cuts
# it out, is what the reference screenshots use.
cat >"$w/kiosk.toml" <<'EOF'
# boot-test.sh: a village-station-like kiosk with no network.
[sync]
repo_url = ""

[app]
hall = ""
staff_pin_hash = ""
# Back to the start screen soon; no dimming during the test.
idle_timeout_secs = 20
dim_after_secs = 3600

[app.hardware.printer]
kind = "none"

[app.hardware.screen.hours]
mon = ["00:00-23:59"]
tue = ["00:00-23:59"]
wed = ["00:00-23:59"]
thu = ["00:00-23:59"]
fri = ["00:00-23:59"]
sat = ["00:00-23:59"]
sun = ["00:00-23:59"]

[display]
rotation = 0
EOF
awk '/^\[/ { if ($0 ~ /^\[app\./) { sub(/app\./, ""); sec = "app"; print; next } sec = ($0 == "[app]") ? "app" : "x"; next } sec == "app"' \
  "$w/kiosk.toml" >"$w/app.toml"
reference() { # reference N: the start (attract) and home pages of bundle N, rendered here
  "$ks" import "$w/repo$1" --data-dir "$w/store$1" --root "$w/root.json" >/dev/null 2>&1 || die "local import of bundle $1"
  # An import leaves the importing kiosk's report in the folder, as on a
  # stick; this machine is no kiosk, and its report must not ride on the
  # test's sticks beside the guest's (check 6 reads the guest's alone).
  rm -rf "$w/repo$1/kiosk-reports"
  for page in attract home apply; do
    # The image's time zone, so dates on screen agree.
    TZ=Asia/Shanghai "$ka" --data-dir "$w/store$1" --config "$w/app.toml" screenshot --page "$page" --out "$w/$page$1.png" 2>/dev/null \
      || die "kiosk-app screenshot of bundle $1's $page page"
  done
}
for n in 1 2 3; do reference "$n"; done

# ---------------------------------------------------------------------------
echo "== disk: a copy of $image with KIOSKCONF filled in"
cp --sparse=always "$image" "$w/disk.img"
conf_start="$(sfdisk -J "$w/disk.img" | python3 -c 'import json,sys; p=[p for p in json.load(sys.stdin)["partitiontable"]["partitions"] if p.get("name")=="KIOSKCONF"]; print(p[0]["start"])')"
conf="$w/disk.img@@$((conf_start * 512))"
mcopy -o -i "$conf" "$w/kiosk.toml" ::/kiosk.toml
mcopy -o -i "$conf" "$w/root.json" ::/root.json
mcopy -s -i "$conf" "$w/repo1" ::/initial-content
make_stick() { # make_stick NAME REPO
  mkfs.vfat -n KIOSKUSB -C "$w/$1.img" $((32 * 1024)) >/dev/null
  mcopy -s -i "$w/$1.img" "$2" ::/kiosk-repo
}
make_stick stick2 "$w/repo2"
make_stick stick3bad "$w/repo3-bad"
make_stick stick3 "$w/repo3"

# ---------------------------------------------------------------------------
if [ "$arch" = amd64 ]; then
  qemu=(qemu-system-x86_64 -machine q35 -m 2048 -smp 2)
  # (arch-capabilities off: a nested KVM here refused that MSR with -cpu host.)
  [ -n "$accel" ] || { [ -w /dev/kvm ] && accel=kvm || accel=tcg; }
  if [ "$accel" = kvm ]; then qemu+=(-accel kvm -cpu host,-arch-capabilities); else qemu+=(-accel tcg); fi
  code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd
  gpu=virtio-vga boot_timeout=${BOOT_TIMEOUT:-240}
  [ "$accel" = kvm ] || boot_timeout=${BOOT_TIMEOUT:-900}
  # --uefi: OVMF starts the image's systemd-boot, as on a mini-PC. On this
  # project's (nested) KVM hosts OVMF stops with a KVM internal error, so by
  # default under KVM the kernel, initrd and command line are taken from the
  # image's own ESP (loader entry kiosk-a.conf) and started by QEMU; the rest
  # of the disk is the image as flashed. `--uefi` uses TCG there.
  if [ "$uefi" = 1 ] && [ "$accel" = kvm ]; then
    qemu=(qemu-system-x86_64 -machine q35 -m 2048 -smp 2 -accel tcg); accel=tcg; boot_timeout=${BOOT_TIMEOUT:-1200}
  fi
else
  qemu=(qemu-system-aarch64 -machine virt -cpu cortex-a72 -m 2048 -smp 2 -accel tcg)
  accel=tcg
  code=/usr/share/AAVMF/AAVMF_CODE.fd vars=/usr/share/AAVMF/AAVMF_VARS.fd
  gpu=virtio-gpu-pci boot_timeout=${BOOT_TIMEOUT:-3600}
fi
[ -f "$code" ] || die "$code missing (apt-get install -y ovmf qemu-efi-aarch64)"
cp "$vars" "$w/vars.fd"
firmware=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code" -drive "if=pflash,format=raw,unit=1,file=$w/vars.fd")
if [ "$arch" = arm64 ]; then
  # The test's copy only: the kernel also logs to QEMU virt's PL011
  # (ttyAMA0), so serial-*.log shows how far a slow TCG boot got.
  esp_start="$(sfdisk -J "$w/disk.img" | python3 -c 'import json,sys; p=[p for p in json.load(sys.stdin)["partitiontable"]["partitions"] if p.get("name")=="KIOSKBOOT"]; print(p[0]["start"])')"
  mcopy -o -i "$w/disk.img@@$((esp_start * 512))" ::/loader/entries/kiosk-a.conf "$w/kiosk-a.conf"
  sed -i 's/^options /options console=ttyAMA0,115200n8 /' "$w/kiosk-a.conf"
  mcopy -o -i "$w/disk.img@@$((esp_start * 512))" "$w/kiosk-a.conf" ::/loader/entries/kiosk-a.conf
fi
if [ "$arch" = amd64 ] && [ "$uefi" = 0 ] && [ "$accel" = kvm ]; then
  esp_start="$(sfdisk -J "$w/disk.img" | python3 -c 'import json,sys; p=[p for p in json.load(sys.stdin)["partitiontable"]["partitions"] if p.get("name")=="KIOSKBOOT"]; print(p[0]["start"])')"
  esp="$w/disk.img@@$((esp_start * 512))"
  mcopy -o -i "$esp" ::/vmlinuz ::/initrd.img ::/loader/entries/kiosk-a.conf "$w/"
  append="$(sed -n 's/^options //p' "$w/kiosk-a.conf")"
  firmware=(-kernel "$w/vmlinuz" -initrd "$w/initrd.img" -append "$append")
  echo "   kernel, initrd and command line from the image's ESP: $append"
fi
boot=0
start_vm() {
  boot=$((boot + 1))
  rm -f "$w/qmp.sock" "$w/qga.sock" "$w/qemu.pid"
  "${qemu[@]}" -name kiosk-boot-test \
    "${firmware[@]}" \
    -drive "file=$w/disk.img,format=raw,if=virtio" \
    -device "$gpu,xres=1080,yres=1920" -display none \
    -nic none \
    -device qemu-xhci,id=xhci -device usb-tablet,bus=xhci.0 \
    -device virtio-serial-pci \
    -chardev "socket,id=qga0,path=$w/qga.sock,server=on,wait=off" \
    -device virtserialport,chardev=qga0,name=org.qemu.guest_agent.0 \
    -qmp "unix:$w/qmp.sock,server=on,wait=off" -monitor none \
    -serial "file:$w/serial-$boot.log" \
    -pidfile "$w/qemu.pid" -daemonize
  qemu_pid="$(cat "$w/qemu.pid")"
  echo "   boot $boot: qemu pid $qemu_pid ($accel)"
}
gexec() { ctl exec "$w/qga.sock" "${2:-60}" "$1"; }
gstatus() { gexec "kiosk-sync status --data-dir /var/lib/kiosk --json" 30; }
jfield() { python3 -c "import json,sys; v=json.load(sys.stdin); [v:=(v or {}).get(k) for k in sys.argv[1].split('.')]; print('' if v is None else v)" "$1"; }
wait_units() { # wait_units SECONDS UNIT...
  local t="$1"; shift
  local deadline=$(( $(date +%s) + t ))
  ctl ping "$w/qga.sock" "$t" || die "boot $boot: no guest agent within $t s"
  while [ "$(date +%s)" -lt "$deadline" ]; do
    # (is-active exits 0 when any one is active: every line must say so.)
    if [ "$(gexec "systemctl is-active $*" 10 2>/dev/null | grep -cx active)" = "$#" ]; then return 0; fi
    sleep 2
  done
  gexec "systemctl --no-pager status $* kiosk-config; journalctl -b --no-pager -n 60" 30 >"$w/units-$boot.txt" 2>&1 || true
  die "boot $boot: $* not active within $t s (see $w/units-$boot.txt)"
}
screen() { # screen NAME: the guest's display as PNG
  ctl qmp "$w/qmp.sock" screendump "{\"filename\": \"$w/$1.ppm\"}" >/dev/null
  "$py" -c "from PIL import Image; import sys; Image.open(sys.argv[1]).save(sys.argv[2])" "$w/$1.ppm" "$w/$1.png"
  rm -f "$w/$1.ppm"
}
# The screen matches REF.png (rendered here); waits up to T s (the app
# polls the store; an import banner stays 20 s; the idle reset after 20 s).
screen_is() { # screen_is NAME REF T
  local deadline=$(( $(date +%s) + $3 )) d=100
  while [ "$(date +%s)" -lt "$deadline" ]; do
    screen "$1"
    d="$(ctl compare "$w/$1.png" "$w/$2.png" "$w/$1-diff.png")"
    if python3 -c "import sys; sys.exit(0 if float(sys.argv[1].split()[0]) <= 1.0 else 1)" "$d"; then
      echo "   $1.png vs $2.png: $d % of pixels differ"
      return 0
    fi
    sleep 2
  done
  die "the screen ($w/$1.png) is not $w/$2.png: $d % of pixels differ"
}
plug() { # plug ID IMAGE [bytes-per-second]: a writable stick (the kiosk mounts it rw for its report)
  local file="{\"driver\": \"file\", \"filename\": \"$2\"}"
  if [ -n "${3:-}" ]; then
    ctl qmp "$w/qmp.sock" object-add "{\"qom-type\": \"throttle-group\", \"id\": \"tg-$1\", \"limits\": {\"bps-read\": $3}}" >/dev/null
    ctl qmp "$w/qmp.sock" blockdev-add "{\"driver\": \"throttle\", \"node-name\": \"$1\", \"throttle-group\": \"tg-$1\", \"file\": {\"driver\": \"raw\", \"file\": $file}}" >/dev/null
  else
    ctl qmp "$w/qmp.sock" blockdev-add "{\"driver\": \"raw\", \"node-name\": \"$1\", \"file\": $file}" >/dev/null
  fi
  ctl qmp "$w/qmp.sock" device_add "{\"driver\": \"usb-storage\", \"bus\": \"xhci.0\", \"drive\": \"$1\", \"id\": \"dev-$1\", \"removable\": true}" >/dev/null
}
tap() { # tap X Y (pixels of the 1080x1920 screen), through the USB tablet
  ctl qmp "$w/qmp.sock" input-send-event "{\"events\": [{\"type\": \"abs\", \"data\": {\"axis\": \"x\", \"value\": $(( $1 * 32767 / 1079 ))}}, {\"type\": \"abs\", \"data\": {\"axis\": \"y\", \"value\": $(( $2 * 32767 / 1919 ))}}]}" >/dev/null
  sleep 0.2
  ctl qmp "$w/qmp.sock" input-send-event '{"events": [{"type": "btn", "data": {"down": true, "button": "left"}}]}' >/dev/null
  sleep 0.1
  ctl qmp "$w/qmp.sock" input-send-event '{"events": [{"type": "btn", "data": {"down": false, "button": "left"}}]}' >/dev/null
}
unplug() { # unplug ID
  ctl qmp "$w/qmp.sock" device_del "{\"id\": \"dev-$1\"}" >/dev/null
  for _ in $(seq 50); do
    ctl qmp "$w/qmp.sock" blockdev-del "{\"node-name\": \"$1\"}" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  die "stick $1 could not be removed"
}
# The last import's record, after plugging a stick: waits until it changes.
wait_import() { # wait_import PREVIOUS-finished_at T
  local deadline=$(( $(date +%s) + $2 )) s
  while [ "$(date +%s)" -lt "$deadline" ]; do
    s="$(gstatus 2>/dev/null || true)"
    if [ -n "$s" ] && [ "$(jfield last_import.finished_at <<<"$s")" != "$1" ] && [ -n "$(jfield last_import.finished_at <<<"$s")" ]; then
      echo "$s"
      return 0
    fi
    sleep 2
  done
  die "no import was recorded within $2 s of plugging the stick"
}
shutdown_vm() {
  # A clean power-off through the guest (ACPI power button as a fallback).
  gexec 'systemctl --no-block poweroff' 10 >/dev/null 2>&1 || ctl qmp "$w/qmp.sock" system_powerdown >/dev/null 2>&1 || true
  for _ in $(seq 360); do kill -0 "$qemu_pid" 2>/dev/null || { qemu_pid=""; return 0; }; sleep 0.5; done
  die "the guest did not power off within 180 s"
}

if [ "$arch" = amd64 ]; then
  echo "== first boot with a wrong kiosk.toml (as an operator might write it)"
  sed -e 's/^rotation = 0/rotation = 45/' -e 's/^hall = ""/hal = "dongshan"/' "$w/kiosk.toml" >"$w/kiosk-bad.toml"
  mcopy -o -i "$conf" "$w/kiosk-bad.toml" ::/kiosk.toml
  tb=$(date +%s)
  start_vm
  ctl ping "$w/qga.sock" "$boot_timeout" || die "no guest agent on the first boot (wrong kiosk.toml)"
  st=""
  for _ in $(seq 90); do
    st="$(gexec 'systemctl is-failed kiosk-config.service' 10 || true)"
    [ "$st" = failed ] && break
    sleep 2
  done
  [ "$st" = failed ] || die "kiosk-config did not fail on a wrong kiosk.toml"
  gexec 'systemctl is-active kiosk-app.service kiosk-sync.service' 10 >"$w/bad-units.txt" 2>&1 || true
  if grep -q '^active' "$w/bad-units.txt"; then die "kiosk started with a wrong kiosk.toml: $(cat "$w/bad-units.txt")"; fi
  gexec 'cat /dev/vcs1' 10 >"$w/tty1.txt"
  rot_line="$(grep -n '^rotation = 45' "$w/kiosk-bad.toml" | cut -d: -f1)"
  hal_line="$(grep -n '^hal = ' "$w/kiosk-bad.toml" | cut -d: -f1)"
  tr -s ' ' <"$w/tty1.txt" >"$w/tty1-squeezed.txt"
  grep -q "line $rot_line, \[display\] rotation = 45: write 0, 90, 180 or 270" "$w/tty1-squeezed.txt" \
    || die "tty1 does not name the rotation line: $(cat "$w/tty1-squeezed.txt")"
  grep -q "hal" "$w/tty1-squeezed.txt" && grep -q "line $hal_line" "$w/tty1-squeezed.txt" \
    || die "tty1 does not name the misspelt key hal (line $hal_line): $(cat "$w/tty1-squeezed.txt")"
  # What the panel shows: the console with that text (light on dark), not the kiosk.
  screen bad-config
  lit="$("$py" -c "from PIL import Image; import sys; im = Image.open(sys.argv[1]).convert('L'); print(round(100 * sum(1 for v in im.getdata() if v > 96) / (im.size[0] * im.size[1]), 2))" "$w/bad-config.png")"
  python3 -c "import sys; sys.exit(0 if 0.5 <= float(sys.argv[1]) <= 40 else 1)" "$lit" \
    || die "the screen ($w/bad-config.png) does not look like the console's message: $lit % of pixels lit"
  ok "first boot, wrong kiosk.toml: kiosk not started; tty1 (on screen: $w/bad-config.png, $lit % of pixels lit) names line $rot_line ([display] rotation = 45: write 0, 90, 180 or 270) and line $hal_line (hal), $(( $(date +%s) - tb )) s after power-on"
  shutdown_vm
  mcopy -o -i "$conf" "$w/kiosk.toml" ::/kiosk.toml
fi

echo "== the first boot with a good kiosk.toml"
tb=$(date +%s)
start_vm
if [ "$arch" = arm64 ]; then
  wait_units "$boot_timeout" kiosk-config kiosk-sync
  ok "arm64 (TCG): kiosk-config and kiosk-sync active $(( $(date +%s) - tb )) s after power-on"
  s="$(gstatus)"
  [ "$(jfield generation <<<"$s")" = 1 ] || die "initial content not imported: $s"
  ok "arm64: initial bundle imported at first boot (generation 1)"
  # The app too, on the virtio GPU through KMS: the aarch64 build draws
  # the same start page as kiosk-app screenshot on this machine.
  wait_units 900 kiosk-app
  [ "$(gexec "uname -m" 30)" = aarch64 ] || die "the guest is not aarch64"
  ok "arm64: kiosk-app active (aarch64) $(( $(date +%s) - tb )) s after power-on"
  screen_is arm64-attract attract1 900
  ok "arm64: the screen (QMP screendump, 1080x1920) is bundle 1's start page, as kiosk-app screenshot renders it"
  echo "== arm64 boot test passed in $(( $(date +%s) - t0 )) s"
  printf '  %s\n' "${passed[@]}"
  exit 0
fi
wait_units "$boot_timeout" kiosk-config kiosk-sync kiosk-app
ok "kiosk-config, kiosk-sync, kiosk-app active $(( $(date +%s) - tb )) s after power-on"
s="$(gstatus)"
[ "$(jfield generation <<<"$s")" = 1 ] || die "initial content not imported at first boot: $s"
ok "initial bundle from KIOSKCONF/initial-content imported at first boot (generation 1)"
# The app's anonymous counts (and so the kiosk's report of it) need
# /var/lib/kiosk/usage on KIOSKDATA, writable by the app.
gexec 'stat -c "%U:%G %a" /var/lib/kiosk/usage; journalctl -b --no-pager -o cat -u kiosk-app | grep -c "usage counts are off" || true' 30 >"$w/usage.txt" 2>&1 || true
[ "$(sed -n 1p "$w/usage.txt")" = "kiosk-app:kiosk 2750" ] && [ "$(sed -n 2p "$w/usage.txt")" = 0 ] \
  || die "the app's usage folder: $(tr '\n' ' ' <"$w/usage.txt") (want kiosk-app:kiosk 2750 and no \"usage counts are off\" in its journal)"
ok "usage counts on: /var/lib/kiosk/usage is kiosk-app:kiosk 2750, the app opened its counts"
screen_is screen-attract-1 attract1 60
ok "screen (QMP screendump, 1080x1920) is bundle 1's start page, as kiosk-app screenshot renders it"
tap 540 1400
screen_is screen-home-1 home1 20
ok "a tap (USB tablet) opens the home page, identical to kiosk-app screenshot --page home"
# The 依申请公开 tile (left column, fourth row) opens a page with a QR code
# (the online application form): a phone must be able to read it off the
# guest's screen, and it must say what the page rendered here says.
tap 280 978
screen_is screen-apply-1 apply1 20
want_qr="$(zbarimg -q --raw "$w/apply1.png" 2>/dev/null || true)"
got_qr="$(zbarimg -q --raw "$w/screen-apply-1.png" 2>/dev/null || true)"
[ -n "$want_qr" ] || die "no QR code found by zbar in the reference $w/apply1.png"
[ "$got_qr" = "$want_qr" ] || die "zbar read \"$got_qr\" off the guest's screen ($w/screen-apply-1.png), want \"$want_qr\""
ok "a tap on 依申请公开: the screen equals kiosk-app screenshot --page apply, and zbar reads its QR code off the guest's screen: $got_qr"

echo "== read-only root, logs, data partition"
gexec 'findmnt -no OPTIONS /' >"$w/root-opts.txt"
grep -q '^ro,' "$w/root-opts.txt" || die "root is mounted $(cat "$w/root-opts.txt")"
if gexec 'touch /etc/boot-test-write 2>&1' >"$w/root-write.txt" 2>&1; then die "root could write to /etc"; fi
grep -q "Read-only file system" "$w/root-write.txt" || die "write to /etc failed otherwise: $(cat "$w/root-write.txt")"
ok "root file system mounted read-only ($(cut -d, -f1-2 "$w/root-opts.txt")); root's write to /etc refused: Read-only file system"
gexec 'findmnt -no FSTYPE,OPTIONS /srv/kiosk-data; findmnt -no SOURCE /var/lib/kiosk; test -d /run/log/journal && ! test -d /var/log/journal && echo journal-in-ram; findmnt -no FSTYPE /var/log' >"$w/mounts.txt"
grep -q 'noatime' "$w/mounts.txt" && grep -q 'commit=60' "$w/mounts.txt" && grep -q journal-in-ram "$w/mounts.txt" \
  || die "data partition or journal not as expected: $(cat "$w/mounts.txt")"
ok "KIOSKDATA ext4 $(head -1 "$w/mounts.txt" | cut -d' ' -f2- | tr -s ' ' | cut -c1-60)...; journal in /run (RAM), /var/log tmpfs"

echo "== systemd-analyze security inside the guest"
gexec 'systemd-analyze security --no-pager kiosk-app.service kiosk-sync.service' >"$w/security.txt" 2>&1 || true
offline_app="$(sed -n -E 's/.*`kiosk-app.service` \| ([0-9.]+) .*/\1/p' deploy/README.md | head -1)"
offline_sync="$(sed -n -E 's/.*`kiosk-sync.service` \| ([0-9.]+) .*/\1/p' deploy/README.md | head -1)"
for u in app sync; do
  got="$(sed -n -E "s/.*Overall exposure level for kiosk-$u.service: ([0-9.]+).*/\1/p" "$w/security.txt")"
  want="offline_$u"; want="${!want}"
  [ -n "$got" ] && [ -n "$want" ] || die "no security score for kiosk-$u ($w/security.txt) or offline value"
  python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)" "$got" "$want" \
    || die "kiosk-$u.service scores $got in the guest, $want offline"
  ok "kiosk-$u.service: exposure $got in the guest (offline: $want)"
done

echo "== USB stick with a newer bundle"
prev="$(jfield last_import.finished_at <<<"$s")"
plug stick2 "$w/stick2.img"
s="$(wait_import "$prev" 300)"
[ "$(jfield last_import.ok <<<"$s")" = True ] && [ "$(jfield generation <<<"$s")" = 2 ] \
  || die "stick with bundle 2 not imported: $(jfield last_import.message <<<"$s")"
ok "udev rule + kiosk-usb-import@: \"$(jfield last_import.message <<<"$s")\""
# Mounted by kiosk-usb-mount@ in the host's namespace, as the report needs
# (rw) and nothing on the stick runs; imported by the daemon (ctl import),
# whose namespace must have received the mount.
gexec 'findmnt -rn -o TARGET,OPTIONS -T /run/kiosk-usb/current; systemctl list-units --no-legend --plain "kiosk-usb-*"; journalctl -b --no-pager -o cat -u "kiosk-usb-*"' 20 >"$w/usb-mount.txt" 2>&1 || true
read -r usb_target usb_opts < <(head -1 "$w/usb-mount.txt") || true
for o in rw nosuid nodev noexec; do
  tr , '\n' <<<"$usb_opts" | grep -qx "$o" || die "stick on ${usb_target:-?} mounted with '$usb_opts' (no $o; see $w/usb-mount.txt)"
done
grep -q "kiosk-usb-mount@.*active" "$w/usb-mount.txt" || die "kiosk-usb-mount@ not active after a good import ($w/usb-mount.txt)"
if grep -q "sync service is not running" "$w/usb-mount.txt"; then die "the import did not go through the daemon ($w/usb-mount.txt)"; fi
ok "stick mounted on $usb_target ($usb_opts) by kiosk-usb-mount@, imported through the kiosk-sync daemon"
screen_is screen-attract-2 attract2 90
ok "screen shows bundle 2's start page (its new notice) without a restart"
unplug stick2
# The kiosk's signed report, written back onto the stick, read here as the
# district reads the sticks it collects: kiosk-sync fleet on a PC.
rm -rf "$w/reports2"
mkdir -p "$w/reports2"
mcopy -s -i "$w/stick2.img" ::/kiosk-repo/kiosk-reports "$w/reports2/" 2>"$w/reports2.err" \
  || die "no kiosk-reports/ on the stick after the import: $(cat "$w/reports2.err")"
"$ks" fleet --reports "$w/reports2" --csv "$w/fleet2.csv" >"$w/fleet2.txt" 2>&1 \
  || die "kiosk-sync fleet cannot read the stick's report: $(cat "$w/fleet2.txt")"
[ "$(grep -cE '^[^,]+,[^,]*,usb,' "$w/fleet2.csv")" = 1 ] || die "want exactly one USB report on the stick, the guest's: $(cat "$w/fleet2.csv")"
report_row="$(grep -E '^[^,]+,[^,]*,usb,' "$w/fleet2.csv")"
[ "$(cut -d, -f8 <<<"$report_row")" = ok ] || die "the stick's report signature: $report_row"
[ "$(cut -d, -f6 <<<"$report_row")" = 2 ] || die "the stick's report does not say generation 2: $report_row"
ok "a signed report is back on the stick (kiosk-sync fleet: $(cut -d, -f1-3,6,8 <<<"$report_row"))"

echo "== USB stick with a tampered bundle"
prev="$(jfield last_import.finished_at <<<"$s")"
plug stick3bad "$w/stick3bad.img"
s="$(wait_import "$prev" 300)"
[ "$(jfield last_import.ok <<<"$s")" = False ] && [ "$(jfield generation <<<"$s")" = 2 ] \
  || die "tampered stick: import ok=$(jfield last_import.ok <<<"$s"), generation $(jfield generation <<<"$s")"
ok "tampered stick refused: \"$(jfield last_import.message <<<"$s")\"; generation still 2"
# A failed import leaves nothing mounted (kiosk-usb-mount@ is no longer needed).
for _ in $(seq 30); do
  gexec 'findmnt -rn -o TARGET | grep "^/run/kiosk-usb/" || true; systemctl list-units --no-legend --plain --state=active "kiosk-usb-mount@*"' 10 >"$w/usb-after-bad.txt" 2>&1 || true
  [ -s "$w/usb-after-bad.txt" ] || break
  sleep 2
done
[ ! -s "$w/usb-after-bad.txt" ] || die "after the failed import the stick is still mounted: $(cat "$w/usb-after-bad.txt")"
ok "after the failed import the stick is unmounted (kiosk-usb-mount@ stopped)"
sleep 3
screen_is screen-attract-2-after-tamper attract2 30
ok "screen unchanged after the tampered stick"
unplug stick3bad

echo "== power cut during an import"
# 48 KB/s: the import of bundle 3 then takes a while.
plug stick3 "$w/stick3.img" 49152
cut=0
for _ in $(seq 120); do
  st="$(gexec "systemctl list-units --all --no-legend --plain 'kiosk-usb-import@*'" 10 || true)"
  if grep -q ' activating ' <<<"$st"; then cut=1; break; fi
  sleep 0.5
done
[ "$cut" = 1 ] || die "the import from the slow stick never started"
sleep 1
gen_before="$(jfield generation <<<"$(gstatus)")"
ctl qmp "$w/qmp.sock" quit >/dev/null 2>&1 || true
for _ in $(seq 50); do kill -0 "$qemu_pid" 2>/dev/null || break; sleep 0.1; done
qemu_pid=""
ok "power cut (QMP quit, no shutdown) while kiosk-usb-import@ was running (generation $gen_before at the cut)"
tb=$(date +%s)
start_vm
wait_units "$boot_timeout" kiosk-config kiosk-sync kiosk-app
s="$(gstatus)"
g="$(jfield generation <<<"$s")"
case "$g" in 2 | 3) ;; *) die "after the power cut: generation '$g' ($s)" ;; esac
screen_is screen-after-cut "attract$g" 60
ok "after the power cut: units active in $(( $(date +%s) - tb )) s, generation $g, screen is bundle $g's start page"
gexec 'systemctl is-failed kiosk-initial-content.service; systemctl show -p ActiveState kiosk-initial-content.service' 10 >"$w/initial-after-cut.txt" 2>&1 || true
grep -q 'ActiveState=inactive' "$w/initial-after-cut.txt" || die "initial-content import ran again: $(cat "$w/initial-after-cut.txt")"

stop_vm

echo "== boot test passed in $(( $(date +%s) - t0 )) s ($accel)"
printf '  %s\n' "${passed[@]}"
