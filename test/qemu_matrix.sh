#!/usr/bin/env bash
# QEMU boot matrix, sourced by test/run_all.sh (uses its `record`). Each case boots the
# test ISO (kernel command line "test=all") under TCG with a timeout, expects QEMU's exit
# status 33 (isa-debug-exit: every in-kernel test passed) and the exact bring-up summary
# "smp: N/N cpus online". Logs go to build/qemu/<case>.log.
#
# A case: name | expected online CPUs | QEMU arguments
QEMU_CASES=(
  "smp1-q35-max        |1| -machine q35 -cpu max -smp 1 -m 256M"
  "smp2-q35-max        |2| -machine q35 -cpu max -smp 2 -m 256M"
  "smp3-pc-max         |3| -machine pc -cpu max -smp 3 -m 256M"
  "smp4-q35-max        |4| -machine q35 -cpu max -smp 4 -m 256M"
  "smp8-q35-max        |8| -machine q35 -cpu max -smp 8 -m 512M"
  "smp4-pc-xapic       |4| -machine pc -cpu qemu64,-x2apic -smp 4 -m 256M"
  "smp6-holes-2x3      |6| -machine q35 -cpu max -smp 6,sockets=2,cores=3 -m 256M"
  "smp2-mem64M         |2| -machine pc -cpu qemu64,-x2apic -smp 2 -m 64M"
  "uefi-smp4-q35       |4| -machine q35 -cpu max -smp 4 -m 256M @OVMF@"
  "uefi-smp2-pc-xapic  |2| -machine pc -cpu qemu64,-x2apic -smp 2 -m 256M @OVMF@"
)
# Boots that pass a hostile command line: the kernel must warn and carry on. (More boots
# with their own command lines follow the table in qemu_matrix(): AP failure, sched=locked.)
QEMU_BADCMDLINE="test=all timeslice_us=12abc log=loud smp.max_cpus=0 bogus_option=1 x2apic=maybe"

QEMU_TIMEOUT=${QEMU_TIMEOUT:-180}
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

# run_qemu <name> <iso> <qemu args...>: one bounded boot; sets BOOT_LOG, BOOT_RC, BOOT_SECS
run_qemu() {
  local name=$1 iso=$2; shift 2
  local log=$BUILD/qemu/$name.log
  BOOT_LOG=$log
  local args=()
  for a in "$@"; do
    if [[ $a == @OVMF@ ]]; then
      args+=(-drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE")
    else
      args+=("$a")
    fi
  done
  local start=$SECONDS
  timeout --foreground -k 5 "$QEMU_TIMEOUT" qemu-system-x86_64 -accel tcg -display none \
    -no-reboot -serial "file:$log" -monitor none \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -cdrom "$iso" "${args[@]}" \
    < /dev/null > "$BUILD/qemu/$name.stdout" 2>&1
  BOOT_RC=$? BOOT_SECS=$((SECONDS - start))
}

# boot_case <name> <expected cpus> <iso> <qemu args...>; sets BOOT_LOG
boot_case() {
  local name=$1 expect=$2 iso=$3; shift 3
  run_qemu "$name" "$iso" "$@"
  local log=$BOOT_LOG rc=$BOOT_RC secs=$BOOT_SECS
  local summary
  summary=$(grep -ao 'smp: [0-9]*/[0-9]* cpus online' "$log" | head -1)
  local tests
  tests=$(grep -ao 'ktest: [0-9]* passed, [0-9]* failed' "$log" | tail -1)
  local detail="${secs}s, exit $rc, ${summary:-no smp line}, ${tests:-no ktest summary}"
  if [[ $rc == 124 || $rc == 137 ]]; then
    detail="timeout after ${QEMU_TIMEOUT}s, ${summary:-no smp line}; see $log"
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

# panic_case <name> <invariant> <iso> <qemu args...>: a boot that must end in the panic
# report naming the scheduler invariant <invariant> (SCHED_VERIFY), with the failure status.
panic_case() {
  local name=$1 invariant=$2 iso=$3; shift 3
  run_qemu "$name" "$iso" "$@"
  local report
  report=$(grep -ao "panic: sched invariant violated: $invariant .*" "$BOOT_LOG" | head -1)
  if [[ $BOOT_RC == 35 && -n $report ]]; then
    record "qemu/$name" 0 "${BOOT_SECS}s, exit 35, $report"
  else
    record "qemu/$name" 1 "expected exit 35 and 'panic: sched invariant violated: $invariant'; exit $BOOT_RC, see $BOOT_LOG"
  fi
}

qemu_matrix() {
  mkdir -p "$BUILD/qemu"
  if ! make -s kernel BUILD="$BUILD" -j"$JOBS" > "$BUILD/qemu/make.log" 2>&1; then
    record "qemu/kernel-build" 1 "see $BUILD/qemu/make.log"; tail -20 "$BUILD/qemu/make.log"; return
  fi
  if ! make_test_iso "test=all" "$BUILD/qemu/test.iso"; then
    record "qemu/iso" 1 "see $BUILD/qemu/grub-mkrescue.log"; return
  fi
  local entry name expect args
  for entry in "${QEMU_CASES[@]}"; do
    IFS='|' read -r name expect args <<< "$entry"
    name=$(echo $name)
    # shellcheck disable=SC2086
    boot_case "$name" "$expect" "$BUILD/qemu/test.iso" $args
  done

  # Hostile command line: every bad option is named in a warning and the tests still pass.
  if make_test_iso "$QEMU_BADCMDLINE" "$BUILD/qemu/badcmdline.iso"; then
    boot_case badcmdline-smp2 2 "$BUILD/qemu/badcmdline.iso" -machine q35 -cpu max -smp 2 -m 256M
    local missing=()
    for key in timeslice_us log smp.max_cpus bogus_option x2apic; do
      grep -aqE "cmdline: .*(for ${key//./\\.}( |,|\$)|\"${key//./\\.}\")" "$BOOT_LOG" || missing+=("$key")
    done
    if ((${#missing[@]})); then
      record "qemu/badcmdline-warnings" 1 "no warning naming: ${missing[*]}"
    else
      record "qemu/badcmdline-warnings" 0 "5 warnings, boot went on"
    fi
  else
    record "qemu/badcmdline-iso" 1 "see $BUILD/qemu/grub-mkrescue.log"
  fi

  # An AP that never starts (the kernel withholds the last AP's SIPI): it is named in a
  # warning, left out, and boot and the tests go on with the rest.
  if make_test_iso "test=all expect_ap_failure=on smp.ap_timeout_ms=100" "$BUILD/qemu/apfail.iso"; then
    boot_case ap-never-starts-smp4 3/4 "$BUILD/qemu/apfail.iso" -machine q35 -cpu max -smp 4 -m 256M
    if grep -aq "smp: AP with APIC ID 3 did not report within 100 ms; left out" "$BOOT_LOG"; then
      record "qemu/ap-never-starts-named" 0 "APIC ID 3 named and left out"
    else
      record "qemu/ap-never-starts-named" 1 "no warning naming APIC ID 3 in $BOOT_LOG"
    fi
  else
    record "qemu/apfail-iso" 1 "see $BUILD/qemu/grub-mkrescue.log"
  fi

  # A deliberate scheduler invariant violation (src/sched/tests/verify_break.cpp): the
  # always-on SCHED_VERIFY must stop the kernel with the panic report naming it.
  if make_test_iso "test=break_sched_verify" "$BUILD/qemu/verify-break.iso"; then
    panic_case verify-break-smp2 task_state_edge "$BUILD/qemu/verify-break.iso" -machine q35 -cpu max -smp 2 -m 256M
  else
    record "qemu/verify-break-iso" 1 "see $BUILD/qemu/grub-mkrescue.log"
  fi

  # The locked ready queues (issue 5): every kernel test again with sched=locked, and the
  # kernel must say it runs them (a sched= that is parsed but ignored fails here).
  if make_test_iso "test=all sched=locked" "$BUILD/qemu/locked.iso"; then
    local smp
    for smp in 2 4; do
      boot_case "locked-smp$smp-q35" "$smp" "$BUILD/qemu/locked.iso" -machine q35 -cpu max -smp "$smp" -m 256M
      if grep -aq "sched: locked ready queues" "$BOOT_LOG"; then
        record "qemu/locked-smp$smp-q35-runs-locked" 0 "sched: locked ready queues"
      else
        record "qemu/locked-smp$smp-q35-runs-locked" 1 "no 'sched: locked ready queues' in $BOOT_LOG"
      fi
    done
  else
    record "qemu/locked-iso" 1 "see $BUILD/qemu/grub-mkrescue.log"
  fi
}
