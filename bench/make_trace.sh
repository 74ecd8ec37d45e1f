#!/usr/bin/env bash
# `make trace`: the scheduler timeline end to end (docs/tracing.md). Boots the kernel with
# trace=on and the boot demo (a fork-join fib over every CPU) under QEMU TCG, saves the
# serial log, and converts the dump into Perfetto JSON and a PNG timeline.
#   make_trace.sh [BUILD dir] [CPUs] [timeout seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SMP=${2:-4}
TIMEOUT=${3:-600}
OUT=$BUILD/trace
mkdir -p "$OUT"

# The ISO from build/kernel.elf with its own grub.cfg, so the default ISO stays as it is.
iso_dir=$(mktemp -d)
trap 'rm -rf "$iso_dir"' EXIT
mkdir -p "$iso_dir/boot/grub"
cp "$BUILD/kernel.elf" "$iso_dir/boot/kernel.elf"
sed 's|@CMDLINE@|trace=on|' iso/grub.cfg.in > "$iso_dir/boot/grub/grub.cfg"
grub-mkrescue -o "$OUT/kernel.iso" "$iso_dir" > "$OUT/grub-mkrescue.log" 2>&1 \
  || { cat "$OUT/grub-mkrescue.log"; exit 1; }

echo "trace: booting trace=on (fork-join demo) at -smp $SMP under TCG, timeout ${TIMEOUT}s"
start=$SECONDS
set +e
timeout --foreground -k 5 "$TIMEOUT" qemu-system-x86_64 -accel tcg -machine q35 -cpu max -smp "$SMP" -m 512M \
  -display none -no-reboot -serial "file:$OUT/serial.log" -monitor none \
  -device isa-debug-exit,iobase=0xf4,iosize=0x04 -cdrom "$OUT/kernel.iso" < /dev/null > "$OUT/qemu.stdout" 2>&1
rc=$?
set -e
# isa-debug-exit: 33 is exit_qemu(true), which the kernel calls after the dump.
if [[ $rc != 33 ]]; then
  echo "trace: QEMU ended with status $rc after $((SECONDS - start))s (expected 33); see $OUT/serial.log" >&2
  grep -a -m5 -E 'PANIC|panic|WARN' "$OUT/serial.log" >&2 || true
  exit 1
fi
grep -a -m1 'demo: fork-join' "$OUT/serial.log" | sed 's/^/trace: /' || true
echo "trace: boot took $((SECONDS - start))s"

python3 bench/trace2perfetto.py "$OUT/serial.log" --json "$OUT/trace.json" --png "$OUT/timeline.png" \
  --title "lfkernel trace=on: fork-join fib demo, -smp $SMP, QEMU TCG"
# The JSON must load and hold what the timeline needs: a track per CPU and slices.
python3 - "$OUT/trace.json" "$SMP" <<'PY'
import json, sys
events = json.load(open(sys.argv[1]))["traceEvents"]
tracks = {e["args"]["name"] for e in events if e.get("name") == "thread_name"}
slices = sum(1 for e in events if e["ph"] == "X")
want = {f"cpu {c}" for c in range(int(sys.argv[2]))}
if tracks != want or slices == 0:
    sys.exit(f"trace: {sys.argv[1]}: tracks {sorted(tracks)}, {slices} slices; expected {sorted(want)} and slices")
print(f"trace: JSON ok: {len(events)} events, {slices} slices, tracks {', '.join(sorted(tracks))}")
PY
cat <<EOF

trace: serial log   $OUT/serial.log
trace: Perfetto     $OUT/trace.json
         open https://ui.perfetto.dev -> "Open trace file" -> that file (or chrome://tracing -> Load)
trace: timeline     $OUT/timeline.png
EOF
