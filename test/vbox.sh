#!/usr/bin/env bash
# make vbox: creates (or updates) a VirtualBox VM that boots build/kernel.iso and starts it
# (docs/virtualbox.md). Without VBoxManage it says so in one line and exits 0: VirtualBox
# is optional on a build machine, like a display for `make run`.
#
#   test/vbox.sh ISO
#   test/vbox.sh --probe   only the check: the one line and status 1 without VBoxManage
# Environment (the Makefile passes them): VBOX_VM (name, default lfkernel), SMP (CPUs),
# MEM (e.g. 256M or 1G), UEFI (1: EFI firmware), VBOX_CHIPSET (piix3 | ich9), VBOX_X2APIC
# (on | off), VBOX_SERIAL (file | socket | tcp), VBOX_SERIAL_PATH (the log file or the
# socket), VBOX_TCP_PORT, VBOX_START (gui | headless | sdl | none).
set -euo pipefail

if ! command -v VBoxManage > /dev/null 2>&1; then
  echo "make vbox: VBoxManage not found: install VirtualBox (docs/virtualbox.md); no VM created"
  [[ ${1:-} == --probe ]] && exit 1
  exit 0
fi
[[ ${1:-} == --probe ]] && exit 0

iso=$(realpath "${1:?usage: test/vbox.sh ISO}")
vm=${VBOX_VM:-lfkernel}
smp=${SMP:-4}
smp=${smp%%,*}  # SMP="6,sockets=2,cores=3" (QEMU's form): VirtualBox takes the count
mem=${MEM:-256M}
chipset=${VBOX_CHIPSET:-piix3}
x2apic=${VBOX_X2APIC:-on}
serial=${VBOX_SERIAL:-file}
start=${VBOX_START:-}
tcp_port=${VBOX_TCP_PORT:-2323}

# VirtualBox takes memory in MiB.
case $mem in
  *G | *g) mem_mb=$((${mem%[Gg]} * 1024)) ;;
  *M | *m) mem_mb=${mem%[Mm]} ;;
  *) mem_mb=$mem ;;
esac
firmware=bios
[[ ${UEFI:-0} == 1 ]] && firmware=efi
case $chipset in piix3 | ich9) ;; *) echo "make vbox: VBOX_CHIPSET must be piix3 or ich9, not '$chipset'"; exit 1 ;; esac
case $x2apic in on | off) ;; *) echo "make vbox: VBOX_X2APIC must be on or off, not '$x2apic'"; exit 1 ;; esac
if [[ -z $start ]]; then
  if [[ -n ${DISPLAY:-}${WAYLAND_DISPLAY:-} ]]; then start=gui; else start=headless; fi
fi

if ! VBoxManage showvminfo "$vm" > /dev/null 2>&1; then
  VBoxManage createvm --name "$vm" --ostype Other_64 --register > /dev/null
  echo "make vbox: created VM '$vm'"
fi
state=$(VBoxManage showvminfo "$vm" --machinereadable | sed -n 's/^VMState="\(.*\)"$/\1/p')
case $state in
  running | paused | starting | stuck)
    echo "make vbox: VM '$vm' is $state; power it off first: VBoxManage controlvm $vm poweroff"
    exit 1
    ;;
esac

# COM1 (0x3f8, IRQ 4): to a file, a local socket (socat - UNIX-CONNECT:path), or TCP.
vm_dir=$(dirname "$(VBoxManage showvminfo "$vm" --machinereadable | sed -n 's/^CfgFile="\(.*\)"$/\1/p')")
case $serial in
  file) serial_path=${VBOX_SERIAL_PATH:-$vm_dir/com1.log}; uart_mode=(file "$serial_path") ;;
  socket) serial_path=${VBOX_SERIAL_PATH:-/tmp/$vm-com1}; uart_mode=(server "$serial_path") ;;
  tcp) serial_path="tcp port $tcp_port"; uart_mode=(tcpserver "$tcp_port") ;;
  *) echo "make vbox: VBOX_SERIAL must be file, socket or tcp, not '$serial'"; exit 1 ;;
esac

# The settings the kernel depends on (docs/virtualbox.md): firmware, chipset, the I/O APIC
# (needed for more than one CPU, and for IRQ 1 and 4), the CPU count, x2APIC, memory, ACPI,
# a PS/2 keyboard, no HPET (the kernel calibrates without one), and the CD first.
VBoxManage modifyvm "$vm" --firmware "$firmware" --chipset "$chipset" --ioapic on --acpi on \
  --cpus "$smp" --x2apic "$x2apic" --memory "$mem_mb" --vram 16 --hpet off \
  --keyboard ps2 --mouse ps2 --rtcuseutc on --nic1 none \
  --boot1 dvd --boot2 none --boot3 none --boot4 none \
  --uart1 0x3f8 4 --uartmode1 "${uart_mode[@]}"
# No sound card: the option is --audio-driver since VirtualBox 7, --audio before.
VBoxManage modifyvm "$vm" --audio-driver none > /dev/null 2>&1 || VBoxManage modifyvm "$vm" --audio none > /dev/null 2>&1 || true

if ! VBoxManage showvminfo "$vm" --machinereadable | grep -q '^storagecontrollername0="IDE"'; then
  VBoxManage storagectl "$vm" --name IDE --add ide --controller PIIX4
fi
VBoxManage storageattach "$vm" --storagectl IDE --port 0 --device 0 --type dvddrive --medium "$iso"

echo "make vbox: VM '$vm': $firmware, $chipset, $smp cpus, x2apic $x2apic, $mem_mb MiB, COM1 -> $serial_path"
if [[ $start != none ]]; then
  VBoxManage startvm "$vm" --type "$start"
fi
