#!/usr/bin/env bash
# `make bench`: builds the host benchmarks (Release, -DBUILD_BENCH=ON, into build/bench), runs
# each binary with JSON output into bench/results/, prints ours/baseline ratio tables and
# renders docs/benchmarks-host.png. Whole run: a few minutes on 2 cores.
#   BENCH_REPETITIONS (default 3), BENCH_MIN_TIME seconds per repetition (default 0.3),
#   BENCH_FILTER (a --benchmark_filter regex, default all)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=$ROOT/build/bench
RESULTS=$ROOT/bench/results
DOCS=$ROOT/docs
REPETITIONS=${BENCH_REPETITIONS:-3}
MIN_TIME=${BENCH_MIN_TIME:-0.3}
FILTER=${BENCH_FILTER:-.}
HOST_BENCHES=(bench_deque bench_epoch bench_forkjoin)

mkdir -p "$RESULTS" "$DOCS" "$BUILD_DIR"

echo "== configure + build (Release) in $BUILD_DIR"
cmake -S "$ROOT" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DBUILD_BENCH=ON >"$BUILD_DIR/configure.log" 2>&1 \
    || { cat "$BUILD_DIR/configure.log"; echo "run_bench: cmake configure failed" >&2; exit 1; }
# Only the benchmark targets: a half-finished test elsewhere in the tree must not block them.
cmake --build "$BUILD_DIR" -j2 --target "${HOST_BENCHES[@]}"

echo "== machine: $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs; $(date -u '+%Y-%m-%d %H:%M UTC')"

json_files=()
for bench in "${HOST_BENCHES[@]}"; do
    name=${bench#bench_}
    out=$RESULTS/$name.json
    echo "== $bench -> ${out#$ROOT/}"
    "$BUILD_DIR/bench/$bench" \
        --benchmark_filter="$FILTER" \
        --benchmark_repetitions="$REPETITIONS" \
        --benchmark_min_time="$MIN_TIME" \
        --benchmark_display_aggregates_only=true \
        --benchmark_out="$out" --benchmark_out_format=json
    json_files+=("$out")
done

# ---------------------------------------------------------------------------------------
# Issue 5: in-kernel benchmarks under QEMU go here. Boot the ISO with the benchmark command
# line for the lock-free and the locked scheduler, convert its serial output to the same
# Google Benchmark JSON shape (BM_<what>/<ours|locked>/...) into bench/results/kernel.json,
# and append that file to json_files so the tables and the plot include it.
# ---------------------------------------------------------------------------------------

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
