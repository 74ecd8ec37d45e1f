#!/usr/bin/env bash
# Captures real firmware inputs for the fuzz seed corpora (test/fuzz/corpus/): the ACPI
# tables of QEMU (SeaBIOS, -machine pc and q35), OVMF (UEFI) and Bochs (its own BIOS),
# and the multiboot2 info block GRUB hands the kernel under QEMU.
#
#   bash test/fuzz/capture_tables.sh [OUT_DIR]     (default build/fuzz/captured)
#
# Every table lands in OUT_DIR; the ones a fuzz target reads are also copied into its
# corpus as <source>-<table> (e.g. corpus/madt/ovmf-q35-apic).
#
# QEMU: boots build/kernel.iso halted (-S) behind a gdb stub, stops at the kernel's
# 32-bit entry (EAX = the multiboot2 magic, EBX = the info block) and saves guest RAM
# with the monitor's pmemsave. Bochs: boots a floppy whose boot sector is a magic
# breakpoint (xchg bx,bx) and saves RAM with the debugger's writemem. The kernel itself
# is not involved beyond being booted. extract_tables.py then cuts out each table.
# Run by hand when the firmware changes; the captured files are committed, so make test
# needs none of the packages below.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash test/deps.sh qemu-system-x86 ovmf gdb bochs bochsbios vgabios bochs-term python3
OUT=${1:-build/fuzz/captured}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"
MEM_BYTES=$((256 << 20))
OVMF_CODE=/usr/share/OVMF/OVMF_CODE.fd

make -s iso
entry_virt=$(nm build/kernel.elf | awk '$3 == "_start32" { print $1 }')
entry_phys=$(printf '0x%x' $((0x$entry_virt - 0xffffffff80000000)))

# capture_qemu <name> <qemu args...>
capture_qemu() {
  local name=$1; shift
  local sock=$WORK/$name.gdb ram=$WORK/$name.ram
  nice -n 10 qemu-system-x86_64 -accel tcg -m $((MEM_BYTES >> 20))M -display none -serial none \
    -monitor none -no-reboot -cdrom build/kernel.iso -S -gdb "unix:$sock,server,nowait" "$@" &
  local qemu_pid=$!
  for _ in $(seq 50); do [[ -S $sock ]] && break; sleep 0.1; done
  local mbi
  mbi=$(timeout 600 gdb -q -batch -ex "target remote $sock" \
          -ex "hbreak *$entry_phys if \$eax == 0x36d76289" -ex continue \
          -ex 'printf "MBI=0x%x\n", $ebx' \
          -ex "monitor pmemsave 0 $MEM_BYTES \"$ram\"" -ex kill 2>&1 | sed -n 's/^MBI=//p')
  wait "$qemu_pid" 2>/dev/null || true
  [[ -n $mbi && -s $ram ]] || { echo "capture: $name: QEMU did not reach the kernel entry" >&2; return 1; }
  python3 test/fuzz/extract_tables.py "$ram" "$OUT/$name" --mbi "$mbi"
}

capture_bochs() {
  local dir=$WORK/bochs
  mkdir -p "$dir"
  python3 - "$dir/boot.img" <<'PY'
import sys
sector = bytearray(512)
sector[:6] = bytes([0x87, 0xDB, 0xFA, 0xF4, 0xEB, 0xFD])  # xchg bx,bx; cli; hlt; jmp $-1
sector[510:] = b"\x55\xaa"
open(sys.argv[1], "wb").write(bytes(sector) + bytes(1474560 - 512))
PY
  cat > "$dir/bochsrc" <<EOF
megs: $((MEM_BYTES >> 20))
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
floppya: 1_44=$dir/boot.img, status=inserted
boot: floppy
cpu: count=2
display_library: term
magic_break: enabled=1
clock: sync=none
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
log: $dir/bochs.log
EOF
  printf 'c\nwritemem "%s" 0 %d\nq\n' "$dir/ram.bin" "$MEM_BYTES" > "$dir/rc"
  # The term display needs a terminal: script(1) gives it one.
  TERM=xterm timeout 300 nice -n 10 script -qfec "stty rows 25 cols 80; bochs -f $dir/bochsrc -rc $dir/rc" \
    /dev/null < /dev/null > "$dir/console.log" 2>&1 || true
  [[ -s $dir/ram.bin ]] || { echo "capture: bochs: no RAM dump, see $dir/console.log" >&2; return 1; }
  python3 test/fuzz/extract_tables.py "$dir/ram.bin" "$OUT/bochs"
}

OVMF=(-drive "if=pflash,format=raw,readonly=on,file=$OVMF_CODE")
# maxcpus > smp: the hot-pluggable CPUs are listed as disabled MADT entries. x2APIC
# entries would need APIC IDs above 254, which QEMU allows only with KVM's irqchip.
capture_qemu qemu-pc -machine pc -smp 2,maxcpus=4
capture_qemu qemu-q35 -machine q35 -smp 4
capture_qemu ovmf-q35 -machine q35 -smp 4 "${OVMF[@]}"
capture_qemu ovmf-pc -machine pc -smp 2,maxcpus=4 "${OVMF[@]}"
capture_bochs

# The inputs each target reads: RSDPs, root tables, MADTs, FADTs, DSDTs, info blocks.
for f in "$OUT"/*.bin; do
  name=$(basename "$f" .bin)
  case $name in
    *-rsdp) target=rsdp ;;
    *-rsdt | *-xsdt) target=root_table ;;
    *-apic) target=madt ;;
    *-facp) target=fadt ;;
    *-dsdt) target=dsdt ;;
    *-mbi) target=multiboot2 ;;
    *) continue ;;
  esac
  mkdir -p "test/fuzz/corpus/$target"
  cp "$f" "test/fuzz/corpus/$target/$name"
done
