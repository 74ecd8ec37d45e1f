#!/usr/bin/env bash
# Does tracing that is off cost anything on the hot paths? (issue 5, docs/tracing.md)
#
# Builds two kernels from this tree: "hooks" (the default: every trace hook compiled in,
# tracing off at run time) and "none" (SCHED_TRACE=0: the hooks compiled out), boots each
# with bench=sched at every -smp of TRACE_COST_SMP, ROUNDS times, alternating the two so
# host drift hits both alike, and prints per boot and as a median the ratios
#   yield cycles per switch   hooks / none   (above 1: the hooks cost)
#   spawn+exit tasks per s    hooks / none   (below 1: the hooks cost), per CPU count
# in two QEMU TCG modes:
#   icount    -icount shift=0: the guest's clock (and so its TSC, at 1 GHz) advances one
#             tick per guest instruction, so "cycles" are instructions executed: repeatable,
#             free of host noise, but blind to what an instruction costs on real hardware
#   realtime  plain multi-threaded TCG: host time, so host load and TCG's code layout
#             effects show up as noise of tens of per cent between boots
# Only these in-run ratios mean anything under TCG; never compare its cycles with hardware.
#   bench/trace_cost.sh [ROUNDS]   (env: TRACE_COST_SMP="1 2", TRACE_COST_MODES="icount realtime",
#                                   TRACE_COST_TIMEOUT=900)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ROUNDS=${1:-2}
SMPS=${TRACE_COST_SMP:-"1 2"}
MODES=${TRACE_COST_MODES:-"icount realtime"}
TIMEOUT=${TRACE_COST_TIMEOUT:-900}
OUT=$ROOT/build/trace-cost
mkdir -p "$OUT"

declare -A BUILD_OF=([hooks]=build/trace-cost-on [none]=build/trace-cost-off)
declare -A FLAG_OF=([hooks]=1 [none]=0)
for v in hooks none; do
  echo "== kernel with SCHED_TRACE=${FLAG_OF[$v]} in ${BUILD_OF[$v]}"
  make -s --no-print-directory iso BUILD="${BUILD_OF[$v]}" SCHED_TRACE="${FLAG_OF[$v]}" CMDLINE="bench=sched" \
    > "$OUT/build-$v.log" 2>&1 || { tail -20 "$OUT/build-$v.log"; exit 1; }
done

# The static side, which no emulator noise blurs: the size of each hooked function in both
# kernels (a hook that is off is a compare of g_trace_on and a branch to cold code).
echo "== code size of the hooked functions (bytes): hooks / none"
for fn in 'sched::schedule(' 'sched::kick_cpu(' 'sched::idle_halt(' 'sched::place(' 'sched::make_ready(' \
          'LockFreeReadyQueues::steal_round(' 'sched::spawn(' 'sched::exit(' 'on_reschedule_ipi('; do
  sizes=()
  for v in hooks none; do
    hex=$(nm -C -S "${BUILD_OF[$v]}/kernel.elf" | grep -F "$fn" | grep -v -e '\.cold' -e 'record_' | head -1 \
            | awk '{ print $2 }')
    sizes+=("${hex:+$((16#$hex))}")
  done
  printf '  %-36s %6s / %-6s\n' "$fn...)" "${sizes[0]:-?}" "${sizes[1]:-?}"
done

declare -A ACCEL_OF=([icount]="-accel tcg -icount shift=0" [realtime]="-accel tcg")
for mode in $MODES; do
for round in $(seq 1 "$ROUNDS"); do
  for smp in $SMPS; do
    for v in hooks none; do
      name=$mode-$v-smp$smp-r$round
      log=$OUT/$name.log
      echo "== $mode, round $round, -smp $smp, $v"
      set +e
      # shellcheck disable=SC2086
      timeout --foreground -k 5 "$TIMEOUT" qemu-system-x86_64 ${ACCEL_OF[$mode]} -machine q35 -cpu max -smp "$smp" -m 512M \
        -display none -no-reboot -serial "file:$log" -monitor none \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -cdrom "${BUILD_OF[$v]}/kernel.iso" < /dev/null \
        > "$OUT/$name.stdout" 2>&1
      rc=$?
      set -e
      if [[ $rc != 33 ]]; then
        echo "trace_cost: $v at -smp $smp ended with status $rc (33 expected); see $log" >&2
        exit 1
      fi
      python3 bench/kernel_sched.py extract "$log" "$OUT/$name.json"
    done
  done
done
done

for mode in $MODES; do
python3 - "$OUT" "$mode" "$ROUNDS" $SMPS <<'PY'
import json, os, statistics, sys
out, mode, rounds, smps = sys.argv[1], sys.argv[2], int(sys.argv[3]), [int(s) for s in sys.argv[4:]]

def load(v, smp, r):
    return json.load(open(os.path.join(out, f"{mode}-{v}-smp{smp}-r{r}.json")))

def per_switch(d):
    y = d["yield"]
    return y["cycles"] / y["switches"]

def tasks_per_s(d, cpus):
    row = next(x for x in d["spawn_exit"] if x["cpus"] == cpus)
    return row["tasks"] * d["tsc_hz"] / row["cycles"]

print()
print(f"[{mode}] hooks in but off (default build) / hooks compiled out (SCHED_TRACE=0), bench=sched, QEMU TCG"
      + (" -icount shift=0: cycles = guest instructions" if mode == "icount" else ", host time"))
print(f"{'boot':>8} {'round':>5} {'yield cyc/switch':>24} {'ratio':>6}   spawn+exit tasks/s per cpus (ratio)")
ratios_yield, ratios_spawn = {}, {}
for smp in smps:
    for r in range(1, rounds + 1):
        on, off = load("hooks", smp, r), load("none", smp, r)
        ry = per_switch(on) / per_switch(off)
        ratios_yield.setdefault(smp, []).append(ry)
        cols = []
        for cpus in sorted({x["cpus"] for x in on["spawn_exit"]}):
            a, b = tasks_per_s(on, cpus), tasks_per_s(off, cpus)
            ratios_spawn.setdefault((smp, cpus), []).append(a / b)
            cols.append(f"{cpus}: {a:,.0f} / {b:,.0f} ({a / b:.3f})")
        print(f"{'smp' + str(smp):>8} {r:>5} {per_switch(on):>11.0f} / {per_switch(off):<10.0f} {ry:>6.3f}   "
              + "; ".join(cols))
print()
print(f"[{mode}] median ratio over the rounds (yield: above 1 = the hooks cost; spawn+exit: below 1 = the hooks cost)")
for smp in smps:
    ys = ratios_yield[smp]
    line = f"  -smp {smp}: yield {statistics.median(ys):.3f} (range {min(ys):.3f}..{max(ys):.3f})"
    for (s, cpus), rs in sorted(ratios_spawn.items()):
        if s == smp:
            line += f"; spawn+exit at {cpus} cpus {statistics.median(rs):.3f} (range {min(rs):.3f}..{max(rs):.3f})"
    print(line)
PY
done
