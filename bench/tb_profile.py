#!/usr/bin/env python3
"""Where a kernel operation's guest instructions go, per function: a translation-block
execution profile from QEMU's own log (Debian's QEMU ships no TCG plugins).

  mkfifo /tmp/tb.fifo
  qemu-system-x86_64 -accel tcg -icount shift=0,sleep=off -smp 1 -machine q35 -cpu max -m 512M \\
      -cdrom build/bench-icount/kernel.iso -display none -no-reboot \\
      -device isa-debug-exit,iobase=0xf4,iosize=0x04 -d in_asm,exec,nochain -D /tmp/tb.fifo &
  tb_profile.py build/bench-icount/kernel.elf 'sched::kbench::(anonymous namespace)::nop_task' \\
      30000 20000 < /tmp/tb.fifo; kill %1

Counts every block execution (`exec` with `nochain` logs each one) between the SKIP-th and
the (SKIP+WINDOW)-th execution of the marker function's first block, multiplies by the
block's instruction count (from `in_asm`, logged when the block is translated) and sums per
symbol (`nm` of the ELF; inlined code counts for its caller). Prints instructions per marker
execution: with nop_task as the marker, per spawn+exit of the 1-CPU spawn benchmark, whose
lock-free run comes first (its 20,000-task warm-up, then 200,000 timed tasks).
"""
import bisect
import re
import subprocess
import sys


def main():
    elf, marker_name, skip, window = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    syms = []
    for line in subprocess.run(['nm', '-n', '-C', elf], capture_output=True, text=True, check=True).stdout.splitlines():
        parts = line.split(' ', 2)
        if len(parts) == 3 and parts[1] in 'tTwW':
            syms.append((int(parts[0], 16), parts[2]))
    addrs = [a for a, _ in syms]

    def symbol_of(pc):
        i = bisect.bisect_right(addrs, pc) - 1
        return syms[i][1] if i >= 0 else '?'

    markers = [a for a, n in syms if n == marker_name or n.startswith(marker_name + '(')]
    if not markers:
        sys.exit(f'tb_profile: no symbol {marker_name} in {elf}')
    marker = markers[0]
    trace_re = re.compile(r'^Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/')
    insn_re = re.compile(r'^0x([0-9a-f]+):')
    block_len, counts = {}, {}
    block, n = None, 0
    seen = 0
    for line in sys.stdin:
        if line.startswith('Trace'):
            if block is not None:
                block_len[block], block = n, None
            m = trace_re.match(line)
            if not m:
                continue
            pc = int(m.group(1), 16)
            if pc == marker:
                seen += 1
                if seen > skip + window:
                    break
            if seen > skip:
                counts[pc] = counts.get(pc, 0) + 1
        elif line.startswith('IN:'):
            if block is not None:
                block_len[block] = n
            block, n = None, 0
        else:
            m = insn_re.match(line)
            if m:
                if block is None:
                    block, n = int(m.group(1), 16), 0
                n += 1
    if block is not None:
        block_len[block] = n
    per_symbol, unknown = {}, 0
    for pc, c in counts.items():
        if pc not in block_len:
            unknown += c
            continue
        s = symbol_of(pc)
        per_symbol[s] = per_symbol.get(s, 0) + c * block_len[pc]
    w = max(1, min(window, seen - skip))
    print(f'{w} marker executions; {sum(per_symbol.values()) / w:.1f} instructions per marker; '
          f'block executions of unknown length: {unknown}')
    for s, v in sorted(per_symbol.items(), key=lambda kv: -kv[1]):
        if v / w >= 0.5:
            print(f'{v / w:8.1f}  {s}')


if __name__ == '__main__':
    main()
