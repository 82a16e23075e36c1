#!/usr/bin/env bash
# Proves the README's set-up on a fresh Debian 12 (bookworm): builds a clean
# root with debootstrap (mirror taken from this machine's apt sources), copies a
# clean clone of HEAD into it, and runs the README's two commands there as root
# in a chroot (/proc, /sys, /dev bound): scripts/quickstart.sh (the main job,
# ending with its table), then scripts/test.sh. Nothing is installed in the root
# by hand: what those commands need, they must install themselves.
#
#   scripts/check-fresh-machine.sh [ROOT_DIR]     (default /var/tmp/altup-fresh-root)
#
# Needs root, debootstrap (installed when missing) and the network this machine
# has (Debian mirror, npm registry). Takes about 35 minutes on 2 cores
# (docs/setup.md). Logs go to ROOT_DIR.log/; exits non-zero on the first
# failing step. The root is removed first when it exists: every run is fresh.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
root="${1:-/var/tmp/altup-fresh-root}"
logs="$root.log"

[ "$(id -u)" -eq 0 ] || { echo "check-fresh-machine: needs root (debootstrap, chroot)" >&2; exit 1; }
command -v debootstrap >/dev/null 2>&1 || {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
}

# The first bookworm mirror of this machine's apt sources (deb822 or one-line format).
mirror="$(grep -hE '^(URIs:|deb )' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null |
          grep -v security | grep -oE 'https?://[^ ]+' | head -n1 || true)"
mirror="${mirror:-http://deb.debian.org/debian}"

unmount_all() {
  for m in dev/pts dev sys proc; do
    mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m" || true
  done
}
trap unmount_all EXIT

unmount_all
rm -rf "$root" "$logs"
mkdir -p "$logs"
step() { echo "check-fresh-machine: $(date -u +%H:%M:%S) $*"; }

step "debootstrap bookworm from $mirror into $root"
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$logs/debootstrap.log" 2>&1
# The same suites as a plain Debian 12 install: updates and security too.
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
EOF
cp /etc/resolv.conf "$root/etc/resolv.conf"
# A network that intercepts TLS (as this workplace's does) needs its own CAs in
# any machine on it: carry over the ones this machine added locally. On an open
# network there are none and nothing is copied.
mkdir -p "$root/usr/local/share/ca-certificates"
extra_ca=()
if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
  extra_ca=(NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)  # npm's node reads only its own store otherwise
fi

step "clean clone of $(git rev-parse --short HEAD) into $root/root/altup-lab"
git clone -q --no-local "$repo" "$root/root/altup-lab"
git -C "$root/root/altup-lab" checkout -q "$(git rev-parse HEAD)"
# A fresh machine has git (the README's user cloned with it); minbase does not.
chroot "$root" /bin/bash -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends git ca-certificates >/dev/null && update-ca-certificates >/dev/null' \
  >"$logs/base-packages.log" 2>&1

mount -t proc proc "$root/proc"
mount --rbind /sys "$root/sys"
mount --bind /dev "$root/dev"
mount --bind /dev/pts "$root/dev/pts"

run_in_root() {  # name command...
  local name="$1"; shift
  local t0=$SECONDS
  step "$name: $*"
  if chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
       LANG=C.UTF-8 "${extra_ca[@]}" /bin/bash -c "cd /root/altup-lab && $*" >"$logs/$name.log" 2>&1; then
    step "$name passed in $((SECONDS - t0)) s (log: $logs/$name.log)"
  else
    step "$name FAILED after $((SECONDS - t0)) s; last lines of $logs/$name.log:"
    tail -n 30 "$logs/$name.log" >&2
    exit 1
  fi
}
run_in_root quickstart ./scripts/quickstart.sh
tail -n 25 "$logs/quickstart.log"
run_in_root tests ./scripts/test.sh
tail -n 3 "$logs/tests.log"
step "both README commands passed on a fresh Debian 12 root"
