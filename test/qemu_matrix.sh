#!/usr/bin/env bash
# QEMU boot matrix, sourced by test/run_all.sh (uses its `record`). Each case boots the
# kernel from `make kernel` in an ISO whose grub.cfg carries the case's command line, under
# TCG with a timeout, expects QEMU's exit status 33 (isa-debug-exit: every in-kernel test
# passed) and the exact bring-up summary "smp: N/N cpus online" (or "smp: N/M" when the
# expected count says so). Then the case's own check, if it has one, is one more result.
# Logs go to build/qemu/<case>.log.
#
# Environment:
#   QEMU_ONLY=regex   run only the cases whose names match (bash =~), e.g.
#                     QEMU_ONLY='^(smp2-q35-max|badcmdline-smp2)$' make qemu-tests
#   QEMU_JOBS=n       boots at once (default 2)
#   QEMU_TIMEOUT=s    per-boot limit in seconds for up to 8 CPUs (default 420); a boot
#                     with more CPUs gets it scaled by CPUs/8 (TCG runs every vCPU on
#                     the host's cores). A last resort: a test that stops making progress
#                     is cancelled by the kernel's own watchdog long before.
#   OVMF_CODE=path    UEFI firmware for the @OVMF@ cases
#
# A case: name | expected online CPUs | kernel command line | QEMU arguments | check
#   expected CPUs: N (all N online) or N/M (N of M online); or panic:<invariant>, a boot
#                  that must end in the panic report naming that scheduler invariant
#   QEMU arguments: split on spaces; @OVMF@ stands for the UEFI firmware drive
#   check (optional): <result name>=grep:<pattern>  the pattern (grep basic regex) must
#                                                   appear in the serial log
#                     <result name>=fn:<function>   run <function> <log>; it prints one
#                                                   detail line and returns 0 for a pass
QEMU_CASES=(
  # First: the longest boot, so the others run beside it. Its 32 vCPU threads share the
  # 2 host cores, so every test's guest time costs 16x the host time it does at -smp 2:
  # the fairness window (80 s here) and the lockup detector's tests (60 s), which wait
  # for ticks and timeouts rather than exercise more CPUs, are left to the boots at
  # -smp 1-8; every other test runs (smp32-left-out checks the list).
  "smp32-q35-max        |32 |test=all,-sched_fair,-watchdog |-machine q35 -cpu max -smp 32 -m 1G |smp32-left-out=fn:check_smp32_left_out"
  "smp1-q35-max         |1  |test=all |-machine q35 -cpu max -smp 1 -m 256M |"
  "smp2-q35-max         |2  |test=all |-machine q35 -cpu max -smp 2 -m 256M |"
  "smp3-pc-max          |3  |test=all |-machine pc -cpu max -smp 3 -m 256M |"
  "smp4-q35-max         |4  |test=all |-machine q35 -cpu max -smp 4 -m 256M |"
  "smp8-q35-max         |8  |test=all |-machine q35 -cpu max -smp 8 -m 512M |"
  "smp4-pc-xapic        |4  |test=all |-machine pc -cpu qemu64,-x2apic -smp 4 -m 256M |"
  "smp6-holes-2x3       |6  |test=all |-machine q35 -cpu max -smp 6,sockets=2,cores=3 -m 256M |"
  "smp2-mem64M          |2  |test=all |-machine pc -cpu qemu64,-x2apic -smp 2 -m 64M |"
  "uefi-smp4-q35        |4  |test=all |-machine q35 -cpu max -smp 4 -m 256M @OVMF@ |"
  "uefi-smp2-pc-xapic   |2  |test=all |-machine pc -cpu qemu64,-x2apic -smp 2 -m 256M @OVMF@ |"
  # What VirtualBox gives the kernel by default (docs/virtualbox.md): a PIIX chipset, no
  # HPET, a CPU without CPUID leaf 0x15 (the TSC is calibrated with PIT channel 2).
  "vboxlike-smp2-pc     |2  |test=all |-machine pc,hpet=off -cpu qemu64 -smp 2 -m 256M |vboxlike-pit-calibration=grep:timer: TSC .*(PIT channel 2"
  # A hostile command line: every bad option is named in a warning and the tests still pass.
  "badcmdline-smp2      |2  |test=all timeslice_us=12abc log=loud smp.max_cpus=0 bogus_option=1 x2apic=maybe |-machine q35 -cpu max -smp 2 -m 256M |badcmdline-warnings=fn:check_badcmdline_warnings"
  # An AP that never starts (the kernel withholds the last AP's SIPI): it is named in a
  # warning, left out, and boot and the tests go on with the rest.
  "ap-never-starts-smp4 |3/4|test=all expect_ap_failure=on smp.ap_timeout_ms=100 |-machine q35 -cpu max -smp 4 -m 256M |ap-never-starts-named=grep:smp: AP with APIC ID 3 did not report within 100 ms; left out"
  # The locked ready queues (issue 5): every kernel test again with sched=locked, and the
  # kernel must say it runs them (a sched= that is parsed but ignored fails here).
  "locked-smp2-q35      |2  |test=all sched=locked |-machine q35 -cpu max -smp 2 -m 256M |locked-smp2-q35-runs-locked=grep:sched: locked ready queues"
  "locked-smp4-q35      |4  |test=all sched=locked |-machine q35 -cpu max -smp 4 -m 256M |locked-smp4-q35-runs-locked=grep:sched: locked ready queues"
  # The lockup detector switched off (docs/smp.md, "Lockup detector"): its tests must see it
  # off and skip, and a plain test still runs (a boot where every test skips is a failure).
  "watchdog-off-smp2    |2  |test=watchdog,sched_spawn_join watchdog=off |-machine q35 -cpu max -smp 2 -m 256M |watchdog-off-seen=grep:skip watchdog_hard_lockup_is_reported_with_an_nmi: the lockup detector is off"
  # The torture (issue 14, docs/reliability.md): 60 s of everything at once, with fault
  # injection at -smp 4 and under the locked ready queues at -smp 2; it must end with PASS.
  "torture-smp4-faults  |4  |torture=60 fail=frames:97,heap:31,stack:997,ipi:17 |-machine q35 -cpu max -smp 4 -m 256M |torture-smp4-faults-verdict=grep:torture: verdict PASS"
  "torture-smp2-locked  |2  |torture=60 sched=locked |-machine q35 -cpu max -smp 2 -m 256M |torture-smp2-locked-verdict=grep:torture: verdict PASS"
  # A deliberate scheduler invariant violation (src/sched/tests/verify_break.cpp): the
  # always-on SCHED_VERIFY must stop the kernel with the panic report naming it.
  "verify-break-smp2    |panic:task_state_edge |test=break_sched_verify |-machine q35 -cpu max -smp 2 -m 256M |"
)

QEMU_TIMEOUT=${QEMU_TIMEOUT:-420}
OVMF_CODE=${OVMF_CODE:-/usr/share/OVMF/OVMF_CODE.fd}

# make_test_iso <cmdline> <iso path>: the kernel from `make kernel` with another grub.cfg.
make_test_iso() {
  local cmdline=$1 iso=$2 dir
  dir=$(mktemp -d)
  mkdir -p "$dir/boot/grub"
  cp "$BUILD/kernel.elf" "$dir/boot/kernel.elf"
  sed "s|@CMDLINE@|$cmdline|" iso/grub.cfg.in > "$dir/boot/grub/grub.cfg"
  grub-mkrescue -o "$iso" "$dir" > "$BUILD/qemu/grub-mkrescue.log" 2>&1
  local rc=$?
  rm -rf "$dir"
  return $rc
}

# run_qemu <name> <iso> <qemu args...>: one boot under the timeout; sets BOOT_LOG,
# BOOT_RC, BOOT_SECS and BOOT_LIMIT. A boot with more than 8 CPUs gets QEMU_TIMEOUT
# scaled by CPUs/8 (TCG runs every vCPU on the host's cores); a last resort, since the
# kernel's progress watchdog cancels a stuck test long before.
run_qemu() {
  local name=$1 iso=$2; shift 2
  BOOT_LOG=$BUILD/qemu/$name.log
  local args=() cpus=1 prev=
  for a in "$@"; do
    if [[ $a == @OVMF@ ]]; then
      args+=(-drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE")
    else
      args+=("$a")
    fi
    [[ $prev == -smp ]] && cpus=${a%%,*}
    prev=$a
  done
  BOOT_LIMIT=$QEMU_TIMEOUT
  ((cpus > 8)) && BOOT_LIMIT=$((QEMU_TIMEOUT * cpus / 8))
  local start=$SECONDS
  timeout --foreground -k 5 "$BOOT_LIMIT" qemu-system-x86_64 -accel tcg -display none \
    -no-reboot -serial "file:$BOOT_LOG" -monitor none \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -cdrom "$iso" "${args[@]}" \
    < /dev/null > "$BUILD/qemu/$name.stdout" 2>&1
  BOOT_RC=$? BOOT_SECS=$((SECONDS - start))
  echo "$BOOT_RC $BOOT_SECS $BOOT_LIMIT" > "$BUILD/qemu/$name.result"
}

# load_boot <name>: the BOOT_* values of a boot that ran (in the background) before.
load_boot() {
  BOOT_LOG=$BUILD/qemu/$1.log
  read -r BOOT_RC BOOT_SECS BOOT_LIMIT < "$BUILD/qemu/$1.result" || { BOOT_RC=255 BOOT_SECS=0 BOOT_LIMIT=0; }
}

# boot_case <name> <expected cpus>: the verdict on a boot that ran: exit 33 and the smp
# summary.
boot_case() {
  local name=$1 expect=$2
  load_boot "$name"
  local log=$BOOT_LOG rc=$BOOT_RC secs=$BOOT_SECS
  local summary
  summary=$(grep -ao 'smp: [0-9]*/[0-9]* cpus online' "$log" | head -1)
  local tests
  tests=$(grep -ao 'ktest: [0-9]* passed, [0-9]* failed' "$log" | tail -1)
  local detail="${secs}s, exit $rc, ${summary:-no smp line}, ${tests:-no ktest summary}"
  if [[ $rc == 124 || $rc == 137 ]]; then
    detail="timeout after ${BOOT_LIMIT}s, ${summary:-no smp line}; see $log"
    record "qemu/$name" 1 "$detail"; return
  fi
  if [[ $rc != 33 ]]; then
    record "qemu/$name" 1 "$detail; see $log"; grep -a -m5 -E 'FAIL|PANIC|panic' "$log"; return
  fi
  [[ $expect == */* ]] || expect="$expect/$expect"
  if [[ $summary != "smp: $expect cpus online" ]]; then
    record "qemu/$name" 1 "expected smp: $expect cpus online; $detail"; return
  fi
  record "qemu/$name" 0 "$detail"
}

# panic_case <name> <invariant>: the verdict on a boot that must have ended in the panic
# report naming the scheduler invariant <invariant> (SCHED_VERIFY), with the failure status.
panic_case() {
  local name=$1 invariant=$2
  load_boot "$name"
  local report
  report=$(grep -ao "panic: sched invariant violated: $invariant .*" "$BOOT_LOG" | head -1)
  if [[ $BOOT_RC == 35 && -n $report ]]; then
    record "qemu/$name" 0 "${BOOT_SECS}s, exit 35, $report"
  else
    record "qemu/$name" 1 "expected exit 35 and 'panic: sched invariant violated: $invariant'; exit $BOOT_RC, see $BOOT_LOG"
  fi
}

# Check of badcmdline-smp2: each bad option is named in a "cmdline:" warning.
check_badcmdline_warnings() {
  local log=$1 key missing=()
  for key in timeslice_us log smp.max_cpus bogus_option x2apic; do
    grep -aqE "cmdline: .*(for ${key//./\\.}( |,|\$)|\"${key//./\\.}\")" "$log" || missing+=("$key")
  done
  if ((${#missing[@]})); then
    echo "no warning naming: ${missing[*]}"; return 1
  fi
  echo "5 warnings, boot went on"
}

# The -smp 32 boot's filter left out exactly what it names: no sched_fair or watchdog_
# test ran, and the tests around them in definition order did.
check_smp32_left_out() {
  local log=$1 ran
  if grep -aqE '^(ok|FAIL|skip) (sched_fair|watchdog_)' "$log"; then
    echo "a left-out test ran: $(grep -aE '^(ok|FAIL|skip) (sched_fair|watchdog_)' "$log" | head -1)"; return 1
  fi
  for ran in sched_wake_idle_cpus_take_only_backstop_ticks sched_hotplug_refuses_the_bootstrap_cpu; do
    grep -aqE "^ok $ran"$'\r?$' "$log" || { echo "$ran did not pass"; return 1; }
  done
  echo "sched_fair* and watchdog_* left out, $(grep -ac '^ok ' "$log") tests passed"
}

# run_case_check <check spec> <log>: records the check's own result.
run_case_check() {
  local spec=$1 log=$2
  local check_name=${spec%%=*} how=${spec#*=}
  local kind=${how%%:*} arg=${how#*:}
  local detail
  case $kind in
    grep)
      if grep -aq -- "$arg" "$log"; then
        record "qemu/$check_name" 0 "$arg"
      else
        record "qemu/$check_name" 1 "no '$arg' in $log"
      fi ;;
    fn)
      if detail=$("$arg" "$log"); then
        record "qemu/$check_name" 0 "$detail"
      else
        record "qemu/$check_name" 1 "$detail"
      fi ;;
    *) record "qemu/$check_name" 1 "unknown check kind '$kind' in the case table" ;;
  esac
}

trim() { local s=$1; s=${s#"${s%%[![:space:]]*}"}; printf '%s' "${s%"${s##*[![:space:]]}"}"; }

qemu_matrix() {
  mkdir -p "$BUILD/qemu"
  if ! make -s kernel BUILD="$BUILD" -j"$JOBS" > "$BUILD/qemu/make.log" 2>&1; then
    record "qemu/kernel-build" 1 "see $BUILD/qemu/make.log"; tail -20 "$BUILD/qemu/make.log"; return
  fi
  # One ISO per distinct command line. The boots run QEMU_JOBS at a time (default 2: a
  # boot spends much of its time in guest waits, halted), and the verdicts follow in the
  # table's order once every boot has ended.
  local -A iso_for=()
  local entry name expect cmdline args check iso ran=0 cases=()
  for entry in "${QEMU_CASES[@]}"; do
    IFS='|' read -r name expect cmdline args check <<< "$entry"
    name=$(trim "$name"); cmdline=$(trim "$cmdline")
    if [[ -n ${QEMU_ONLY:-} && ! $name =~ $QEMU_ONLY ]]; then continue; fi
    ran=$((ran + 1))
    rm -f "$BUILD/qemu/$name.result"
    iso=${iso_for[$cmdline]:-}
    if [[ -z $iso ]]; then
      iso=$BUILD/qemu/$name.iso
      if ! make_test_iso "$cmdline" "$iso"; then
        record "qemu/$name" 1 "no ISO for \"$cmdline\"; see $BUILD/qemu/grub-mkrescue.log"; continue
      fi
      iso_for[$cmdline]=$iso
    fi
    while (($(jobs -rp | wc -l) >= ${QEMU_JOBS:-2})); do wait -n; done
    # shellcheck disable=SC2086  # the QEMU arguments are words
    run_qemu "$name" "$iso" $args &
    cases+=("$entry")
  done
  wait
  for entry in "${cases[@]}"; do
    IFS='|' read -r name expect cmdline args check <<< "$entry"
    name=$(trim "$name"); expect=$(trim "$expect"); check=$(trim "$check")
    if [[ $expect == panic:* ]]; then
      panic_case "$name" "${expect#panic:}"
    else
      boot_case "$name" "$expect"
    fi
    [[ -z $check ]] || run_case_check "$check" "$BOOT_LOG"
  done
  if ((ran == 0)); then
    record "qemu/only" 1 "QEMU_ONLY='${QEMU_ONLY:-}' matches no case"
  fi
}
