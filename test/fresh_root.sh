#!/usr/bin/env bash
# Runs a command in a clean clone of this repository inside a fresh Debian 12 root that
# has only git and make (debootstrap --variant=minbase), as a newcomer's machine would:
# the proof that the deps lists in the Makefile are complete.
#
#   sudo test/fresh_root.sh 'make test'
#   sudo test/fresh_root.sh 'timeout 120 make run'
#
#   FRESH_ROOT=DIR   where the root lives (default /tmp/lfk-fresh-bookworm)
#   FRESH_KEEP=1     reuse an existing root (packages installed by an earlier run stay:
#                    faster, but no longer a fresh machine); by default it is rebuilt
#   FRESH_MIRROR=URL the Debian mirror (default: this machine's apt sources)
#
# The clone is of the committed HEAD: uncommitted changes are not in it. Prints how long
# the root took to build and how long the command took, and exits with its status.
set -uo pipefail
cmd=${1:?usage: fresh_root.sh '<command>'}
repo=$(cd "$(dirname "$0")/.." && pwd)
root=${FRESH_ROOT:-/tmp/lfk-fresh-bookworm}

if [[ $(id -u) -ne 0 ]]; then
  echo "fresh_root: needs root (debootstrap, chroot, bind mounts); run: sudo $0 '$cmd'" >&2
  exit 2
fi
bash "$repo/test/deps.sh" debootstrap || exit 2

mirror=${FRESH_MIRROR:-}
[[ -n $mirror ]] || mirror=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
[[ -n $mirror ]] || mirror=$(awk '/^deb / {print $2; exit}' /etc/apt/sources.list 2>/dev/null)
[[ -n $mirror ]] || mirror=http://deb.debian.org/debian

unmount_all() {
  local m
  for m in dev/pts dev sys proc; do mountpoint -q "$root/$m" && umount "$root/$m"; done
}
trap unmount_all EXIT

start=$SECONDS
if [[ ${FRESH_KEEP:-0} != 1 || ! -x $root/usr/bin/git ]]; then
  unmount_all
  if grep -q " $root/" /proc/mounts; then echo "fresh_root: mounts remain under $root; not removing it" >&2; exit 2; fi
  rm -rf --one-file-system "$root"
  echo "fresh_root: debootstrap --variant=minbase bookworm (git, make) from $mirror"
  if ! debootstrap --variant=minbase --include=git,make bookworm "$root" "$mirror" > /tmp/lfk-debootstrap.log 2>&1; then
    echo "fresh_root: debootstrap failed; see /tmp/lfk-debootstrap.log" >&2; exit 2
  fi
  # The same package sources as this machine (a mirror the sandbox can reach).
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
    rm -f "$root/etc/apt/sources.list"
  fi
fi
echo "fresh_root: root ready in $((SECONDS - start)) s"

rm -rf "$root/root/project"
git clone -q "$repo" "$root/root/project" || exit 2
for m in proc sys dev dev/pts; do mountpoint -q "$root/$m" || mount --bind "/$m" "$root/$m"; done
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null

start=$SECONDS
chroot "$root" /usr/bin/env -i HOME=/root TERM="${TERM:-dumb}" PATH=/usr/sbin:/usr/bin:/sbin:/bin CI="${CI:-}" \
  /bin/bash -c "cd /root/project && $cmd" < /dev/null
rc=$?
echo "fresh_root: '$cmd' exited $rc after $((SECONDS - start)) s"
exit $rc
