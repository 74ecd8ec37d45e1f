// The kernel console: every write goes to COM1 and to the screen (VGA text or the
// framebuffer, whichever the boot loader gave us). Writes are serialized by one lock so
// that lines from different CPUs never interleave.
#pragma once
#include <cstddef>

#include "drivers/framebuffer_info.h"

namespace console {

// First thing: early messages need a sink. Registers the console with klog (the sink) and
// with the panic report (panic mode, raw COM1 writes).
void init_serial();
// Picks the screen from what the loader reported (`fb`, and whether it booted through
// UEFI); returns a short description for the log ("vga text 80x25",
// "framebuffer 1024x768x32", "none (...)").
const char* init_screen(const fbcon::FramebufferInfo& fb, bool efi_boot);

// Writes `n` bytes atomically with respect to other console writes.
void write(const char* s, size_t n);
// The same, to COM1 only: bulk machine-readable output (the scheduler trace dump), which
// the screen could not show usefully and would only slow down by scrolling.
void write_serial(const char* s, size_t n);
// The same, to the screen only: the interactive console's line redraw, where serial gets
// ANSI sequences the screen cannot show.
void write_screen(const char* s, size_t n);

// The 16 colours of VGA text mode; the framebuffer draws the same ones.
enum class Colour : uint8_t {
    black,
    blue,
    green,
    cyan,
    red,
    magenta,
    brown,
    light_grey,
    dark_grey,
    light_blue,
    light_green,
    light_cyan,
    light_red,
    light_magenta,
    yellow,
    white,
};
// Screen only: the text in these colours, then back to the default (light grey on black).
void write_screen_coloured(const char* s, size_t n, Colour foreground, Colour background);
// Screen only: blank it, cursor top left (serial gets nothing: it has ANSI for that).
void clear_screen();

// Tests: runs fn(arg) on this CPU with interrupts off and the console lock held, as in
// the middle of a console write. The lockup detector's test uses it to show that a report
// from an NMI that interrupted the lock's holder still gets out (docs/smp.md, "Lockup
// detector"). Nothing else may write to the console meanwhile: it would wait for fn.
void run_with_lock_held(void (*fn)(void* arg), void* arg);

// Panic path: from now on a write by the CPU that already holds the console lock (it
// panicked mid-line) does not wait for itself, and a lock held by another CPU is waited
// for only briefly.
void enter_panic_mode();

}  // namespace console
