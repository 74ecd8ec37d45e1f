# Top-level build. Targets:
#   make / make kernel  build/kernel.elf
#   make iso            build/kernel.iso (hybrid BIOS + UEFI), CMDLINE="..." baked in
#   make run            boot the ISO in QEMU (TCG): SMP=n MEM=size CMDLINE="..." UEFI=1
#   make test           host tests (+ ASan/UBSan, TSan), fuzz corpus replay, the spin models
#                       (small bounds) and the QEMU boot matrix
#   make fuzz           libFuzzer on each parser for SECONDS=n (default 60) each, new
#                       coverage merged into test/fuzz/corpus/ (FUZZ_TARGETS="madt ..." picks)
#   make verify         the spin models at their large bounds (docs/verification.md)
#   make stress         long-running lock-free stress (ARGS="--seconds 60 ...")
#   make soak           the in-kernel torture for MINUTES=n (default 60) at SMP=n (default 4),
#                       with fault injection (FAIL=spec, none: off); log in build/soak/
#   make bench          host benchmarks against real baselines
#   make bench-icount   kernel scheduler costs in guest instructions (QEMU -icount)
#   make trace          a traced fork-join boot -> build/trace/{serial.log,trace.json,timeline.png}
#   make vbox           create/update a VirtualBox VM for the ISO and start it (docs/virtualbox.md);
#                       without VBoxManage: one line, exit status 0
#   SCHED_TRACE=0       (with kernel/iso/run) compiles the scheduler's trace hooks out
#   SCHED_OP_COSTS=1    (with kernel/iso/run) compiles the per-operation cost counters in
#                       (off by default; make bench-icount turns them on)
#   make deps           install the Debian packages that are missing
SHELL := /bin/bash
.DEFAULT_GOAL := kernel

BUILD   ?= build
SMP     ?= 4
MEM     ?= 256M
CMDLINE ?=
UEFI    ?= 0
CPU     ?= max
MACHINE ?= q35
SCHED_TRACE ?=
SCHED_OP_COSTS ?=

# ---------------------------------------------------------------- deps
# Packages each entry point needs. `make deps` installs what is missing when root,
# otherwise prints the exact apt-get command and stops. Each list is complete for its
# entry point on a Debian 12 minbase root with only git and make (test/fresh_root.sh
# checks that): every program the build and its scripts run, every library CMake finds.
#   kernel: compiler, linker and nm (gen_ksyms.sh), GRUB + xorriso + mtools for the ISO,
#           QEMU and OVMF to boot it, python3 for the test and trace scripts
#   host:   the host test trees (CMake + pkg-config find the libraries), GoogleTest/Mock,
#           Google Benchmark and the baselines the bench tree links
#   bench:  plots and tables; Debian's cargo and rustc with the packaged crossbeam-deque
#           sources for the Rust baseline (built offline)
DEPS_KERNEL := g++ make binutils grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools \
               qemu-system-x86 ovmf python3
DEPS_HOST   := g++ make cmake pkg-config python3 libgtest-dev libgmock-dev libbenchmark-dev \
               liburcu-dev libxenium-dev libck-dev libtbb-dev spin gcc
DEPS_BENCH  := gnuplot-nox python3 cargo rustc librust-crossbeam-deque-dev
# -fsanitize=fuzzer: clang-14's libclang_rt.fuzzer*.a ship in libclang-rt-14-dev.
DEPS_FUZZ   := clang-14 libclang-rt-14-dev

.PHONY: deps deps-kernel deps-host deps-bench deps-fuzz
deps: deps-kernel deps-host deps-fuzz
deps-kernel: ; @bash test/deps.sh $(DEPS_KERNEL)
deps-host:   ; @bash test/deps.sh $(DEPS_HOST)
deps-bench:  ; @bash test/deps.sh $(DEPS_BENCH)
deps-fuzz:   ; @bash test/deps.sh $(DEPS_FUZZ)

# ---------------------------------------------------------------- kernel
# In-kernel tests live in src/<subsystem>/tests/; KTESTS=0 leaves them out of the kernel.
KTESTS ?= 1
KCXX := g++
KLD  := ld
KCXXFLAGS := -std=c++20 -ffreestanding -fno-exceptions -fno-rtti -fno-threadsafe-statics \
             -fno-use-cxa-atexit -fno-asynchronous-unwind-tables -fno-stack-protector \
             -fno-pic -fno-pie -mcmodel=kernel -mno-red-zone -mgeneral-regs-only \
             -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-strict-aliasing \
             -O2 -g -Wall -Wextra -Werror -MMD -MP \
             -Isrc -Isrc/core/platform/kernel -Isrc/sched/platform/kernel -DKERNEL=1 \
             -DKTESTS=$(KTESTS) $(if $(SCHED_TRACE),-DSCHED_TRACE=$(SCHED_TRACE)) \
             $(if $(SCHED_OP_COSTS),-DSCHED_OP_COSTS=$(SCHED_OP_COSTS))
# Test files keep their top-level order, so a file's tests run in definition order
# (GCC otherwise emits a section's objects last-defined first).
KTEST_CXXFLAGS := -fno-toplevel-reorder
KASFLAGS  := -ffreestanding -fno-pic -fno-pie -mcmodel=kernel -g -Wall -Werror -MMD -MP -Isrc -DKERNEL=1
KLDFLAGS  := -nostdlib -z max-page-size=0x1000 -z noexecstack --no-warn-rwx-segments -T linker/kernel.ld

KSRCS := $(shell find src -name '*.cpp' -not -path '*/platform/host/*' \
                 $(if $(filter 0,$(KTESTS)),-not -path '*/tests/*') | sort)
KASMS := $(shell find asm -name '*.S' | sort)
KOBJS := $(patsubst %.cpp,$(BUILD)/kobj/%.o,$(KSRCS)) $(patsubst %.S,$(BUILD)/kobj/%.o,$(KASMS))

.PHONY: kernel iso run clean
kernel: $(BUILD)/kernel.elf

# Objects are rebuilt when the compiler flags change (SCHED_TRACE=0 and back).
$(BUILD)/kflags.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(KCXXFLAGS)' | cmp -s - $@ || echo '$(KCXXFLAGS)' > $@
$(BUILD)/kobj/%.o: %.cpp $(BUILD)/kflags.stamp | deps-kernel-stamp
	@mkdir -p $(dir $@)
	$(KCXX) $(KCXXFLAGS) $(if $(findstring /tests/,$<),$(KTEST_CXXFLAGS)) -c $< -o $@
$(BUILD)/kobj/%.o: %.S | deps-kernel-stamp
	@mkdir -p $(dir $@)
	$(KCXX) $(KASFLAGS) -c $< -o $@

# Two-pass link for the embedded symbol table used by panic backtraces: pass 1 links
# with an empty table, its symbols become build/ksyms.S, pass 2 links the real table.
# The .ksyms section is last in the image, so code addresses do not move between passes.
$(BUILD)/kernel.elf: $(KOBJS) linker/kernel.ld test/gen_ksyms.sh
	@mkdir -p $(BUILD)
	bash test/gen_ksyms.sh /dev/null > $(BUILD)/ksyms0.S
	$(KCXX) $(KASFLAGS) -c $(BUILD)/ksyms0.S -o $(BUILD)/ksyms0.o
	$(KLD) $(KLDFLAGS) -o $(BUILD)/kernel.pass1.elf $(KOBJS) $(BUILD)/ksyms0.o
	bash test/gen_ksyms.sh $(BUILD)/kernel.pass1.elf > $(BUILD)/ksyms.S
	$(KCXX) $(KASFLAGS) -c $(BUILD)/ksyms.S -o $(BUILD)/ksyms.o
	$(KLD) $(KLDFLAGS) -o $@ $(KOBJS) $(BUILD)/ksyms.o

# The ISO's grub.cfg is regenerated whenever CMDLINE changes.
$(BUILD)/cmdline.stamp: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CMDLINE)' | cmp -s - $@ || echo '$(CMDLINE)' > $@
$(BUILD)/kernel.iso: $(BUILD)/kernel.elf iso/grub.cfg.in $(BUILD)/cmdline.stamp
	@rm -rf $(BUILD)/isodir && mkdir -p $(BUILD)/isodir/boot/grub
	cp $(BUILD)/kernel.elf $(BUILD)/isodir/boot/kernel.elf
	sed 's|@CMDLINE@|$(CMDLINE)|' iso/grub.cfg.in > $(BUILD)/isodir/boot/grub/grub.cfg
	grub-mkrescue -o $@ $(BUILD)/isodir 2> $(BUILD)/grub-mkrescue.log || { cat $(BUILD)/grub-mkrescue.log; exit 1; }
iso: $(BUILD)/kernel.iso

OVMF_CODE := /usr/share/OVMF/OVMF_CODE.fd
comma     := ,
QEMU_FW   := $(if $(filter 1,$(UEFI)),-drive if=pflash$(comma)format=raw$(comma)readonly=on$(comma)file=$(OVMF_CODE))
# The screen console opens in a window when there is a display; the serial log is always here.
# COM1 is this terminal, muxed with the QEMU monitor: Ctrl-C reaches the kernel's console,
# Ctrl-A x quits QEMU, Ctrl-A c switches to the monitor and back.
QEMU_DISPLAY := $(if $(DISPLAY),,-display none)
run: $(BUILD)/kernel.iso
	qemu-system-x86_64 -accel tcg -machine $(MACHINE) -cpu $(CPU) -smp $(SMP) -m $(MEM) \
	  $(QEMU_FW) $(QEMU_DISPLAY) -cdrom $< -chardev stdio,id=com1,mux=on,signal=off \
	  -serial chardev:com1 -mon chardev=com1 -no-reboot \
	  -device isa-debug-exit,iobase=0xf4,iosize=0x04 $(QEMU_EXTRA)

# VirtualBox (docs/virtualbox.md): SMP, MEM, UEFI and CMDLINE as for `make run`; VBOX_VM,
# VBOX_CHIPSET=piix3|ich9, VBOX_X2APIC=on|off, VBOX_SERIAL=file|socket|tcp, VBOX_START=gui|headless|none.
.PHONY: vbox
# Checked before the ISO is built, so a machine without VirtualBox gets exactly one line.
vbox:
	@bash test/vbox.sh --probe || exit 0; \
	  $(MAKE) --no-print-directory iso && SMP="$(SMP)" MEM="$(MEM)" UEFI="$(UEFI)" bash test/vbox.sh $(BUILD)/kernel.iso

.PHONY: deps-kernel-stamp FORCE
FORCE:
deps-kernel-stamp: deps-kernel

-include $(shell find $(BUILD)/kobj -name '*.d' 2>/dev/null)

# ---------------------------------------------------------------- host
.PHONY: test stress bench host-tests qemu-tests fuzz verify
test: deps-kernel deps-host deps-fuzz
	@bash test/run_all.sh
host-tests: deps-host deps-fuzz
	@bash test/run_all.sh --host-only
qemu-tests: deps-kernel
	@bash test/run_all.sh --qemu-only
# The Promela models of test/model at their large bounds (minutes each; `make test` runs
# the small ones).
verify: deps-host
	@bash test/model/run_models.sh --large
stress: deps-host
	@bash test/run_stress.sh $(ARGS)
# The torture for hours (docs/reliability.md): progress lines on the terminal, the serial log
# in $(BUILD)/soak/, the verdict last; fails unless QEMU exits 33.
MINUTES ?= 60
.PHONY: soak
soak: deps-kernel $(BUILD)/kernel.elf
	@BUILD=$(BUILD) bash test/soak.sh $(MINUTES) $(SMP)
bench: deps-kernel deps-host deps-bench
	@bash bench/run_bench.sh

# The kernel scheduler's costs in guest instructions (QEMU -icount, two boots that must
# agree): bench/results/kernel-icount.md.
.PHONY: bench-icount
bench-icount: deps-kernel
	@bash bench/run_icount.sh
SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz: deps-fuzz
	@BUILD=$(BUILD) bash test/fuzz/run_fuzz.sh --fuzz $(SECONDS) $(FUZZ_TARGETS)

# The scheduler timeline (docs/tracing.md): the boot demo with trace=on at -smp 4, its
# serial log, Perfetto JSON and a PNG. The ISO is build/trace/kernel.iso, so the default
# ISO's command line is left alone.
TRACE_SMP ?= 4
TRACE_TIMEOUT ?= 600
.PHONY: trace
trace: deps-kernel deps-bench $(BUILD)/kernel.elf
	@bash bench/make_trace.sh "$(BUILD)" "$(TRACE_SMP)" "$(TRACE_TIMEOUT)"

clean:
	rm -rf $(BUILD)
