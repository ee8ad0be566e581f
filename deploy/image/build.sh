#!/usr/bin/env bash
# Builds the kiosk firmware: one disk image to flash, booting straight into
# the kiosk (Debian 12 bookworm, no desktop; kiosk-app on KMS/DRM and
# kiosk-sync from their hardened units).
#
#   bash deploy/image/build.sh --arch amd64 [--deb out/deb/disclosure-kiosk_*_amd64.deb]
#   bash deploy/image/build.sh --arch arm64 [--deb ...arm64.deb]      # Raspberry Pi 4/5 (+ QEMU virt)
#   bash deploy/image/build.sh --check-only --arch amd64               # CI: recipe parses, packages resolve
#
# Options:
#   --deb FILE            the disclosure-kiosk package (default: the newest
#                         out/deb/disclosure-kiosk_*_<arch>.deb)
#   --kiosk-toml FILE     kiosk.toml put on the configuration partition
#                         (default: none; kiosk.toml.example is always there)
#   --root-json FILE      the district's root.json for that partition
#   --initial-content DIR a published, signed repository copied to
#                         KIOSKCONF/initial-content/ and imported at first boot
#   --out DIR             output folder (default out/image)
#   --mirror URL          Debian mirror (default http://deb.debian.org/debian)
#
# Output: OUT/disclosure-kiosk-<arch>.img (raw, sparse: flash with
# `dd bs=4M conv=fsync` or any SD-card imager), .manifest (every package
# and version, the kiosk .deb, SOURCE_DATE_EPOCH, partitions) and .sha256.
# Needs root (mmdebstrap in root mode, files owned by the image's users),
# and: mmdebstrap, e2fsprogs, dosfstools, mtools, fdisk; for arm64 on an
# x86 host also qemu-user-static and binfmt_misc (done here if missing).
# Downloads only Debian packages; they are kept in OUT/cache/<arch>/.
#
# Disk layout (GPT; fixed partition UUIDs, so the boot entries and fstab
# name them without probing):
#   1 KIOSKBOOT  FAT32 256 MiB  EFI system partition: systemd-boot, kernel,
#                              initrd (amd64, arm64 EFI); Pi firmware,
#                              config.txt, cmdline.txt, DTBs (arm64)
#   2 KIOSKCONF  FAT   64 MiB   kiosk.toml, root.json, initial-content/ (read-only at run time)
#   3 root-a     ext4           the system, mounted read-only
#   4 root-b     (empty)        the second slot for A/B updates (RAUC, see deploy/README.md)
#   5 KIOSKDATA  ext4  512 MiB  content store and app state (/var/lib/kiosk, /var/lib/kiosk-app)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo_root="$(cd "$here/../.." && pwd)"
cd "$repo_root"

arch="" deb="" kiosk_toml="" root_json="" initial="" out="out/image" check_only=0
mirror="http://deb.debian.org/debian"
security="http://deb.debian.org/debian-security"
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch="${2:?}"; shift 2 ;;
    --deb) deb="${2:?}"; shift 2 ;;
    --kiosk-toml) kiosk_toml="${2:?}"; shift 2 ;;
    --root-json) root_json="${2:?}"; shift 2 ;;
    --initial-content) initial="${2:?}"; shift 2 ;;
    --out) out="${2:?}"; shift 2 ;;
    --mirror) mirror="${2:?}"; shift 2 ;;
    --check-only) check_only=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "build.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$arch" in
  amd64) efi_name=BOOTX64.EFI; sd_boot=systemd-bootx64.efi; root_type=4f68bce3-e8cd-4db1-96e7-fbcaf984b709; components="main" ;;
  arm64) efi_name=BOOTAA64.EFI; sd_boot=systemd-bootaa64.efi; root_type=b921b045-1df0-41c3-af44-4c6f280d3fae; components="main non-free-firmware" ;;
  *) echo "build.sh: --arch amd64 or --arch arm64" >&2; exit 2 ;;
esac

# Packages of packages.txt for this architecture.
packages="$(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/packages.txt" | awk -v a="$arch" -F: '
  NF == 1 && $1 != "" { print $1 } NF == 2 && $1 == a { print $2 }' | paste -sd, -)"
sources=(
  "deb $mirror bookworm $components"
  "deb $mirror bookworm-updates $components"
  "deb $security bookworm-security $components"
)
# Reproducible enough: package dates, file times and file-system ids come
# from the commit (or SOURCE_DATE_EPOCH if set).
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"

if [ "$check_only" = 1 ]; then
  # Parses this script's inputs and resolves every package with apt against
  # the mirror's indices (simulated install, no downloads of .debs).
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/etc/apt/sources.list.d" "$tmp/etc/apt/preferences.d" "$tmp/var/lib/apt/lists/partial" \
    "$tmp/var/cache/apt/archives/partial" "$tmp/var/lib/dpkg"
  : >"$tmp/var/lib/dpkg/status"
  printf '%s\n' "${sources[@]}" >"$tmp/etc/apt/sources.list"
  aptopts=(-o "Dir=$tmp" -o "Dir::State::status=$tmp/var/lib/dpkg/status" -o "APT::Architecture=$arch"
    -o "APT::Architectures=$arch" -o "Dir::Etc::Trusted=/etc/apt/trusted.gpg" -o "Dir::Etc::TrustedParts=/etc/apt/trusted.gpg.d"
    -o "Acquire::Languages=none" -o "Debug::NoLocking=1" -o "APT::Sandbox::User=root")
  apt-get "${aptopts[@]}" -qq update
  # shellcheck disable=SC2086
  sim="$(apt-get "${aptopts[@]}" -s -qq install ${packages//,/ } libinput10 libxkbcommon0 libfontconfig1 fonts-dejavu-core)" \
    || { echo "build.sh --check-only: $arch: deploy/image/packages.txt does not resolve (apt says above)" >&2; exit 1; }
  echo "build.sh --check-only: $arch: packages.txt resolves; $(grep -c '^Inst ' <<<"$sim") packages to install"
  for f in "$here"/rootfs/usr/libexec/kiosk/kiosk-config "$here/build.sh" "$here/boot-test.sh"; do
    bash -n "$f"
  done
  exit 0
fi

[ "$(id -u)" = 0 ] || { echo "build.sh: run as root (mmdebstrap root mode, file owners in the image)" >&2; exit 1; }
for t in mmdebstrap mkfs.ext4 mkfs.vfat mcopy mmd sfdisk; do
  command -v "$t" >/dev/null || { echo "build.sh: $t missing: apt-get install -y mmdebstrap e2fsprogs dosfstools mtools fdisk" >&2; exit 1; }
done
if [ -z "$deb" ]; then
  deb="$(ls -t out/deb/disclosure-kiosk_*_"$arch".deb 2>/dev/null | head -1 || true)"
fi
[ -f "$deb" ] || { echo "build.sh: no kiosk package for $arch: build it (deploy/build-deb.sh $arch) or give --deb FILE" >&2; exit 1; }
deb="$(realpath "$deb")"
for f in "$kiosk_toml" "$root_json"; do
  [ -z "$f" ] || [ -f "$f" ] || { echo "build.sh: $f does not exist" >&2; exit 1; }
done
if [ -n "$initial" ] && [ ! -d "$initial/metadata" ]; then
  echo "build.sh: --initial-content $initial is not a published repository (no metadata/ in it); give the folder kiosk-sync publish wrote" >&2
  exit 1
fi
if [ "$arch" = arm64 ] && [ "$(dpkg --print-architecture)" != arm64 ]; then
  command -v qemu-aarch64-static >/dev/null || { echo "build.sh: arm64 on $(uname -m) needs qemu-user-static (apt-get install -y qemu-user-static binfmt-support)" >&2; exit 1; }
  if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || update-binfmts --enable qemu-aarch64 \
    || { echo "build.sh: binfmt for qemu-aarch64 is not registered (update-binfmts --enable qemu-aarch64)" >&2; exit 1; }
fi

mkdir -p "$out" "$out/cache/$arch"
out="$(realpath "$out")"
work="$(mktemp -d "${TMPDIR:-/tmp}/kiosk-image-$arch.XXXXXX")"
cleanup() { rm -rf "$work"; }
trap cleanup EXIT
rootdir="$work/root"
name="disclosure-kiosk-$arch"
img="$out/$name.img"

# Fixed ids (partition and file-system UUIDs): boot entries and fstab name
# partitions by them; the same commit gives the same ids.
disk_guid=6b696f73-6b00-4000-8000-000000000000
esp_uuid=6b696f73-6b00-4000-8000-000000000001
conf_uuid=6b696f73-6b00-4000-8000-000000000002
roota_uuid=6b696f73-6b00-4000-8000-00000000000a
rootb_uuid=6b696f73-6b00-4000-8000-00000000000b
data_uuid=6b696f73-6b00-4000-8000-000000000005
roota_fs=6b696f73-6b00-4000-8000-0000000000fa
data_fs=6b696f73-6b00-4000-8000-0000000000f5

# The initrd is made once, after every package is configured: during the
# install update-initramfs is diverted to a no-op (the kernel's postinst and
# the initramfs-tools trigger would each make it, after different sets of
# hooks). Under qemu-user (arm64 on x86) one initrd took 47 minutes on a
# loaded 2-core machine.
defer_initramfs='chroot "$1" dpkg-divert --quiet --local --rename --add /usr/sbin/update-initramfs && printf "#!/bin/sh\necho \"update-initramfs \$*: deferred to the end of the image build\"\n" >"$1/usr/sbin/update-initramfs" && chmod 0755 "$1/usr/sbin/update-initramfs"'
make_initramfs='rm -f "$1/usr/sbin/update-initramfs" && chroot "$1" dpkg-divert --quiet --local --rename --remove /usr/sbin/update-initramfs && chroot "$1" update-initramfs -c -k all'
echo "== mmdebstrap bookworm $arch (SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH)"
start=$(date +%s)
mmdebstrap --variant=apt --arch="$arch" --mode=root \
  --include="$packages" --include="$deb" \
  --hook-dir=/usr/share/mmdebstrap/hooks/file-mirror-automount \
  --skip=essential/unlink \
  --setup-hook="mkdir -p \"\$1/var/cache/apt/archives\" && find '$out/cache/$arch' -maxdepth 1 -name '*.deb' -exec cp -t \"\$1/var/cache/apt/archives/\" {} +" \
  --essential-hook='echo "Asia/Shanghai" > "$1/etc/timezone"; ln -sf /usr/share/zoneinfo/Asia/Shanghai "$1/etc/localtime"' \
  --essential-hook="$defer_initramfs" \
  --customize-hook="$make_initramfs" \
  --customize-hook="mkdir -p '$out/cache/$arch' && find \"\$1/var/cache/apt/archives\" -maxdepth 1 -name '*.deb' -exec cp -n -t '$out/cache/$arch/' {} +" \
  --customize-hook="chroot \"\$1\" dpkg-query -W -f '\${Package}\t\${Version}\t\${Architecture}\n' > '$work/packages.tsv'" \
  --customize-hook="copy-in '$here/rootfs/etc' '$here/rootfs/usr' /" \
  bookworm "$rootdir" "${sources[@]}"
echo "   root file system in $(( $(date +%s) - start )) s"

echo "== customise the root file system"
r="$rootdir"
# Configs come from kiosk.toml through kiosk-config (read-only root).
for link in etc/kiosk-sync/config.toml:kiosk-sync.toml etc/kiosk-app/config.toml:kiosk-app.toml \
  etc/default/kiosk-app:kiosk-app.default; do
  rm -f "$r/${link%%:*}"
  ln -s "/run/kiosk-config/${link#*:}" "$r/${link%%:*}"
done
mkdir -p "$r/boot/efi" "$r/boot/kiosk" "$r/srv/kiosk-data" "$r/var/lib/kiosk" "$r/var/lib/kiosk-app"
cat >"$r/etc/fstab" <<FSTAB
# The kiosk firmware's mounts (deploy/image/build.sh). The root file system
# is read-only; what changes lives in RAM (logs, /tmp) or on KIOSKDATA.
PARTUUID=$roota_uuid  /  ext4  ro,noatime  0  1
PARTUUID=$esp_uuid  /boot/efi  vfat  ro,nofail,noauto,x-systemd.automount,umask=0077  0  0
# kiosk.toml, root.json, initial-content/: read at boot, never written.
PARTUUID=$conf_uuid  /boot/kiosk  vfat  ro,nofail,nosuid,nodev,noexec,fmask=0133,dmask=0022,x-systemd.device-timeout=90s  0  2
# Content store and app state. SD cards: no atime writes, journal commits
# every 60 s (kiosk-sync makes its own files durable with fsync), remount
# read-only on errors rather than spread damage.
PARTUUID=$data_uuid  /srv/kiosk-data  ext4  noatime,commit=60,errors=remount-ro,nofail,x-systemd.device-timeout=90s  0  2
/srv/kiosk-data/kiosk      /var/lib/kiosk      none  bind,nofail,x-systemd.requires-mounts-for=/srv/kiosk-data  0  0
/srv/kiosk-data/kiosk-app  /var/lib/kiosk-app  none  bind,nofail,x-systemd.requires-mounts-for=/srv/kiosk-data  0  0
tmpfs  /tmp              tmpfs  mode=1777,nosuid,nodev,size=64M  0  0
tmpfs  /var/tmp          tmpfs  mode=1777,nosuid,nodev,size=16M  0  0
tmpfs  /var/log          tmpfs  mode=0755,nosuid,nodev,size=32M  0  0
tmpfs  /var/lib/systemd  tmpfs  mode=0755,nosuid,nodev,size=8M  0  0
tmpfs  /var/cache        tmpfs  mode=0755,nosuid,nodev,size=16M  0  0
FSTAB
echo kiosk >"$r/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tkiosk\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$r/etc/hosts"
# Empty machine-id: a fresh one in RAM at each boot (the root is read-only).
: >"$r/etc/machine-id"
rm -f "$r/var/lib/dbus/machine-id"
ln -sf ../run/systemd/resolve/stub-resolv.conf "$r/etc/resolv.conf"
systemctl --root="$r" enable kiosk-config.service kiosk-initial-content.service kiosk-sync.service \
  kiosk-app.service systemd-networkd.service systemd-resolved.service systemd-timesyncd.service >/dev/null
# The kiosk owns tty1 (kiosk-app, or kiosk-config's message); no login there.
systemctl --root="$r" mask getty@tty1.service autovt@tty1.service >/dev/null
rm -rf "$r"/var/lib/apt/lists/* "$r"/var/cache/apt/*.bin "$r"/var/log/* "$r"/tmp/* "$r"/var/tmp/*
kver="$(basename "$(ls -d "$r"/lib/modules/* | sort -V | tail -1)")"
[ -f "$r/boot/vmlinuz-$kver" ] && [ -f "$r/boot/initrd.img-$kver" ] \
  || { echo "build.sh: kernel $kver or its initrd missing in the root file system" >&2; exit 1; }
echo "   kernel $kver"

echo "== partitions"
# systemd.show_status=no: the screen shows the kiosk or kiosk-config's
# message, never boot status lines (they are in the journal).
cmdline="root=PARTUUID=$roota_uuid rootfstype=ext4 ro rootwait quiet loglevel=3 consoleblank=0 vt.global_cursor_default=0 systemd.show_status=no"
# ESP / Pi boot partition.
esp="$work/esp.img"
mkfs.vfat -F 32 -n KIOSKBOOT -i 6b696f01 --invariant -C "$esp" $((256 * 1024)) >/dev/null
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/loader ::/loader/entries
mcopy -i "$esp" "$r/usr/lib/systemd/boot/efi/$sd_boot" "::/EFI/BOOT/$efi_name"
mcopy -i "$esp" "$r/boot/vmlinuz-$kver" ::/vmlinuz
mcopy -i "$esp" "$r/boot/initrd.img-$kver" ::/initrd.img
# timeout 0 and no editor: nobody at a kiosk can change the kernel command line.
printf 'default kiosk-a.conf\ntimeout 0\neditor no\n' >"$work/loader.conf"
serial_console=""
[ "$arch" = amd64 ] && serial_console="console=ttyS0,115200n8 "
printf 'title Disclosure kiosk (root A)\nlinux /vmlinuz\ninitrd /initrd.img\noptions %s\n' \
  "${serial_console}console=tty1 $cmdline" >"$work/kiosk-a.conf"
mcopy -i "$esp" "$work/loader.conf" ::/loader/loader.conf
mcopy -i "$esp" "$work/kiosk-a.conf" ::/loader/entries/kiosk-a.conf
if [ "$arch" = arm64 ]; then
  # Raspberry Pi 4: the GPU firmware reads config.txt from this FAT
  # partition and starts the kernel itself (no UEFI on the Pi). Debian's
  # kernel carries the mainline device trees.
  mcopy -i "$esp" "$r"/usr/lib/raspi-firmware/* ::/
  for dtb in "$r/usr/lib/linux-image-$kver"/broadcom/bcm27*-rpi-*.dtb; do
    mcopy -i "$esp" "$dtb" ::/
  done
  cat >"$work/config.txt" <<PICONF
# Raspberry Pi firmware settings of the kiosk image (deploy/image/build.sh).
arm_64bit=1
enable_uart=1
upstream_kernel=1
kernel=vmlinuz
initramfs initrd.img followkernel
# KMS display (the app draws through DRM/KMS); the panel's own mode.
disable_overscan=1
hdmi_force_hotplug=1
# A portrait kiosk is turned in software (kiosk.toml [display] rotation),
# touch with it (udev), so nothing here rotates.
[pi4]
max_framebuffers=2
PICONF
  echo "console=tty1 $cmdline" >"$work/cmdline.txt"
  mcopy -o -i "$esp" "$work/config.txt" ::/config.txt
  mcopy -o -i "$esp" "$work/cmdline.txt" ::/cmdline.txt
fi

# KIOSKCONF: what the operator edits on any PC.
conf="$work/conf.img"
mkfs.vfat -F 16 -n KIOSKCONF -i 6b696f02 --invariant -C "$conf" $((64 * 1024)) >/dev/null
mcopy -i "$conf" "$here/kiosk.toml.example" ::/kiosk.toml.example
mcopy -i "$conf" "$here/README.txt" ::/README.txt
[ -z "$kiosk_toml" ] || mcopy -i "$conf" "$kiosk_toml" ::/kiosk.toml
[ -z "$root_json" ] || mcopy -i "$conf" "$root_json" ::/root.json
[ -z "$initial" ] || mcopy -s -i "$conf" "$initial" ::/initial-content

# Root A: the system, read-only at run time.
root_mib=$(( ( $(du -sm "$r" | cut -f1) * 5 / 4 / 64 + 2) * 64 ))
E2FSPROGS_FAKE_TIME="$SOURCE_DATE_EPOCH" mkfs.ext4 -q -F -L kiosk-root-a -U "$roota_fs" \
  -E "root_owner=0:0,hash_seed=$roota_fs" -d "$r" "$work/root.img" "${root_mib}M"
# KIOSKDATA: the store's folders, owned by the image's users as
# kiosk.tmpfiles has them (the boot's systemd-tmpfiles did not make
# kiosk/usage there: the bind mount is nofail, so nothing orders it first).
# Without kiosk/usage the app counts nothing, and the kiosk's report says
# the touch app is not running.
mkdir -p "$work/data/kiosk/usage" "$work/data/kiosk-app"
uid() { awk -F: -v n="$1" '$1 == n { print $3 }' "$r/etc/passwd"; }
gid() { awk -F: -v n="$1" '$1 == n { print $3 }' "$r/etc/group"; }
chown "$(uid kiosk-sync):$(gid kiosk)" "$work/data/kiosk" && chmod 0750 "$work/data/kiosk"
chown "$(uid kiosk-app):$(gid kiosk)" "$work/data/kiosk/usage" && chmod 2750 "$work/data/kiosk/usage"
chown "$(uid kiosk-app):$(gid kiosk-app)" "$work/data/kiosk-app" && chmod 0700 "$work/data/kiosk-app"
E2FSPROGS_FAKE_TIME="$SOURCE_DATE_EPOCH" mkfs.ext4 -q -F -L KIOSKDATA -U "$data_fs" \
  -E "root_owner=0:0,hash_seed=$data_fs" -d "$work/data" "$work/data.img" 512M

# GPT: 1 MiB alignment, sizes in MiB.
mib=2048 # sectors
total=$(( 1 + 256 + 64 + root_mib * 2 + 512 + 1 ))
rm -f "$img"
truncate -s "${total}M" "$img"
{
  echo "label: gpt"
  echo "label-id: $disk_guid"
  echo "first-lba: 2048"
  echo "start=$((1 * mib)), size=$((256 * mib)), type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$esp_uuid, name=KIOSKBOOT"
  echo "start=$((257 * mib)), size=$((64 * mib)), type=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7, uuid=$conf_uuid, name=KIOSKCONF"
  echo "start=$((321 * mib)), size=$((root_mib * mib)), type=$root_type, uuid=$roota_uuid, name=kiosk-root-a"
  echo "start=$(((321 + root_mib) * mib)), size=$((root_mib * mib)), type=$root_type, uuid=$rootb_uuid, name=kiosk-root-b"
  echo "start=$(((321 + root_mib * 2) * mib)), size=$((512 * mib)), type=0FC63DAF-8483-4772-8E79-3D69D8477DE4, uuid=$data_uuid, name=KIOSKDATA"
} | sfdisk -q "$img"
put() { dd if="$1" of="$img" bs=1M seek="$2" conv=notrunc,sparse status=none; }
put "$esp" 1
put "$conf" 257
put "$work/root.img" 321
put "$work/data.img" $((321 + root_mib * 2))

echo "== manifest"
deb_version="$(dpkg-deb -f "$deb" Version)"
{
  echo "# $name.img — deploy/image/build.sh"
  echo "built_from_commit	$(git rev-parse HEAD 2>/dev/null || echo unknown)"
  echo "source_date_epoch	$SOURCE_DATE_EPOCH"
  echo "suite	bookworm ($components) from $mirror, $security"
  echo "kiosk_deb	$(basename "$deb") $deb_version sha256:$(sha256sum "$deb" | cut -d' ' -f1)"
  echo "kernel	$kver"
  echo "partitions	KIOSKBOOT 256M vfat | KIOSKCONF 64M vfat | kiosk-root-a ${root_mib}M ext4 ro | kiosk-root-b ${root_mib}M empty | KIOSKDATA 512M ext4"
  echo "# package	version	architecture"
  sort "$work/packages.tsv"
} >"$out/$name.manifest"
(cd "$out" && sha256sum "$name.img" >"$name.img.sha256")
echo "wrote $img ($(du -h --apparent-size "$img" | cut -f1), $(du -h "$img" | cut -f1) on disk), $name.manifest ($(grep -c -v '^#' "$out/$name.manifest") lines) in $(( $(date +%s) - start )) s"
