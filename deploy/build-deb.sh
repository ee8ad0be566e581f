#!/usr/bin/env bash
# Builds the Debian package `disclosure-kiosk` for arm64 (Raspberry Pi 4/5,
# 64-bit Debian / Raspberry Pi OS) or amd64 with `dpkg-deb --build` from a
# staged tree: both binaries, the systemd units, sysusers/tmpfiles snippets,
# udev rules, default configs and the provisioning README.
#
#   bash deploy/build-deb.sh arm64            # binaries from target/aarch64-unknown-linux-gnu/release
#   bash deploy/build-deb.sh amd64            # binaries from target/x86_64-unknown-linux-gnu/release
#   bash deploy/build-deb.sh amd64 --bin-dir target/debug   # other binaries (CI)
#
# Build the binaries first (deploy/cross-build.sh [--native]). Output:
# out/deb/disclosure-kiosk_<version>_<arch>.deb; the staged tree stays in
# out/deb/stage-<arch>/ for inspection.
set -euo pipefail
cd "$(dirname "$0")/.."

arch="${1:-}"
shift || true
bin_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --bin-dir) bin_dir="${2:?--bin-dir needs a directory}"; shift 2 ;;
    *) echo "build-deb.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
case "$arch" in
  arm64) triple=aarch64-unknown-linux-gnu; readelf=aarch64-linux-gnu-readelf; strip=aarch64-linux-gnu-strip; machine=AArch64 ;;
  amd64) triple=x86_64-unknown-linux-gnu; readelf=readelf; strip=strip; machine="X86-64" ;;
  *) echo "usage: build-deb.sh arm64|amd64 [--bin-dir DIR]" >&2; exit 2 ;;
esac
bin_dir="${bin_dir:-${CARGO_TARGET_DIR:-target}/$triple/release}"
command -v "$readelf" >/dev/null || readelf=readelf
command -v "$strip" >/dev/null || { echo "build-deb.sh: $strip missing (bash deploy/install-cross-deps.sh)" >&2; exit 1; }

pkg=disclosure-kiosk
base_version="$(sed -n -E '/^\[workspace.package\]/,/^\[/ s/^version = "([^"]+)"/\1/p' Cargo.toml)"
if count="$(git rev-list --count HEAD 2>/dev/null)" && sha="$(git rev-parse --short=8 HEAD 2>/dev/null)"; then
  version="${base_version}+git${count}.${sha}"
else
  version="${base_version}"
fi
version="${KIOSK_DEB_VERSION:-$version}"
case "$bin_dir" in
  */debug|debug)
    # Debug-profile binaries (CI checks the packaging with them): sorts
    # below the release package of the same commit.
    version="${version}~dev"
    echo "build-deb.sh: packaging debug-profile binaries from $bin_dir (version $version); not for kiosks" ;;
esac

for b in kiosk-sync kiosk-app; do
  f="$bin_dir/$b"
  [ -x "$f" ] || { echo "build-deb.sh: $f missing; build it first (deploy/cross-build.sh)" >&2; exit 1; }
  "$readelf" -h "$f" | grep -q "Machine:.*$machine" \
    || { echo "build-deb.sh: $f is not an $arch ($machine) binary" >&2; exit 1; }
done

out=out/deb
stage="$out/stage-$arch"
rm -rf "$stage"
mkdir -p "$stage/DEBIAN"
inst() { # inst MODE SRC DEST
  install -D -m "$1" "$2" "$stage$3"
}
inst 0755 "$bin_dir/kiosk-sync"                 /usr/bin/kiosk-sync
inst 0755 "$bin_dir/kiosk-app"                  /usr/bin/kiosk-app
# No debug info on a kiosk (the release profile strips it already; a
# debug-profile build keeps line tables).
"$strip" --strip-debug "$stage/usr/bin/kiosk-sync" "$stage/usr/bin/kiosk-app"
inst 0755 deploy/libexec/usb-mount              /usr/libexec/kiosk/usb-mount
inst 0755 deploy/libexec/usb-import             /usr/libexec/kiosk/usb-import
inst 0644 systemd/kiosk-sync.service            /usr/lib/systemd/system/kiosk-sync.service
inst 0644 systemd/kiosk-app.service             /usr/lib/systemd/system/kiosk-app.service
inst 0644 "systemd/kiosk-usb-import@.service"   "/usr/lib/systemd/system/kiosk-usb-import@.service"
inst 0644 "systemd/kiosk-usb-mount@.service"    "/usr/lib/systemd/system/kiosk-usb-mount@.service"
inst 0644 systemd/kiosk.sysusers                /usr/lib/sysusers.d/kiosk.conf
inst 0644 systemd/kiosk.tmpfiles                /usr/lib/tmpfiles.d/kiosk.conf
for r in deploy/udev/*.rules; do
  inst 0644 "$r" "/usr/lib/udev/rules.d/$(basename "$r")"
done
inst 0644 deploy/config/kiosk-sync.toml         /etc/kiosk-sync/config.toml
inst 0644 deploy/config/kiosk-app.toml          /etc/kiosk-app/config.toml
inst 0644 deploy/config/kiosk-app.default       /etc/default/kiosk-app
# The handwriting recognizer's school-order templates (kiosk-app's
# `handwriting_templates`), with their licence beside them.
inst 0644 kiosk-app/handwriting/data/hanzi-templates.bin /usr/share/kiosk-app/hanzi-templates.bin
inst 0644 kiosk-app/handwriting/data/ARPHICPL.TXT      /usr/share/kiosk-app/ARPHICPL.TXT
doc=/usr/share/doc/$pkg
inst 0644 deploy/README.md                      "$doc/README.md"
inst 0644 deploy/config/kiosk-app-tcp-printer.conf "$doc/examples/kiosk-app-tcp-printer.conf"
inst 0644 deploy/config/journald-volatile.conf  "$doc/examples/journald-volatile.conf"
inst 0644 deploy/nginx/kiosk-repo.conf          "$doc/examples/nginx/kiosk-repo.conf"
inst 0644 deploy/nginx/kiosk-repo-log.conf      "$doc/examples/nginx/kiosk-repo-log.conf"
inst 0644 deploy/debian/copyright               "$doc/copyright"

# Depends from what the binaries actually link (a library not in this
# table stops the build, so the list cannot silently go stale) and the
# newest glibc symbol version they use.
declare -A lib_pkg=(
  [libc.so.6]=libc6 [libm.so.6]=libc6 [libdl.so.2]=libc6 [libpthread.so.0]=libc6
  [librt.so.1]=libc6 [ld-linux-aarch64.so.1]=libc6 [ld-linux-x86-64.so.2]=libc6
  [libgcc_s.so.1]=libgcc-s1
  [libudev.so.1]=libudev1 [libinput.so.10]=libinput10
  [libxkbcommon.so.0]=libxkbcommon0 [libfontconfig.so.1]=libfontconfig1
  [libfreetype.so.6]=libfreetype6
)
declare -A deps=()
glibc_max=2.17
for b in kiosk-sync kiosk-app; do
  while read -r lib; do
    p="${lib_pkg[$lib]:-}"
    [ -n "$p" ] || { echo "build-deb.sh: $b links $lib, which has no package in lib_pkg; add it" >&2; exit 1; }
    deps[$p]=1
  done < <("$readelf" -d "$bin_dir/$b" | sed -n -E 's/.*\(NEEDED\).*\[(.*)\]/\1/p')
  v="$("$readelf" -V "$bin_dir/$b" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -n1)"
  glibc_max="$(printf '%s\n%s\n' "$glibc_max" "${v:-2.17}" | sort -V | tail -n1)"
done
depends="libc6 (>= $glibc_max)"
for p in $(printf '%s\n' "${!deps[@]}" | sort); do
  [ "$p" = libc6 ] || depends="$depends, $p"
done
# systemd: units, sysusers, tmpfiles; udev: the rules; util-linux: mount,
# blockdev, mountpoint for USB import; fonts: the app embeds its UI font,
# but fontconfig panics with a configuration and no font at all.
depends="$depends, systemd (>= 247), udev, util-linux, mount, fonts-dejavu-core"
# Handwriting: kiosk-app loads libzinnia.so.0 at run time (so it is not in
# NEEDED above; without it the kiosk still starts, pinyin only) and reads
# the zh_CN model (arch all). bookworm names the library libzinnia0,
# trixie libzinnia0v5.
depends="$depends, libzinnia0 | libzinnia0v5, tegaki-zinnia-simplified-chinese"

installed_kb="$(du -sk --exclude=DEBIAN "$stage" | cut -f1)"
cat > "$stage/DEBIAN/control" <<CONTROL
Package: $pkg
Version: $version
Architecture: $arch
Maintainer: Disclosure kiosk team <kiosk@example.invalid>
Section: misc
Priority: optional
Installed-Size: $installed_kb
Depends: $depends
Description: Government-disclosure touch kiosk (政务公开) and its content sync
 kiosk-app: the full-screen touch UI on Slint's linuxkms backend (no X, no
 Wayland), with receipt printer, backlight schedule, motion sensor and the
 systemd watchdog. kiosk-sync: signed content bundles (TUF) from the
 district's repository, a LAN mirror or a USB stick, applied atomically.
 Includes hardened systemd units, system users, udev rules and configs.
CONTROL
printf '%s\n' /etc/kiosk-sync/config.toml /etc/kiosk-app/config.toml /etc/default/kiosk-app \
  > "$stage/DEBIAN/conffiles"
for s in postinst prerm postrm; do
  install -m 0755 "deploy/debian/$s" "$stage/DEBIAN/$s"
done

mkdir -p "$out"
deb="$out/${pkg}_${version}_${arch}.deb"
rm -f "$out/${pkg}_"*"_${arch}.deb"
# xz for kiosks; DEB_COMPRESSION=gzip when speed matters more than size (CI).
compression="${DEB_COMPRESSION:-xz}"
dpkg-deb --root-owner-group "-Z$compression" -z6 --build "$stage" "$deb" >/dev/null
echo "built $deb ($(du -h "$deb" | cut -f1)); Depends: $depends"
