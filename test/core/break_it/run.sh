#!/bin/bash
# Break-it check: applies one deliberate bug (breaks.py) to a scratch copy of src/core and
# runs the core tests against it, to show which tests catch it. Never touches the tree.
#   test/core/break_it/run.sh <break> [plain|thread|address|delay] [ctest regex]
#   test/core/break_it/run.sh --list
# delay = the host-delay build (-DCORE_DELAY=ON). REPEAT=n runs the tests n times on one
# build and prints one result line per run (CTest's verdicts, failing tests listed).
# Results from the last full pass are in docs/core.md ("Break-it results").
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
if [[ ${1:-} == --list || $# -lt 1 ]]; then
    python3 -c "import sys; sys.argv=['x']; exec(open('$here/breaks.py').read().split('import sys')[0]); print('\n'.join(BREAKS))"
    exit 0
fi
name=$1; mode=${2:-plain}; regex=${3:-core}
tree=$(mktemp -d /tmp/core-break-XXXXXX)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree/test" "$tree/src"
cp "$repo/CMakeLists.txt" "$tree/"
cp "$repo/test/CMakeLists.txt" "$tree/test/"
cp -r "$repo/test/core" "$tree/test/"
cp -r "$repo/src/core" "$tree/src/"
python3 "$here/breaks.py" "$name" "$tree" || exit 2
case $mode in
  plain) san="" ;;
  delay) san="-DCORE_DELAY=ON" ;;
  *) san="-DSANITIZE=$mode" ;;
esac
cmake -S "$tree" -B "$tree/build" $san >/dev/null 2>&1 || { echo "$name $mode: cmake failed"; exit 2; }
cmake --build "$tree/build" -j2 --target core_tests >"$tree/build.log" 2>&1 || { echo "$name $mode: build failed"; tail -5 "$tree/build.log"; exit 2; }
for ((run = 1; run <= ${REPEAT:-1}; run++)); do
    (cd "$tree/build" && timeout 900 ctest -R "$regex" -E break_it_patterns_apply --timeout 120 >"$tree/ctest.log" 2>&1)
    echo "=== $name ($mode)${REPEAT:+ run $run}: $(grep -E 'tests passed' "$tree/ctest.log")"
    grep -E '\*\*\*Failed|\*\*\*Timeout|Exception' "$tree/ctest.log" | sed -E 's/.*Test +#[0-9]+: //'
done
