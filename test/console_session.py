#!/usr/bin/env python3
"""Drives the kernel's console like a person: boots QEMU with COM1 on a UNIX socket, types
commands into the serial port, and checks what the kernel printed. Judged by the text
only; every wait is bounded (--reply-timeout, 60 s by default) and never decides a verdict
by timing. Python standard library only.

  test/console_session.py --kernel build/kernel.elf [--smp 4] [--log FILE]

Prints one line per check, "PASS name" or "FAIL name (why)", and exits 1 if any failed.
QEMU runs without the isa-debug-exit device: `poweroff` must end it through ACPI.

The keyboard path: QEMU's monitor (HMP, on a second UNIX socket) presses keys on the
emulated PS/2 keyboard with `sendkey`; the replies are read on the serial port, so scan
codes, the IRQ 1 handler, the decoder and the line editor are all on the path.
"""
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

PROMPT = "lfk> "


class Session:
    def __init__(self, sock, log):
        self.sock = sock
        self.log = log
        self.buffer = ""
        self.position = 0  # checks look at output after this point
        self.lock = threading.Condition()
        self.closed = False
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        while True:
            try:
                data = self.sock.recv(4096)
            except OSError:
                data = b""
            with self.lock:
                if not data:
                    self.closed = True
                    self.lock.notify_all()
                    return
                text = data.decode("latin-1")
                self.log.write(text)
                self.log.flush()
                self.buffer += text
                self.lock.notify_all()

    def expect(self, pattern, timeout):
        """Waits for `pattern` (a regex) after the current position; returns the match
        and moves past it, or None."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                m = regex.search(self.buffer, self.position)
                if m:
                    self.position = m.end()
                    return m
                left = deadline - time.monotonic()
                if left <= 0 or self.closed:
                    return None
                self.lock.wait(min(left, 1.0))

    def size(self):
        with self.lock:
            return len(self.buffer)

    def wait_growth(self, size, timeout):
        """Waits (bounded) until output beyond `size` characters has arrived."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while len(self.buffer) <= size and not self.closed:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.lock.wait(min(left, 1.0))
            return True

    def mark(self):
        with self.lock:
            self.position = len(self.buffer)

    def since(self, start):
        with self.lock:
            return self.buffer[start:]

    def type(self, text):
        data = text.encode("latin-1")
        # A person types; a few bytes at a time keeps the 16-byte UART FIFO honest.
        for i in range(0, len(data), 8):
            self.sock.sendall(data[i:i + 8])
            time.sleep(0.01)


class Monitor:
    """QEMU's human monitor on a UNIX socket: one command at a time, each answered by the
    next "(qemu) " prompt."""

    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        for _ in range(300):
            try:
                self.sock.connect(path)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise OSError("no monitor socket")
        self.sock.settimeout(30)
        self._read_prompt()

    def _read_prompt(self):
        data = b""
        while not data.endswith(b"(qemu) "):
            chunk = self.sock.recv(4096)
            if not chunk:
                raise OSError("monitor closed")
            data += chunk
        return data.decode("latin-1")

    def command(self, line):
        self.sock.sendall(line.encode() + b"\n")
        return self._read_prompt()

    def keys(self, names, session=None, timeout=30.0):
        """Presses each key (QEMU names: "c", "shift-f", "ret", "up", "ctrl-c") in turn.
        With `session`, waits after each key until the kernel has echoed something on
        serial (every key the tests press is echoed or redraws the line), so at most one
        key is in flight: QEMU's PS/2 queue is short, and a guest stalled by a busy host
        must not lose keys. The waits are bounded and decide nothing."""
        for name in names:
            before = session.size() if session else 0
            reply = self.command(f"sendkey {name}")
            if "unknown key" in reply or "invalid" in reply.lower():
                raise ValueError(f"sendkey {name}: {reply.strip()}")
            if session:
                session.wait_growth(before, timeout)
            # sendkey holds each key 100 ms before its release; pressing the next one
            # earlier would overlap them like a person rolling two keys.
            time.sleep(0.15)

    def close(self):
        self.sock.close()


def keys_for(text):
    """QEMU key names that type `text` on a US keyboard (the subset the tests need)."""
    shifted = {"!": "shift-1", "\"": "shift-apostrophe", "_": "shift-minus"}
    names = []
    for ch in text:
        if ch == " ":
            names.append("spc")
        elif ch in shifted:
            names.append(shifted[ch])
        elif ch.isalpha() and ch.isupper():
            names.append("shift-" + ch.lower())
        elif ch == "-":
            names.append("minus")
        else:
            names.append(ch)
    return names


def build_iso(kernel, cmdline, iso, grub_cfg_in):
    work = tempfile.mkdtemp()
    try:
        os.makedirs(os.path.join(work, "boot", "grub"))
        shutil.copy(kernel, os.path.join(work, "boot", "kernel.elf"))
        with open(grub_cfg_in) as f:
            cfg = f.read().replace("@CMDLINE@", cmdline)
        with open(os.path.join(work, "boot", "grub", "grub.cfg"), "w") as f:
            f.write(cfg)
        subprocess.run(["grub-mkrescue", "-o", iso, work], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def keyboard_checks(s, check, T, monitor_path):
    """Commands typed on the PS/2 keyboard through the monitor; replies read on serial."""
    try:
        mon = Monitor(monitor_path)
    except OSError as e:
        check("keyboard-monitor", False, str(e))
        return

    def typed(names, *patterns, name):
        s.mark()
        mon.keys(names, s)
        for p in patterns:
            if not s.expect(p, T):
                return check(name, False, f"no /{p}/ after the keys {' '.join(names)}")
        return check(name, bool(s.expect(re.escape(PROMPT), T)), "no prompt after the reply")

    try:
        typed(keys_for("uptime") + ["ret"], r"up \d+:\d\d:\d\d", name="keyboard-uptime")
        # Shift, digits and a shifted symbol reach the line as typed.
        typed(keys_for("Fr0b!") + ["ret"], r'unknown command "Fr0b!"', name="keyboard-shift")
        # Up recalls the last line from the history; Enter runs it again.
        typed(["up", "ret"], r'unknown command "Fr0b!"', name="keyboard-history-up")
        # Backspace deletes the character before the cursor: "cpux" <BS> "s" is cpus.
        typed(keys_for("cpux") + ["backspace", "s", "ret"], r"\d+ cpus, \d+ online", name="keyboard-backspace")
        # Left arrow and insert in the middle: "uptme" <left><left> "i" is uptime.
        typed(keys_for("uptme") + ["left", "left", "i", "ret"], r"up \d+:\d\d:\d\d", name="keyboard-left-insert")
        # Ctrl-C at the prompt drops the line.
        typed(keys_for("frob") + ["ctrl-c"], r"\^C", name="keyboard-ctrl-c")
    except (OSError, ValueError) as e:
        check("keyboard-monitor", False, str(e))
    mon.close()


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default=os.path.join(root, "build", "kernel.elf"))
    ap.add_argument("--smp", type=int, default=4)
    ap.add_argument("--cmdline", default="demo=off")
    ap.add_argument("--log", default=os.path.join(root, "build", "qemu", "console-session.log"))
    ap.add_argument("--reply-timeout", type=float, default=60.0)
    ap.add_argument("--boot-timeout", type=float, default=180.0)
    args = ap.parse_args()

    os.makedirs(os.path.dirname(args.log), exist_ok=True)
    work = tempfile.mkdtemp()
    iso = os.path.join(work, "console.iso")
    sock_path = os.path.join(work, "serial.sock")
    monitor_path = os.path.join(work, "monitor.sock")
    build_iso(args.kernel, args.cmdline, iso, os.path.join(root, "iso", "grub.cfg.in"))

    qemu = subprocess.Popen(
        ["qemu-system-x86_64", "-accel", "tcg", "-machine", "q35", "-cpu", "max",
         "-smp", str(args.smp), "-m", "256M", "-display", "none",
         "-monitor", f"unix:{monitor_path},server=on,wait=off",
         "-no-reboot", "-cdrom", iso, "-serial", f"unix:{sock_path},server=on,wait=on"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    for _ in range(300):
        try:
            sock.connect(sock_path)
            break
        except OSError:
            time.sleep(0.1)
    else:
        print("FAIL console/connect (no serial socket)")
        qemu.kill()
        return 1

    failed = 0
    log = open(args.log, "w")
    s = Session(sock, log)
    T = args.reply_timeout

    def check(name, ok, why=""):
        nonlocal failed
        if ok:
            print(f"PASS console/{name}")
        else:
            failed += 1
            print(f"FAIL console/{name}" + (f"  ({why})" if why else ""))
        sys.stdout.flush()
        return ok

    def command(line, *patterns, name=None, timeout=T):
        """Types `line` + Enter; every pattern must appear in order, then the prompt."""
        s.mark()
        s.type(line + "\r")
        for p in patterns:
            if not s.expect(p, timeout):
                return check(name or line, False, f"no /{p}/ in reply; see {args.log}")
        if not s.expect(re.escape(PROMPT), timeout):
            return check(name or line, False, "no prompt after the reply")
        return check(name or line, True)

    booted = s.expect(r"lfkernel console: (\d+) cpus online.*Type help\.", args.boot_timeout) and \
        s.expect(re.escape(PROMPT), T)
    if check("banner-and-prompt", booted, "no banner/prompt"):
        command("help", r"offline N", r"run fib N", r"poweroff", name="help")
        command("help offline", r"usage: offline N", name="help-cmd")
        command(f"cpus", rf"{args.smp} cpus, {args.smp} online", name=f"cpus-smp{args.smp}")
        keyboard_checks(s, check, T, monitor_path)
        command("\x01\x02garbage \xff\xfe\x7f#%!", r'unknown command "', name="garbage-line")
        command("offline x", r'"x" is not a CPU number; usage: offline N', name="bad-argument")
        command("frobnicate", r'unknown command "frobnicate"; type help', name="unknown-command")
        command("load spin 2", r"load 1: 2 spin tasks started", name="load-start")
        # top redraws until a key arrives; wait for two frames, then press a key.
        s.mark()
        s.type("top\r")
        frames = s.expect(r"frame 0 ", T) and s.expect(r"runq dq/pin/inb/rt\+bg", T) and \
            s.expect(r"\b0 +online .*\] +\d+ +\d+/\d+/\d+/\d+ ", T) and s.expect(r"frame 1 ", T)
        s.type("q")
        done = s.expect(r"top: done", T) and s.expect(re.escape(PROMPT), T)
        check("top-until-key", bool(frames and done), "no frames with run-queue depths, or top did not stop on a key")
        command("load", r"load 1: 2 spin tasks", name="load-list")
        command("ps", r"id  name +state +cpu  class +affinity +cpu ms", r"\d+  console +running",
                r"\d+  load-spin +(running|ready) +\d+  normal +all", r"\d+ tasks: \d+ running", name="ps-under-load")
        command("load stop", r"load 1 \(spin\) stopped: 2 tasks joined", name="load-stop")
        if args.smp > 1:
            command("offline 1", r"cpu 1 offline in [0-9.]+ ms", name="offline-1")
            command("cpus", rf"{args.smp} cpus, {args.smp - 1} online", name="cpus-after-offline")
            command("online 1", r"cpu 1 online in [0-9.]+ ms", name="online-1")
        command("offline 0", r"offline 0: cpu 0 is the bootstrap CPU", name="offline-0-refused")
        command("sched locked", r"sched: locked ready queues", name="sched-locked")
        command("run fib 15", r"fib\(15\) = 610 in", r"steals per cpu:", name="run-fib-locked")
        command("sched lockfree", r"sched: lockfree ready queues", name="sched-lockfree")
        command("load fib 1", r"load 2: 1 fib tasks started", name="load-fib")
        command("sched locked", r"sched: cannot switch now", name="sched-refused-under-load")
        command("load stop 2", r"load 2 \(fib\) stopped", name="load-stop-id")
        # Ctrl-C stops a long foreground command and the prompt comes back.
        s.mark()
        s.type("run fib 32\r")
        time.sleep(1.0)  # not a verdict: only lets the command start before the key
        s.type("\x03")
        ok = s.expect(r"interrupted after \d+ ms; every task joined", T) and s.expect(re.escape(PROMPT), T)
        check("ctrl-c-stops-run", bool(ok), "run fib 32 was not interrupted")
        # The lock-free core's stress on every CPU: progress lines, then a verdict that
        # counts every item (lost and duplicated must be 0).
        command("stress 5", r"stress: 1 s: \d+ rounds", r"stress: items pushed \d+, sent \d+; taken \d+, stolen \d+",
                r"stress: PASS: lost 0, duplicated 0, corrupted 0, inbox out of order 0", name="stress-5-verdict")
        # Ctrl-C once the first progress line is out (judged by text, not by time).
        s.mark()
        s.type("stress 60\r")
        started = s.expect(r"stress: 1 s: ", T)
        s.type("\x03")
        ok = started and s.expect(r"stopped by Ctrl-C", T) and \
            s.expect(r"stress: PASS: lost 0, duplicated 0", T) and s.expect(re.escape(PROMPT), T)
        check("stress-ctrl-c", bool(ok), "stress 60 was not stopped by Ctrl-C with a passing verdict")
        command("stress 0", r"stress: SECONDS must be a number from 1 to 3600; usage: stress SECONDS",
                name="stress-bad-argument")
        command("run uts t1", r"uts T1-d7: 63914 nodes \(the reference count\)", r"steals per cpu:",
                name="run-uts-t1")
        # The run's stacks go back to mm once it is over (the console keeps at most 256 cached).
        s.mark()
        s.type("mem\r")
        m = s.expect(r"task stacks: \d+ allocated \(peak \d+\), (\d+) of them cached", T)
        prompt_back = s.expect(re.escape(PROMPT), T)
        check("stacks-returned-after-run", bool(m and prompt_back and int(m.group(1)) <= 256),
              f"stacks still cached after run uts t1: {m.group(1) if m else 'no mem reply'}")
        command("run messaging", r"messaging: 51200 of 51200 messages, .*checksum ok", name="run-messaging")
        command("run uts t9", r"run: the UTS trees are t1 and t3; usage: run fib N", name="run-uts-bad-tree")
        command("load uts", r"load 3: 1 uts tasks started", name="load-uts")
        command("load messaging 2", r"load 4: 2 messaging tasks started", name="load-messaging")
        command("bench yield", r"bench: the benchmarks need a quiet machine", name="bench-refused-under-load")
        command("load stop", r"load 3 \(uts\) stopped: 1 tasks joined", r"load 4 \(messaging\) stopped: 2 tasks joined",
                name="load-stop-uts-messaging")
        command("bench yield", r"yield: 40000 switches", r"bench: done; lockfree ready queues", name="bench-yield")
        command("bench frob", r'bench: unknown benchmark in "frob"; usage: bench', name="bench-unknown")
        command("trace dump", r"trace: nothing recorded", name="trace-dump-empty")
        command("trace on", r"trace: recording", name="trace-on")
        command("run fib 10", r"fib\(10\) = 55", name="run-fib-traced")
        command("trace off", r"trace: stopped", name="trace-off")
        command("trace dump", r"TRACE-BEGIN cpus=\d+", r"T \d+ \d+ switch", r"TRACE-END records=\d+", r"trace: dump done",
                name="trace-dump")
        # The torture from the console (docs/reliability.md): 5 s, a fixed seed, PASS.
        command("torture 5 7", r"torture: verdict PASS", r"torture: PASS", name="torture-from-console")
        command("ps", r"\d+  console +running", r"\b1 tasks: 1 running, 0 ready, 0 blocked, 0 sleeping",
                r"\b0 tasks alive besides the console", name="ps-after-all-stopped")
        command("uptime", r"up \d+:\d\d:\d\d", name="uptime")
        # poweroff: QEMU must end through ACPI (there is no debug-exit device here).
        s.mark()
        s.type("poweroff\r")
        said = s.expect(r"poweroff: ACPI", T)
        try:
            qemu.wait(timeout=T)
            exited = True
        except subprocess.TimeoutExpired:
            exited = False
        check("poweroff-ends-qemu", bool(said) and exited and qemu.returncode == 0,
              f"said={bool(said)} exited={exited} rc={qemu.returncode}")
    if qemu.poll() is None:
        qemu.kill()
        qemu.wait()
    sock.close()
    log.close()
    shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
