#!/usr/bin/env bash
# make soak: the torture (docs/reliability.md) for as long as asked, in one QEMU boot.
#   test/soak.sh [MINUTES] [SMP]        defaults 60 and 4
# Environment:
#   BUILD=dir        where the kernel was built (default build); the ISO and the log go
#                    to $BUILD/soak/
#   FAIL=spec        the fault plan (default frames:97,heap:31,stack:997,ipi:17; none: off)
#   SOAK_CMDLINE=... more kernel options (e.g. sched=locked torture.seed=N fail.seed=N)
#   MEM=size         guest memory (default 512M)
#   SOAK_NAME=name   log and ISO name (default soak-smp<SMP>-<MINUTES>m)
# Shows the torture's progress lines as they come, any FAIL or panic line, and the verdict
# last; exits 0 when QEMU exited 33 (every check held).
set -uo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-60}
SMP=${2:-4}
BUILD=${BUILD:-build}
FAIL=${FAIL:-frames:97,heap:31,stack:997,ipi:17}
MEM=${MEM:-512M}
NAME=${SOAK_NAME:-soak-smp${SMP}-${MINUTES}m}
if ! [[ $MINUTES =~ ^[0-9]+$ ]] || ((MINUTES < 1 || MINUTES > 10080)); then
  echo "soak: MINUTES must be 1..10080, not '$MINUTES'" >&2; exit 2
fi
if ! [[ $SMP =~ ^[0-9]+$ ]] || ((SMP < 1 || SMP > 64)); then
  echo "soak: SMP must be 1..64, not '$SMP'" >&2; exit 2
fi
dir=$BUILD/soak
mkdir -p "$dir"
cmdline="torture=$((MINUTES * 60))"
[[ $FAIL == none ]] || cmdline+=" fail=$FAIL"
cmdline+=" ${SOAK_CMDLINE:-}"
cmdline=${cmdline% }
log=$dir/$NAME.log
iso=$dir/$NAME.iso
isodir=$(mktemp -d)
mkdir -p "$isodir/boot/grub"
cp "$BUILD/kernel.elf" "$isodir/boot/kernel.elf"
sed "s|@CMDLINE@|$cmdline|" iso/grub.cfg.in > "$isodir/boot/grub/grub.cfg"
grub-mkrescue -o "$iso" "$isodir" > "$dir/$NAME.grub.log" 2>&1 || { cat "$dir/$NAME.grub.log"; exit 1; }
rm -rf "$isodir"

# The boot's own bound: the torture's length, plus the final checks, plus slack for a slow
# host (TCG runs every vCPU on the host's cores).
limit=$((MINUTES * 60 + 300 + MINUTES * 6))
echo "soak: $MINUTES min at -smp $SMP, -m $MEM, cmdline \"$cmdline\"; serial log $log (QEMU limit ${limit}s)"
: > "$log"
start=$SECONDS
timeout --foreground -k 10 "$limit" qemu-system-x86_64 -accel tcg -machine q35 -cpu max -smp "$SMP" -m "$MEM" \
  -display none -no-reboot -serial "file:$log" -monitor none \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 -cdrom "$iso" < /dev/null > "$dir/$NAME.stdout" 2>&1 &
qemu_pid=$!
# Progress lines as they arrive; tail ends when QEMU (its timeout wrapper) does.
tail --pid="$qemu_pid" -n +1 -F "$log" 2> /dev/null | grep --line-buffered -aE 'torture: |PANIC|panic|FAIL' |
  grep --line-buffered -av 'torture: verdict'
wait "$qemu_pid"
rc=$?
verdict=$(grep -a 'torture: verdict' "$log" | tail -1)
echo "soak: QEMU exit $rc after $((SECONDS - start)) s (33 = pass, 35 = fail, 124 = timeout); log $log"
echo "${verdict:-soak: no verdict line in $log}"
[[ $rc == 33 ]]
