#!/usr/bin/env bash
# Runs the Promela models of test/model with spin (docs/verification.md).
#   --small   the bounds `make test` runs (default)
#   --large   the bounds of `make verify`
#   --tsv     print "PASS|FAIL<TAB>name<TAB>detail" lines only (test/run_all.sh reads them)
#   --only R  run only the entries whose name matches the regex R
# Environment: MODEL_TIMEOUT seconds per run (default 1200); MODEL_MEMLIM the verifier's
# memory limit in MB (default 6144); MODEL_EXHAUSTIVE=1 runs the bitstate entries as
# complete searches too (-DCOLLAPSE; at 3 CPUs and 2 wakers they outgrow 15 GB); MODEL_BITS
# the bitstate array, 2^MODEL_BITS bits (default 35, 4 GiB; MODEL_MEMLIM must cover it).
# One line per model or twin: `PASS name (states, seconds)`. A model passes when spin
# explores its whole state space without an error; a twin (a model with a known break)
# passes only when spin finds the error and writes a counterexample trail. Exits nonzero
# if anything failed. Work files and trails: $MODEL_BUILD (default build/model)/<name>/.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
MODELS=$ROOT/test/model
OUT=${MODEL_BUILD:-${BUILD:-build}/model}
TIMEOUT=${MODEL_TIMEOUT:-1200} # seconds per run
MEMLIM=${MODEL_MEMLIM:-6144}   # MB
EXHAUSTIVE=${MODEL_EXHAUSTIVE:-0}
BITS=${MODEL_BITS:-35}         # bitstate array of 2^BITS bits (35: 4 GiB)
size=small
tsv=0
only=.
while (($#)); do
  case $1 in
    --small) size=small ;;
    --large) size=large ;;
    --tsv) tsv=1 ;;
    --only) only=$2; shift ;;
    *) echo "usage: $0 [--small|--large] [--tsv] [--only REGEX]" >&2; exit 2 ;;
  esac
  shift
done

# name | model | expect (proof: no error; twin: an error) | spin -D defines | pan cc flags
SMALL=(
  "deque_3items_1thief|deque|proof|-DITEMS=3 -DTHIEVES=1|"
  "deque_2items_2thieves|deque|proof|-DITEMS=2 -DTHIEVES=2|"
  "deque_break_take_fence|deque|twin|-DITEMS=3 -DTHIEVES=1 -DBREAK_TAKE_FENCE|"
  "deque_break_steal_late_read|deque|twin|-DITEMS=3 -DTHIEVES=1 -DBREAK_STEAL_LATE_READ|"
  "epoch_2parts|epoch|proof|-DPARTS=2 -DOBJS=2 -DEMAX=5|"
  "epoch_break_free_early|epoch|twin|-DPARTS=2 -DOBJS=2 -DEMAX=5 -DBREAK_FREE_EARLY|"
  "epoch_break_stamp_pinned|epoch|twin|-DPARTS=2 -DOBJS=2 -DEMAX=5 -DBREAK_STAMP_PINNED|"
  "epoch_break_seal_no_fence|epoch|twin|-DPARTS=2 -DOBJS=2 -DEMAX=4 -DREADER_RECLAIMS -DBREAK_SEAL_NO_FENCE|"
  "epoch_sync|epoch|proof|-DPARTS=2 -DOBJS=2 -DEMAX=5 -DSYNC|"
  "epoch_break_sync_no_fence|epoch|twin|-DPARTS=2 -DOBJS=2 -DEMAX=5 -DSYNC -DBREAK_SYNC_NO_FENCE|"
  "epoch_break_sync_held_below|epoch|twin|-DPARTS=2 -DOBJS=2 -DEMAX=5 -DSYNC -DBREAK_SYNC_HELD_BELOW|"
  "epoch_asym_break_sync_no_fence|epoch|twin|-DPARTS=2 -DOBJS=2 -DEMAX=5 -DSYNC -DASYMMETRIC -DBREAK_SYNC_NO_FENCE|"
  "wakeup_lockfree_2cpu_1waker|wakeup|proof|-DNCPU=2 -DWAKERS=1|"
  "wakeup_lockfree_2cpu_2wakers|wakeup|proof|-DNCPU=2 -DWAKERS=2|"
  "wakeup_lockfree_2cpu_1waker_hotplug|wakeup|proof|-DNCPU=2 -DWAKERS=1 -DWITH_HOTPLUG|"
  "wakeup_locked_2cpu_1waker|wakeup|proof|-DNCPU=2 -DWAKERS=1 -DLOCKED|"
  "wakeup_locked_2cpu_2wakers|wakeup|proof|-DNCPU=2 -DWAKERS=2 -DLOCKED|"
  "wakeup_locked_2cpu_1waker_hotplug|wakeup|proof|-DNCPU=2 -DWAKERS=1 -DLOCKED -DWITH_HOTPLUG|"
  "wakeup_lockfree_break_idle_fence|wakeup|twin|-DNCPU=2 -DWAKERS=1 -DBREAK_IDLE_FENCE|"
  "wakeup_locked_break_idle_fence|wakeup|twin|-DNCPU=2 -DWAKERS=1 -DLOCKED -DBREAK_IDLE_FENCE|"
)
LARGE=(
  "deque_3items_2thieves|deque|proof|-DITEMS=3 -DTHIEVES=2|"
  "epoch_2parts_3objs|epoch|proof|-DPARTS=2 -DOBJS=3 -DEMAX=6|"
  "epoch_2parts_reader_reclaims|epoch|proof|-DPARTS=2 -DOBJS=2 -DEMAX=5 -DREADER_RECLAIMS|"
  "epoch_asym|epoch|proof|-DPARTS=2 -DOBJS=2 -DEMAX=5 -DASYMMETRIC|"
  "epoch_asym_sync|epoch|proof|-DPARTS=2 -DOBJS=2 -DEMAX=5 -DSYNC -DASYMMETRIC|"
  "epoch_asym_break_advance_no_fence|epoch|twin|-DPARTS=2 -DOBJS=2 -DEMAX=5 -DASYMMETRIC -DBREAK_ADVANCE_NO_FENCE|"
  "wakeup_lockfree_3cpu_1waker|wakeup|proof|-DNCPU=3 -DWAKERS=1|"
  "wakeup_lockfree_3cpu_2wakers|wakeup|proof|-DNCPU=3 -DWAKERS=2|-DBITSTATE"
  "wakeup_lockfree_3cpu_1waker_hotplug|wakeup|proof|-DNCPU=3 -DWAKERS=1 -DWITH_HOTPLUG|-DBITSTATE"
  "wakeup_locked_3cpu_1waker|wakeup|proof|-DNCPU=3 -DWAKERS=1 -DLOCKED|"
  "wakeup_locked_3cpu_2wakers|wakeup|proof|-DNCPU=3 -DWAKERS=2 -DLOCKED|-DBITSTATE"
  "wakeup_locked_3cpu_1waker_hotplug|wakeup|proof|-DNCPU=3 -DWAKERS=1 -DLOCKED -DWITH_HOTPLUG|-DBITSTATE"
  "wakeup_lockfree_3cpu_break_idle_fence|wakeup|twin|-DNCPU=3 -DWAKERS=1 -DBREAK_IDLE_FENCE|"
)

for tool in spin gcc; do
  if ! command -v $tool > /dev/null; then
    echo "run_models: $tool is missing (make deps-host installs it)" >&2
    exit 1
  fi
done

failed=0
report() { # report <ok 0|1> <name> <detail>
  local verdict=PASS
  [[ $1 == 0 ]] || { verdict=FAIL; failed=$((failed + 1)); }
  if ((tsv)); then printf '%s\t%s\t%s\n' "$verdict" "$2" "$3"
  else printf '%s %s (%s)\n' "$verdict" "$2" "$3"; fi
}

# run_one <name> <model> <proof|twin> <defines> <cc flags>
run_one() {
  local name=$1 model=$2 expect=$3 defines=$4 ccflags=$5
  ((EXHAUSTIVE)) && ccflags=${ccflags//-DBITSTATE/}
  local dir=$OUT/$name
  rm -rf "$dir" && mkdir -p "$dir"
  # spin runs the C preprocessor; #include "tso.pml" is found beside the model.
  # shellcheck disable=SC2086
  if ! (cd "$dir" && spin -a $defines "$MODELS/$model.pml") > "$dir/spin.log" 2>&1; then
    report 1 "$name" "spin -a failed, see $dir/spin.log"; return
  fi
  # Safety checks (assertions, invalid end states) with partial-order reduction; states
  # stored compressed (-DCOLLAPSE), or as bits (-DBITSTATE, large bounds only: a hash
  # collision may hide states, so the result is a search of nearly all of them).
  # -O0 for the small bounds: the verifier of wakeup.pml takes 18 s to build at -O2 and
  # runs at most a few seconds; the large bounds run for minutes, so -O2 pays there.
  local opt=-O0
  [[ $size == large ]] && opt=-O2
  local cc=(gcc "$opt" -w -DSAFETY -DMEMLIM="$MEMLIM")
  if [[ $ccflags == *BITSTATE* ]]; then cc+=(-DBITSTATE); else cc+=(-DCOLLAPSE); fi
  if ! (cd "$dir" && "${cc[@]}" -o pan pan.c) > "$dir/cc.log" 2>&1; then
    report 1 "$name" "compiling the verifier failed, see $dir/cc.log"; return
  fi
  local run=(./pan -m3000000)
  if [[ $ccflags == *BITSTATE* ]]; then run+=(-w"$BITS" -k3)
  elif [[ $size == large ]]; then run+=(-w28)
  else run+=(-w26); fi
  local start=$SECONDS
  (cd "$dir" && timeout "$TIMEOUT" nice -n 10 "${run[@]}") > "$dir/pan.log" 2>&1
  local rc=$? secs=$((SECONDS - start))
  local log=$dir/pan.log
  local errors states elapsed what
  errors=$(sed -n 's/.*errors: \([0-9][0-9]*\).*/\1/p' "$log" | tail -1)
  states=$(awk '/states, stored/ { print $1; exit }' "$log")
  elapsed=$(sed -n 's/^pan: elapsed time \([0-9.e+]*\) seconds.*/\1/p' "$log" | tail -1)
  # Bitstate: spin's hash factor (bits per state) says how near complete the search was;
  # above 100 the chance that a state was skipped is negligible (the spin manual).
  local factor
  factor=$(sed -n 's/.*hash factor: \([0-9.e+]*\).*/\1/p' "$log" | tail -1)
  local stats="${states:-?} states, ${elapsed:-$secs} s${ccflags:+, bitstate, hash factor ${factor:-?}}"
  if ((rc == 124)); then report 1 "$name" "timed out after ${TIMEOUT}s, see $log"; return; fi
  if [[ -z $errors ]]; then report 1 "$name" "no verdict from pan (exit $rc), see $log"; return; fi
  if [[ $expect == proof ]]; then
    if ((errors > 0)); then
      what=$(grep -m1 -E "pan:[0-9]+:|invalid end state" "$log")
      report 1 "$name" "$errors error(s): ${what:-see $log}; trail in $dir; $stats"
    elif grep -q "max search depth too small\|out of memory\|Search not completed" "$log"; then
      report 1 "$name" "search incomplete, see $log"
    else
      report 0 "$name" "$stats"
    fi
  else
    if ((errors > 0)) && ls "$dir"/*.trail > /dev/null 2>&1; then
      what=$(grep -m1 -E "pan:[0-9]+:" "$log" | sed 's/^pan:[0-9]*: //; s/ (at depth.*//')
      report 0 "$name" "counterexample: ${what:-error}; $stats"
    else
      report 1 "$name" "the break was not caught: spin found no error; $stats"
    fi
  fi
}

if [[ $size == small ]]; then entries=("${SMALL[@]}"); else entries=("${LARGE[@]}"); fi
for entry in "${entries[@]}"; do
  IFS='|' read -r name model expect defines ccflags <<< "$entry"
  [[ $name =~ $only ]] || continue
  run_one "$name" "$model" "$expect" "$defines" "$ccflags"
done
((failed == 0))
