#!/usr/bin/env bash
# `systemd-analyze verify` and `systemd-analyze security --offline` on the
# units as the .deb installs them: the package is unpacked into a staged
# root (with the host's own units for the targets they refer to, and any
# host command an Exec line uses), so every ExecStart= binary really exists
# there. Fails on any verify message, and when the exposure scores differ
# from the table in deploy/README.md.
#   verify-units.sh out/deb/disclosure-kiosk_*_amd64.deb
#   verify-units.sh --tree BIN_DIR   # no package yet (kiosk-app not built):
#                                    # the repository's files and BIN_DIR/kiosk-sync;
#                                    # kiosk-app.service is then left out
set -euo pipefail
cd "$(dirname "$0")/../.."

units=(kiosk-sync.service kiosk-app.service kiosk-usb-import@sdb1.service kiosk-usb-mount@sdb1.service)
stage="$(mktemp -d /tmp/kiosk-units.XXXXXX)"
trap 'rm -rf "$stage"' EXIT

if [ "${1:-}" = --tree ]; then
  bin_dir="${2:?usage: verify-units.sh --tree BIN_DIR}"
  install -D -m 0755 "$bin_dir/kiosk-sync" "$stage/usr/bin/kiosk-sync"
  install -D -m 0755 deploy/libexec/usb-mount "$stage/usr/libexec/kiosk/usb-mount"
  install -D -m 0755 deploy/libexec/usb-import "$stage/usr/libexec/kiosk/usb-import"
  install -D -m 0644 -t "$stage/usr/lib/systemd/system" systemd/*.service
  install -D -m 0644 systemd/kiosk.sysusers "$stage/usr/lib/sysusers.d/kiosk.conf"
  install -D -m 0644 systemd/kiosk.tmpfiles "$stage/usr/lib/tmpfiles.d/kiosk.conf"
  units=(kiosk-sync.service kiosk-usb-import@sdb1.service kiosk-usb-mount@sdb1.service)
  echo "verify-units: no package yet; kiosk-app.service not verified (no kiosk-app binary)"
else
  deb="${1:?usage: verify-units.sh PACKAGE.deb | --tree BIN_DIR}"
  dpkg-deb -x "$deb" "$stage"
fi
mkdir -p "$stage/usr/lib/systemd/system"
# The targets and services our units order against (sysinit.target,
# network-online.target, getty@.service, ...); ours are not overwritten.
cp -rn /usr/lib/systemd/system/. "$stage/usr/lib/systemd/system/"
# Host commands used by Exec lines (e.g. chmod), where the package has none.
unit_files=()
for u in "${units[@]}"; do unit_files+=("$stage/usr/lib/systemd/system/$(sed -E 's/@[^.]*\./@./' <<<"$u")"); done
for cmd in $(sed -n -E 's/^Exec[A-Za-z]*=[-+@!:]*([^ ]+).*/\1/p' "${unit_files[@]}" | sort -u); do
  if [ ! -e "$stage$cmd" ]; then
    [ -x "$cmd" ] || { echo "verify-units: $cmd (used by a unit) is neither in the package nor on this host" >&2; exit 1; }
    install -D -m 0755 "$cmd" "$stage$cmd"
  fi
done

echo "systemd-analyze verify --root=STAGE ${units[*]}"
log="$stage/verify.log"
if ! systemd-analyze verify --root="$stage" "${units[@]}" >"$log" 2>&1 || [ -s "$log" ]; then
  sed "s#$stage##g" "$log" >&2
  echo "verify-units: systemd-analyze verify reported problems (above)" >&2
  exit 1
fi
echo "verify: no problems"

# Users and directories: the snippets parse and create what the units expect.
mkdir -p "$stage/sysroot/etc"
touch "$stage"/sysroot/etc/{passwd,group,shadow,gshadow}
systemd-sysusers --root="$stage/sysroot" "$stage/usr/lib/sysusers.d/kiosk.conf" >/dev/null 2>&1
grep -q '^kiosk-sync:' "$stage/sysroot/etc/passwd"
grep -q '^kiosk-app:' "$stage/sysroot/etc/passwd"
grep -q '^kiosk:.*kiosk-app' "$stage/sysroot/etc/group"
systemd-tmpfiles --root="$stage/sysroot" --create "$stage/usr/lib/tmpfiles.d/kiosk.conf"
[ "$(stat -c %a "$stage/sysroot/var/lib/kiosk")" = 750 ]
[ "$(stat -c %a "$stage/sysroot/run/kiosk-sync")" = 750 ]
echo "sysusers/tmpfiles: users kiosk-sync, kiosk-app, group kiosk; /var/lib/kiosk and /run/kiosk-sync 0750"

status=0
for u in "${units[@]}"; do
  out="$(systemd-analyze security --offline=true --root="$stage" "$u" 2>&1)"
  grep -E '^✗' <<<"$out" | sed 's/^/    /' || true
  line="$(grep -o "Overall exposure level for $u: .*" <<<"$out")"
  score="$(sed -E 's/.*: ([0-9.]+ [A-Z]+).*/\1/' <<<"$line")"
  echo "$line"
  recorded="$(grep -E "^\| \`${u//@/@}\` +\| " deploy/README.md | awk -F'|' '{gsub(/^ +| +$/, "", $3); print $3}')"
  if [ "$recorded" != "$score" ]; then
    echo "verify-units: $u scores \"$score\" but deploy/README.md records \"$recorded\"; update the table" >&2
    status=1
  fi
done
exit $status
