#!/usr/bin/env bash
# `make bench-icount`: the kernel scheduler's costs in guest instructions. Boots the
# kernel with bench=spawn,yield,wake (both ready-queue variants in one boot) under QEMU's
# -icount shift=0,sleep=off at -smp 2, twice. Under -icount QEMU runs the vCPUs one at a
# time (single-threaded TCG) and the TSC the guest reads is the instruction counter (one
# tick per instruction at shift=0; every boot checks it with a calibration loop), so the
# figures do not depend on host load, and the two boots must print the same JSON.
# Writes bench/results/kernel-icount-run<N>[-<variant>].json and kernel-icount.md.
#   BENCH_ICOUNT_RUNS (default 2), BENCH_ICOUNT_SMP (default 2), BENCH_KERNEL_TIMEOUT (600 s)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RESULTS=$ROOT/bench/results
KBUILD=build/bench-icount
RUNS=${BENCH_ICOUNT_RUNS:-2}
SMP=${BENCH_ICOUNT_SMP:-2}
TIMEOUT=${BENCH_KERNEL_TIMEOUT:-600}
CMDLINE="bench=spawn,yield,wake"
mkdir -p "$RESULTS" "$ROOT/$KBUILD"

echo "== kernel ISO with $CMDLINE in $KBUILD"
make -C "$ROOT" --no-print-directory iso BUILD="$KBUILD" CMDLINE="$CMDLINE" SCHED_OP_COSTS=1 >"$ROOT/$KBUILD/build.log" 2>&1 \
    || { tail -40 "$ROOT/$KBUILD/build.log"; echo "run_icount: kernel build failed" >&2; exit 1; }

jsons=()
for run in $(seq 1 "$RUNS"); do
    log=$RESULTS/kernel-icount-run$run.log
    echo "== boot $run: QEMU -icount shift=0,sleep=off -smp $SMP -> ${log#$ROOT/}"
    set +e
    timeout "$TIMEOUT" qemu-system-x86_64 -accel tcg -icount shift=0,sleep=off -machine q35 -cpu max -smp "$SMP" \
        -m 512M -cdrom "$ROOT/$KBUILD/kernel.iso" -serial file:"$log" -display none -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null >/dev/null 2>&1
    rc=$?
    set -e
    if [[ $rc != 33 ]]; then
        echo "run_icount: boot $run ended with status $rc (33 expected); last lines:" >&2
        tail -15 "$log" >&2 || true
        exit 1
    fi
    mapfile -t files < <(python3 "$ROOT/bench/kernel_sched.py" extract "$log" "$RESULTS/kernel-icount-run$run.json")
    jsons+=("${files[@]}")
done
python3 "$ROOT/bench/kernel_icount.py" --markdown "$RESULTS/kernel-icount.md" "${jsons[@]}"
