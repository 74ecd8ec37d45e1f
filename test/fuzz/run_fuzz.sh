#!/usr/bin/env bash
# Coverage-guided fuzzing of the parsers of untrusted bytes (libFuzzer, clang-14, with
# ASan + UBSan). One target per parser: test/fuzz/fuzz_<target>.cpp, seeds and
# everything found so far in test/fuzz/corpus/<target>/.
#
#   run_fuzz.sh --list                       the target names
#   run_fuzz.sh --build   [TARGET...]        build build/fuzz/bin/fuzz_<target>
#   run_fuzz.sh --replay  [TARGET...]        run each corpus once (-runs=0): make test
#   run_fuzz.sh --fuzz SECONDS [TARGET...]   fuzz each target in turn, then merge what
#                                            found new coverage into its corpus
#   run_fuzz.sh --coverage [TARGET...]       line and branch coverage of each parser
#                                            source by its corpus (llvm-cov)
#   run_fuzz.sh --write-seeds                (re)write the builder-made seeds
#
# Corpus file names: 40 hex digits are libFuzzer's finds, which each --fuzz re-minimises;
# any other name is a curated seed (captured firmware tables, builder output) or a
# regression input, which is kept as is.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
OUT=$BUILD/fuzz
CXX=${FUZZ_CXX:-clang++-14}
TARGETS=(multiboot2 rsdp root_table madt fadt dsdt cmdline escape scancode)
FLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -Wall -Wextra -Werror
       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
       -DHOSTED=1 -Isrc -Isrc/core/platform/host)

sources_of() {  # the parser source each target links
  case $1 in
    multiboot2) echo src/boot/multiboot2.cpp ;;
    cmdline) echo src/boot/cmdline.cpp ;;
    escape) echo src/console/editing/escape_decoder.cpp ;;
    scancode) echo src/console/editing/scancode_decoder.cpp ;;
    *) echo src/acpi/tables.cpp ;;
  esac
}

build() {  # build <target>: only when a source or header is newer than the binary
  local target=$1 bin=$OUT/bin/fuzz_$1 src
  src=$(sources_of "$target")
  mkdir -p "$OUT/bin"
  if [[ -x $bin && -z $(find test/fuzz/fuzz_"$target".cpp test/fuzz/fuzz_check.h test/fuzz/fuzz_key.h "$src" \
                          src/boot src/acpi src/console/editing src/lib/le_bytes.h -newer "$bin" -print -quit) ]]; then
    return 0
  fi
  echo "fuzz: building fuzz_$target" >&2
  nice -n 10 "$CXX" "${FLAGS[@]}" test/fuzz/fuzz_"$target".cpp "$src" -o "$bin"
}

# libFuzzer's options per target: the cmdline target gets the option names as a
# dictionary, since guessing "smp.ap_timeout_ms" byte by byte takes long.
options_of() {
  [[ $1 == cmdline ]] && echo "-dict=test/fuzz/cmdline.dict"
  return 0
}

replay() {
  local target=$1
  build "$target"
  # -runs=0: run every corpus file once, no mutation. Any crash or broken invariant fails.
  "$OUT/bin/fuzz_$target" -runs=0 $(options_of "$target") "test/fuzz/corpus/$target"
}

is_generated() { [[ $(basename "$1") =~ ^[0-9a-f]{40}$ ]]; }

fuzz() {  # fuzz <seconds> <target>
  local seconds=$1 target=$2 corpus=test/fuzz/corpus/$2
  local work=$OUT/work/$target seeds=$OUT/merge/$target log=$OUT/logs/$target.log
  local artifacts=$OUT/artifacts/$target/
  build "$target"
  rm -rf "$work" "$seeds" && mkdir -p "$work" "$seeds" "$artifacts" "$OUT/logs"
  cp "$corpus"/* "$work"/
  # The time limit is wall-clock; on a shared machine the CPU time the fuzzer got (user +
  # sys, from the subshell's `times`) says how much fuzzing that really was.
  local report status cpu start=$SECONDS
  report=$(nice -n 19 "$OUT/bin/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 \
             -artifact_prefix="$artifacts" $(options_of "$target") "$work" > "$log" 2>&1
           echo "exit $?"; times)
  local wall=$((SECONDS - start))
  status=$(sed -n 's/^exit //p' <<< "$report")
  cpu=$(tail -1 <<< "$report" | awk '{ split($1, u, /[ms]/); split($2, s, /[ms]/);
                                       printf "%.0f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }')

  # Minimise: the curated seeds stay; of everything else (old finds and new) only what
  # adds coverage over them is merged back, under libFuzzer's content-hash names.
  for f in "$corpus"/*; do is_generated "$f" || cp "$f" "$seeds"/; done
  "$OUT/bin/fuzz_$target" -merge=1 $(options_of "$target") "$seeds" "$work" > "$OUT/logs/$target.merge.log" 2>&1
  for f in "$corpus"/*; do is_generated "$f" && rm "$f"; done
  for f in "$seeds"/*; do is_generated "$f" && cp "$f" "$corpus"/; done

  local execs edges
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  edges=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
  local line
  line="$target: ${wall}s (${cpu}s CPU), ${execs:-?} execs, ${edges:-?} edges,"
  line+=" corpus $(ls "$corpus" | wc -l) files"
  if ((status != 0)); then
    line+=", CRASH (exit $status): $(ls "$artifacts" | tr '\n' ' ')see $log"
  fi
  echo "$line" | tee -a "$OUT/summary.txt"
  return "$status"
}

# Source-based coverage of the parser file alone (libFuzzer's cov: counts the target's
# own checks too): a build with clang's profile instrumentation replays the corpus.
coverage() {
  local target=$1 dir=$OUT/coverage src
  src=$(sources_of "$target")
  mkdir -p "$dir"
  nice -n 10 "$CXX" -std=c++20 -O0 -g -fsanitize=fuzzer -fprofile-instr-generate -fcoverage-mapping \
    -DHOSTED=1 -Isrc -Isrc/core/platform/host test/fuzz/fuzz_"$target".cpp "$src" -o "$dir/fuzz_$target"
  LLVM_PROFILE_FILE=$dir/$target.profraw "$dir/fuzz_$target" -runs=0 "test/fuzz/corpus/$target" \
    > "$dir/$target.log" 2>&1
  llvm-profdata-14 merge -sparse "$dir/$target.profraw" -o "$dir/$target.profdata"
  llvm-cov-14 show "$dir/fuzz_$target" -instr-profile="$dir/$target.profdata" -show-branches=count \
    "$src" > "$dir/$target.txt"
  # Summed over the functions the target reaches (tables.cpp serves three targets);
  # to_string() is for log lines only. Rows: name, regions, miss, %, lines, miss, %,
  # branches, miss, %.
  llvm-cov-14 report "$dir/fuzz_$target" -instr-profile="$dir/$target.profdata" -show-functions "$src" |
    awk -v t="$target" -v f="$src" -v reached="$(functions_of "$target")" '
      $1 ~ reached && $1 !~ /to_string|^TOTAL$|^Name$/ && NF == 10 {
        lines += $5; lines_missed += $6; branches += $8; branches_missed += $9 }
      END { printf "%s (%s): lines %d/%d, branches %d/%d\n", t, f, lines - lines_missed, lines,
                   branches - branches_missed, branches }'
}

functions_of() {  # a regex of the (mangled) function names a target reaches
  case $1 in
    rsdp) echo 'parse_rsdp|checksum_ok|has_signature' ;;
    root_table) echo 'parse_root_table|validate_table|checksum_ok|has_signature' ;;
    fadt) echo 'parse_fadt|validate_table|checksum_ok|has_signature' ;;
    dsdt) echo 'find_s5|validate_table|checksum_ok|has_signature' ;;
    madt) echo 'parse_madt|validate_table|checksum_ok|has_signature|reset|minimum_entry_length|add_cpu|usable|cpu_from_flags|append' ;;
    *) echo '.' ;;
  esac
}

write_seeds() {
  mkdir -p "$OUT/bin"
  nice -n 10 "$CXX" -std=c++20 -O1 -Wall -Wextra -Werror -Itest/parsers test/fuzz/write_builder_seeds.cpp \
    -o "$OUT/bin/write_builder_seeds"
  "$OUT/bin/write_builder_seeds" test/fuzz/corpus
}

# Sets `selected` to the targets named (all when none), refusing unknown names.
select_targets() {
  selected=("$@")
  ((${#selected[@]} > 0)) || selected=("${TARGETS[@]}")
  for t in "${selected[@]}"; do
    [[ " ${TARGETS[*]} " == *" $t "* ]] || { echo "fuzz: unknown target '$t'" >&2; exit 2; }
  done
}

command=${1:-}
shift || true
failed=0
case $command in
  --list) printf '%s\n' "${TARGETS[@]}" ;;
  --build) select_targets "$@"; for t in "${selected[@]}"; do build "$t"; done ;;
  --replay) select_targets "$@"; for t in "${selected[@]}"; do replay "$t" || failed=1; done ;;
  --fuzz)
    seconds=${1:?--fuzz SECONDS [TARGET...]}; shift
    select_targets "$@"
    for t in "${selected[@]}"; do fuzz "$seconds" "$t" || failed=1; done ;;
  --coverage)
    select_targets "$@"
    bash test/deps.sh llvm-14
    for t in "${selected[@]}"; do coverage "$t"; done ;;
  --write-seeds) write_seeds ;;
  *) sed -n '2,18p' "$0" >&2; exit 2 ;;
esac
exit $failed
