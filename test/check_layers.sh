#!/usr/bin/env bash
# Layering check (docs/architecture.md, "Layers"). Reads every `#include "dir/..."` under
# src/ and fails when
#   (a) a portable folder includes kernel code: src/lib, src/core, src/workloads and
#       src/sched/{model,queues,policy,sync,trace} may include only each other and the
#       seam headers that the include path picks (core_platform.h, sched_platform.h);
#   (b) a lower layer includes a higher one, unless docs/architecture.md names that edge
#       as "`src/<file>` -> `<header>`" with its justification.
# Layers, bottom to top:
#   lib < core = workloads < arch < mm < acpi < smp < drivers < sched < kbench = ktest = console = torture < boot
# In-kernel tests (src/*/tests/) are ktest's; the kernel side of a seam
# (src/*/platform/kernel/) is kernel glue, ranked with sched, the only layer that
# instantiates the portable code in the kernel.
# Prints each violation and the count of upward edges; exit status 0 when nothing fails.
set -uo pipefail
cd "$(dirname "$0")/.."
DOC=docs/architecture.md

LAYERS=(lib core arch mm acpi smp drivers sched ktest boot)
# rank <path below src/>: the layer index, or nothing for a path outside the map
rank() {
  case $1 in
    */tests/*) echo 8 ;;
    */platform/kernel/*) echo 7 ;;
    lib/*) echo 0 ;;
    core/* | workloads/*) echo 1 ;;
    arch/*) echo 2 ;;
    mm/*) echo 3 ;;
    acpi/*) echo 4 ;;
    smp/*) echo 5 ;;
    drivers/*) echo 6 ;;
    sched/*) echo 7 ;;
    kbench/* | ktest/* | console/* | torture/*) echo 8 ;;
    boot/*) echo 9 ;;
  esac
}
layer_name() {  # the folder for kbench/workloads, else the layer
  case $1 in kbench/* | workloads/* | console/* | torture/*) echo "${1%%/*}" ;; */tests/*) echo ktest ;; *) echo "${LAYERS[$(rank "$1")]}" ;; esac
}
portable() {
  case $1 in
    */platform/kernel/*) return 1 ;;
    lib/* | core/* | workloads/* | console/editing/* | sched/model/* | sched/queues/* | sched/policy/* | sched/sync/* | sched/trace/*) return 0 ;;
  esac
  return 1
}
kernel_only() {
  case $1 in
    arch/* | mm/* | boot/* | drivers/* | smp/* | acpi/* | ktest/* | sched/kernel/* | sched/scheduler.h | kbench/* | torture/*) return 0 ;;
  esac
  return 1
}

portable_bad=0
upward=0
unjustified=0
while IFS= read -r hit; do
  file=${hit%%:*}
  file=${file#src/}
  target=${hit#*\"}
  target=${target%%\"*}
  [[ $target == */* ]] || continue  # a seam header, chosen by the include path
  to=$(rank "$target")
  [[ -n $to ]] || continue
  from=$(rank "$file")
  if portable "$file" && kernel_only "$target"; then
    echo "portable: src/$file includes $target"
    portable_bad=$((portable_bad + 1))
  fi
  if ((to > from)); then
    upward=$((upward + 1))
    edge="\`src/$file\` -> \`$target\`"
    if grep -qF -- "$edge" "$DOC" 2>/dev/null; then
      echo "upward (justified in $DOC): src/$file -> $target ($(layer_name "$file") -> $(layer_name "$target"))"
    else
      echo "upward: src/$file -> $target ($(layer_name "$file") -> $(layer_name "$target"))"
      unjustified=$((unjustified + 1))
    fi
  fi
done < <(grep -rHo '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[^"]*"' src --include='*.h' --include='*.cpp' | sort)

echo "layers: $upward upward include edges ($unjustified not justified), $portable_bad portable-folder violations"
((portable_bad == 0 && unjustified == 0))
