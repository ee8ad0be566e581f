#!/usr/bin/env bash
# Fails unless each .deb holds exactly the files deploy/README.md says it
# installs (the list between the "deb-contents" markers), with the modes
# and owners listed there.
#   check-deb-contents.sh out/deb/disclosure-kiosk_*_arm64.deb ...
set -euo pipefail
cd "$(dirname "$0")/../.."

readme=deploy/README.md
expected="$(sed -n '/<!-- deb-contents:begin -->/,/<!-- deb-contents:end -->/p' "$readme" \
  | grep -E '^[-l]r' | awk '{print $1, $2, $3}' | sort)"
[ -n "$expected" ] || { echo "check-deb-contents: no file list between the deb-contents markers in $readme" >&2; exit 1; }

status=0
for deb in "$@"; do
  # "-rwxr-xr-x root/root 123 2025-01-01 00:00 ./usr/bin/kiosk-sync" -> "-rwxr-xr-x root/root /usr/bin/kiosk-sync"
  actual="$(dpkg-deb --contents "$deb" | grep -v '^d' | awk '{sub(/^\./, "", $6); print $1, $2, $6}' | sort)"
  if [ "$actual" = "$expected" ]; then
    echo "$deb: $(wc -l <<<"$actual") files, as listed in $readme"
  else
    echo "$deb does not hold what $readme lists (< README, > package):" >&2
    diff <(echo "$expected") <(echo "$actual") >&2 || true
    status=1
  fi
done
exit $status
