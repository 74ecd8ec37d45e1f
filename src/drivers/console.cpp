// Fan-out of console writes to serial and the screen, under one spinlock.
#include "drivers/console.h"

#include <atomic>
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/panic_report.h"
#include "arch/x86_64/percpu.h"
#include "drivers/framebuffer.h"
#include "drivers/serial.h"
#include "drivers/vga_text.h"
#include "lib/log.h"
#include "lib/spinlock.h"

namespace console {
namespace {

enum class Screen { none, vga_text, framebuffer };
Screen g_screen = Screen::none;

Spinlock g_lock;
constexpr uint32_t kNoOwner = ~0u;
// Which CPU holds g_lock; only the panic path and NMI handlers read it. relaxed: the
// holder writes it after acquiring and it is only compared with the reader's own index,
// which only that CPU itself could have stored. (An NMI that lands between lock() and
// this store sees another value and waits its bounded time, then writes anyway.)
std::atomic<uint32_t> g_owner{kNoOwner};
// relaxed: set once by the panicking CPU, which reads its own store; another CPU that
// misses it just keeps taking the lock normally, which is what it should do anyway.
std::atomic<bool> g_panic_mode{false};
// About a second of spinning in TCG; after that a panicking CPU writes regardless.
constexpr uint64_t kPanicLockSpins = 50'000'000;

char g_screen_description[64];

void emit(const char* s, size_t n, bool to_screen, bool to_serial = true) {
    if (to_serial) serial::write(s, n);
    if (!to_screen) return;
    if (g_screen == Screen::vga_text)
        vga_text::write(s, n);
    else if (g_screen == Screen::framebuffer)
        fbcon::write(s, n);
}

}  // namespace

void init_serial() {
    serial::init();
    // From here log lines have somewhere to go, and a panic report can get past a console
    // lock its own CPU holds (and write raw COM1 lines if it faults itself).
    klog::set_sink(&write);
    arch::set_panic_console(&enter_panic_mode, &serial::write);
}

const char* init_screen(const fbcon::FramebufferInfo& fb, bool efi_boot) {
    if (fb.present && fb.type == 2) {
        // EGA text as described by GRUB (width/height are in characters).
        vga_text::init(fb.phys_addr, fb.width, fb.height);
        g_screen = Screen::vga_text;
        ksnprintf(g_screen_description, sizeof g_screen_description, "vga text %ux%u", fb.width, fb.height);
    } else if (fb.present) {
        const char* why = "";
        if (fbcon::init(fb, &why)) {
            g_screen = Screen::framebuffer;
            ksnprintf(g_screen_description, sizeof g_screen_description, "framebuffer %ux%ux%u at 0x%llx", fb.width,
                      fb.height, unsigned(fb.bpp), (unsigned long long)fb.phys_addr);
        } else {
            ksnprintf(g_screen_description, sizeof g_screen_description, "none (framebuffer %s)", why);
        }
    } else if (!efi_boot) {
        // BIOS boot without a framebuffer tag: the standard text buffer is there.
        vga_text::init(0xb8000, 80, 25);
        g_screen = Screen::vga_text;
        ksnprintf(g_screen_description, sizeof g_screen_description, "vga text 80x25 (assumed)");
    } else {
        ksnprintf(g_screen_description, sizeof g_screen_description, "none (UEFI without a framebuffer)");
    }
    return g_screen_description;
}

namespace {

void set_screen_colours(uint8_t foreground, uint8_t background) {
    if (g_screen == Screen::vga_text)
        vga_text::set_colours(foreground, background);
    else if (g_screen == Screen::framebuffer)
        fbcon::set_colours(foreground, background);
}

void reset_screen_colours() {
    if (g_screen == Screen::vga_text)
        vga_text::reset_colours();
    else if (g_screen == Screen::framebuffer)
        fbcon::reset_colours();
}

// Holds the console lock for a scope, so lines of different CPUs never interleave.
//
// Two writers cannot simply wait for the lock. A panicking CPU may itself hold it (it
// panicked mid-line) or find it held by a CPU that will never let go. An NMI handler (the
// lockup detector's report) may have interrupted its own CPU inside a console write, with
// the lock held: waiting would deadlock. Both wait a bounded time for a lock held by
// another CPU (about a second under TCG; the holder is normally just finishing a line)
// and then write without it; a lock held by their own CPU is not waited for at all.
// Without the lock, an NMI leaves the screen alone (screen_usable()): the screen drivers
// keep a cursor and colours that the interrupted write may be halfway through updating.
class ConsoleLock {
public:
    ConsoleLock() {
        arch::PerCpu* cpu = arch::this_cpu_safe();
        const uint32_t me = cpu->index;
        m_in_nmi = cpu->nmi_nesting != 0;
        if (!g_panic_mode.load(std::memory_order_relaxed) && !m_in_nmi) {
            g_lock.lock();
            m_locked = true;
        } else if (g_owner.load(std::memory_order_relaxed) != me) {
            for (uint64_t i = 0; i < kPanicLockSpins && !(m_locked = g_lock.try_lock()); ++i) arch::cpu_relax();
        }
        if (m_locked) g_owner.store(me, std::memory_order_relaxed);
    }
    ~ConsoleLock() {
        if (!m_locked) return;
        g_owner.store(kNoOwner, std::memory_order_relaxed);
        g_lock.unlock();
    }
    ConsoleLock(const ConsoleLock&) = delete;
    ConsoleLock& operator=(const ConsoleLock&) = delete;

    bool screen_usable() const { return m_locked || !m_in_nmi; }

private:
    arch::InterruptGuard m_irq;  // an interrupt handler that logs must not spin on its own CPU
    bool m_locked = false;
    bool m_in_nmi = false;
};

void locked_emit(const char* s, size_t n, bool to_screen, bool to_serial = true) {
    ConsoleLock lock;
    emit(s, n, to_screen && lock.screen_usable(), to_serial);
}

}  // namespace

void write(const char* s, size_t n) { locked_emit(s, n, true); }

void write_serial(const char* s, size_t n) { locked_emit(s, n, false); }

void write_screen(const char* s, size_t n) { locked_emit(s, n, true, false); }

void write_screen_coloured(const char* s, size_t n, Colour foreground, Colour background) {
    ConsoleLock lock;
    if (!lock.screen_usable()) return;
    set_screen_colours(uint8_t(foreground), uint8_t(background));
    emit(s, n, true, false);
    reset_screen_colours();
}

void clear_screen() {
    ConsoleLock lock;
    if (!lock.screen_usable()) return;
    if (g_screen == Screen::vga_text)
        vga_text::clear();
    else if (g_screen == Screen::framebuffer)
        fbcon::clear();
}

void run_with_lock_held(void (*fn)(void*), void* arg) {
    ConsoleLock lock;  // this CPU holds it, interrupts off, as in the middle of a write
    fn(arg);
}

void enter_panic_mode() { g_panic_mode.store(true, std::memory_order_relaxed); }

}  // namespace console
