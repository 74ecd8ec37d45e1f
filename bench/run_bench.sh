#!/usr/bin/env bash
# `make bench`: builds the host benchmarks (Release, -DBUILD_BENCH=ON, into build/bench), runs
# each binary with JSON output into bench/results/, prints ours/baseline ratio tables and
# renders docs/benchmarks-host.png; then boots the kernel with bench=all (both schedulers) at -smp 1, 2, 4
# and tabulates its figures; then the -icount boots (bench/run_icount.sh; BENCH_ICOUNT=0 skips
# them) and the summary table (bench/summary.py -> bench/results/summary.md). Whole run: about ten minutes on 2 cores.
#   BENCH_REPETITIONS (default 3), BENCH_MIN_TIME seconds per repetition (default 0.3),
#   BENCH_FILTER (a --benchmark_filter regex, default all), BENCH_INTERLEAVE=0 to run each
#   benchmark's repetitions back to back (default: every repetition of every benchmark of a
#   binary in random order, so load changes hit all implementations alike), BENCH_HOST=0 / BENCH_KERNEL=0
#   to skip a half, BENCH_KERNEL_SMP (default "1 2 4"), BENCH_ACCEL (default tcg),
#   BENCH_KERNEL_TIMEOUT seconds per boot (default 900), BENCH_KERNEL_CMDLINE (default bench=all)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=$ROOT/build/bench
RESULTS=$ROOT/bench/results
DOCS=$ROOT/docs
REPETITIONS=${BENCH_REPETITIONS:-3}
MIN_TIME=${BENCH_MIN_TIME:-0.3}
FILTER=${BENCH_FILTER:-.}
INTERLEAVE=${BENCH_INTERLEAVE:-1}
HOST_BENCHES=(bench_deque bench_epoch bench_forkjoin)
RUN_HOST=${BENCH_HOST:-1}               # 0: skip the host benchmarks
RUN_KERNEL=${BENCH_KERNEL:-1}           # 0: skip the kernel boots
KERNEL_SMP=${BENCH_KERNEL_SMP:-"1 2 4"} # one boot per -smp value
KERNEL_ACCEL=${BENCH_ACCEL:-tcg}        # kvm only when asked (and usable)
KERNEL_TIMEOUT=${BENCH_KERNEL_TIMEOUT:-900}
case $KERNEL_ACCEL in
    tcg) ;;
    kvm)
        # Asked for: use it only if this user can open /dev/kvm; otherwise say so and use TCG.
        if [[ ! -r /dev/kvm || ! -w /dev/kvm ]]; then
            echo "run_bench: BENCH_ACCEL=kvm but /dev/kvm is missing or not accessible; using tcg" >&2
            KERNEL_ACCEL=tcg
        fi ;;
    *)
        echo "run_bench: BENCH_ACCEL=$KERNEL_ACCEL is not tcg or kvm; using tcg" >&2
        KERNEL_ACCEL=tcg ;;
esac

mkdir -p "$RESULTS" "$DOCS" "$BUILD_DIR"

if [[ $RUN_HOST == 1 ]]; then
    echo "== configure + build (Release) in $BUILD_DIR"
    cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DBUILD_BENCH=ON >"$BUILD_DIR/configure.log" 2>&1 \
        || { cat "$BUILD_DIR/configure.log"; echo "run_bench: cmake configure failed" >&2; exit 1; }
    # Only the benchmark targets: a half-finished test elsewhere in the tree must not block them.
    cmake --build "$BUILD_DIR" -j2 --target "${HOST_BENCHES[@]}"

    echo "== machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs; $(date -u '+%Y-%m-%d %H:%M UTC'); load $(cut -d' ' -f1-3 /proc/loadavg)"
    # The crossbeam-deque baseline is built by Debian's cargo/rustc (bench/CMakeLists.txt).
    [[ -x /usr/bin/rustc ]] && echo "== rust: $(/usr/bin/rustc --version), $(/usr/bin/cargo --version 2>/dev/null)"

    json_files=()
    for bench in "${HOST_BENCHES[@]}"; do
        name=${bench#bench_}
        out=$RESULTS/$name.json
        echo "== $bench -> ${out#$ROOT/}"
        "$BUILD_DIR/bench/$bench" \
            --benchmark_filter="$FILTER" \
            --benchmark_repetitions="$REPETITIONS" \
            --benchmark_min_time="$MIN_TIME" \
            --benchmark_enable_random_interleaving="$([[ $INTERLEAVE == 1 ]] && echo true || echo false)" \
            --benchmark_display_aggregates_only=true \
            --benchmark_out="$out" --benchmark_out_format=json
        json_files+=("$out")
    done
fi

# ---------------------------------------------------------------------------------------
# Kernel benchmarks: boot the ISO with bench=all under QEMU (TCG) at each -smp of
# BENCH_KERNEL_SMP: every benchmark runs under the lock-free scheduler and then under the
# locked one, in the same boot. Keep each serial log, extract its JSON blocks into
# bench/results/kernel-sched-smp<N>-<variant>.json, print one table with the lock-free/locked
# ratios (bench/results/kernel-sched.md) and plot speedups and wake-latency histograms
# into docs/benchmarks-kernel-*.png. The ISO is built in build/bench-kernel so a normal
# build/ is left alone. BENCH_KERNEL_CMDLINE overrides the command line (bench=sched
# runs only the variant sched= picks).
# ---------------------------------------------------------------------------------------
if [[ $RUN_KERNEL == 1 ]]; then
    KBUILD=build/bench-kernel
    KCMDLINE=${BENCH_KERNEL_CMDLINE:-bench=all}
    echo "== kernel ISO with $KCMDLINE in $KBUILD"
    make -C "$ROOT" --no-print-directory iso BUILD="$KBUILD" CMDLINE="$KCMDLINE" >"$BUILD_DIR/kernel-build.log" 2>&1 \
        || { tail -40 "$BUILD_DIR/kernel-build.log"; echo "run_bench: kernel build failed" >&2; exit 1; }
    kernel_jsons=()
    for smp in $KERNEL_SMP; do
        log=$RESULTS/kernel-sched-smp$smp.log
        out=$RESULTS/kernel-sched-smp$smp.json
        echo "== kernel $KCMDLINE, QEMU -accel $KERNEL_ACCEL -smp $smp -> ${out#$ROOT/} (serial log: ${log#$ROOT/})"
        set +e
        timeout "$KERNEL_TIMEOUT" qemu-system-x86_64 -accel "$KERNEL_ACCEL" -machine q35 -cpu max -smp "$smp" -m 512M \
            -cdrom "$ROOT/$KBUILD/kernel.iso" -serial file:"$log" -display none -no-reboot \
            -device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null >/dev/null 2>&1
        rc=$?
        set -e
        # 33: every benchmark completed; 35: one could not (its line in the log says why).
        if [[ $rc != 33 ]]; then
            echo "run_bench: kernel bench at -smp $smp ended with status $rc (33 expected); last lines:" >&2
            tail -15 "$log" >&2 || true
        fi
        # bench=all prints one block per scheduler variant: kernel-sched-smp<N>-<variant>.json.
        if extracted=$(python3 "$ROOT/bench/kernel_sched.py" extract "$log" "$out"); then
            mapfile -t files <<< "$extracted"
            kernel_jsons+=("${files[@]}")
        fi
    done
    if ((${#kernel_jsons[@]})); then
        echo "== kernel scheduler figures (TSC cycles; under TCG only ratios within one boot mean anything)"
        python3 "$ROOT/bench/kernel_sched.py" table "${kernel_jsons[@]}" --markdown "$RESULTS/kernel-sched.md"
        if command -v gnuplot >/dev/null 2>&1; then
            (cd "$ROOT" && python3 bench/kernel_plots.py docs "${kernel_jsons[@]}")
        else
            echo "run_bench: warning: gnuplot not found; no kernel plots (make deps-bench installs it)" >&2
        fi
    fi
fi

# The kernel's costs in guest instructions (bench/run_icount.sh: two -icount boots that
# must agree), then the summary table of docs/benchmarks.md: those counts beside the host
# epoch figures and their baselines, dated, with the machine and the load.
if [[ $RUN_KERNEL == 1 && ${BENCH_ICOUNT:-1} == 1 ]]; then
    bash "$ROOT/bench/run_icount.sh" || echo "run_bench: the -icount boots failed or disagreed (above)" >&2
fi
summary() {
    echo "== summary (bench/results/summary.md; uptime now: $(uptime | sed 's/.*load average/load average/'))"
    python3 "$ROOT/bench/summary.py" --markdown "$RESULTS/summary.md" "$RESULTS/epoch.json" \
        "$RESULTS/kernel-icount-run1-lockfree.json" "$RESULTS/kernel-icount-run1-locked.json"
}

if [[ $RUN_HOST != 1 ]]; then
    summary
    exit 0
fi

echo "== ratios"
python3 "$ROOT/bench/compare.py" "${json_files[@]}" \
    --markdown "$RESULTS/ratios.md" --plot-data "$RESULTS/ratios.dat"

if command -v gnuplot >/dev/null 2>&1; then
    subtitle="$(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs, $(date -u '+%Y-%m-%d')"
    gnuplot -e "datafile='$RESULTS/ratios.dat'; outfile='$DOCS/benchmarks-host.png'; subtitle='$subtitle'" \
        "$ROOT/bench/plot.gp"
    echo "== plot: docs/benchmarks-host.png"
else
    echo "run_bench: warning: gnuplot not found; no plot (make deps-bench installs it)" >&2
fi

summary
