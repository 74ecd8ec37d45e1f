#!/usr/bin/env python3
"""Screenshots of the console's `top` under load on the framebuffer, for docs/console.md.

Boots the kernel through OVMF (UEFI: GRUB hands over a linear framebuffer) at -smp 4,
starts background load in three steps, runs `top` at each, and once `top` has drawn its
fifth frame (read on serial) presses a key: `top` stops after a whole frame, which stays
on the screen, and QEMU's `screendump` (through the monitor) takes it. The PPM it writes becomes a PNG
with Python's zlib alone (no image tools needed). Then a key ends `top`, `load stop`, and
`poweroff`. Not part of `make test`: the pictures are documentation.

  test/console_screenshot.py [--kernel build/kernel.elf] [--out docs] [--smp 4]
"""
import argparse
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import console_session as cs  # noqa: E402  (the Session, Monitor and ISO helpers)

OVMF_CODE = "/usr/share/OVMF/OVMF_CODE.fd"


def read_ppm(path):
    """Binary PPM (P6, maxval 255) -> (width, height, RGB bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    fields = []
    pos = 0
    while len(fields) < 4:  # magic, width, height, maxval; '#' comments allowed
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos) + 1
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    pos += 1  # the single whitespace after maxval
    if fields[0] != b"P6" or fields[3] != b"255":
        raise ValueError(f"{path}: not a P6 PPM with maxval 255")
    width, height = int(fields[1]), int(fields[2])
    return width, height, data[pos:pos + width * height * 3]


def write_png(path, width, height, rgb):
    """RGB bytes -> an 8-bit truecolour PNG (filter 0 on every row)."""
    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff)
    stride = width * 3
    raw = b"".join(b"\x00" + rgb[y * stride:(y + 1) * stride] for y in range(height))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--kernel", default=os.path.join(root, "build", "kernel.elf"))
    ap.add_argument("--out", default=os.path.join(root, "docs"))
    ap.add_argument("--smp", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args()

    work = tempfile.mkdtemp()
    iso = os.path.join(work, "console.iso")
    serial_path = os.path.join(work, "serial.sock")
    monitor_path = os.path.join(work, "monitor.sock")
    cs.build_iso(args.kernel, "demo=off", iso, os.path.join(root, "iso", "grub.cfg.in"))
    qemu = subprocess.Popen(
        ["qemu-system-x86_64", "-accel", "tcg", "-machine", "q35", "-cpu", "max", "-smp", str(args.smp),
         "-m", "256M", "-display", "none", "-no-reboot", "-cdrom", iso,
         "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
         "-monitor", f"unix:{monitor_path},server=on,wait=off",
         "-serial", f"unix:{serial_path},server=on,wait=on"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    for _ in range(300):
        try:
            sock.connect(serial_path)
            break
        except OSError:
            time.sleep(0.1)
    log = open(os.path.join(work, "serial.log"), "w")
    s = cs.Session(sock, log)
    T = args.timeout
    ok = False
    try:
        if not (s.expect(r"Type help\.", 300) and s.expect(re.escape(cs.PROMPT), T)):
            raise RuntimeError("no prompt")
        mon = cs.Monitor(monitor_path)
        # Each shot: the load it adds, then `top` until its fifth frame is complete (the
        # last line of a frame lists the newest workload), then the screen.
        shots = [
            ("console-top-spin.png", ["load spin 1"], r"load 1: 1 spin"),
            ("console-top-mixed.png", ["load messaging 1"], r"load 2: 1 messaging"),
            ("console-top-full.png", ["load uts 1", "load fib 4"], r"load 4: 4 fib"),
        ]
        for name, commands, last_line in shots:
            for line in commands:
                s.mark()
                s.type(line + "\r")
                s.expect(re.escape(cs.PROMPT), T)
            s.mark()
            s.type("top\r")
            s.expect(r"frame 4 ", T)
            s.expect(last_line, T)
            # A key ends top after a whole frame; the screen keeps that frame (and shows
            # "top: done" and the prompt below it), so the dump is never half a redraw.
            s.mark()
            s.type("q")
            s.expect(r"top: done", T)
            s.expect(re.escape(cs.PROMPT), T)
            time.sleep(0.5)  # not a verdict: lets the prompt's screen write land
            ppm = os.path.join(work, "screen.ppm")
            mon.command(f"screendump {ppm}")
            width, height, rgb = read_ppm(ppm)
            write_png(os.path.join(args.out, name), width, height, rgb)
            print(f"{os.path.join(args.out, name)}: {width}x{height}")
        s.mark()
        s.type("load stop\r")
        s.expect(re.escape(cs.PROMPT), T)
        s.type("poweroff\r")
        qemu.wait(timeout=T)
        ok = True
    finally:
        if qemu.poll() is None:
            qemu.kill()
            qemu.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
