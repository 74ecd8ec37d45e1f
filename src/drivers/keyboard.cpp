// The 8042 probe and the IRQ 1 handler. The controller's status port is 0x64 (bit 0:
// output full, bit 1: input full, bit 5: the byte came from the mouse port); data is 0x60.
#include "drivers/keyboard.h"

#include <atomic>

#include "acpi/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/tsc.h"
#include "lib/log.h"

namespace keyboard {
namespace {

constexpr uint16_t kData = 0x60, kStatusCommand = 0x64;
constexpr uint8_t kStatusOutputFull = 1 << 0, kStatusInputFull = 1 << 1, kStatusFromMouse = 1 << 5;
constexpr uint8_t kCmdReadConfig = 0x20, kCmdWriteConfig = 0x60, kCmdDisablePort2 = 0xa7, kCmdSelfTest = 0xaa,
                  kCmdEnablePort1 = 0xae, kCmdDisablePort1 = 0xad, kCmdPulseReset = 0xfe;
constexpr uint8_t kSelfTestPassed = 0x55;
constexpr uint8_t kConfigIrq1 = 1 << 0, kConfigIrq12 = 1 << 1, kConfigPort1ClockOff = 1 << 4, kConfigTranslate = 1 << 6;
constexpr uint8_t kKeyboardIrq = 1;
constexpr uint64_t kWaitNs = 20'000'000;  // per controller handshake; real ones answer in microseconds

std::atomic<ScancodeSink> g_sink{nullptr};  // relaxed: set before IRQ 1 is unmasked

bool wait_status(uint8_t mask, bool want_set) {
    const uint64_t deadline = arch::ns_since_boot() + kWaitNs;
    do {
        const uint8_t status = arch::inb(kStatusCommand);
        if (status == 0xff) return false;  // nothing decodes the port
        if (bool(status & mask) == want_set) return true;
        arch::cpu_relax();
    } while (arch::ns_since_boot() < deadline);
    return false;
}

bool send_command(uint8_t command) {
    if (!wait_status(kStatusInputFull, false)) return false;
    arch::outb(kStatusCommand, command);
    return true;
}

bool send_data(uint8_t byte) {
    if (!wait_status(kStatusInputFull, false)) return false;
    arch::outb(kData, byte);
    return true;
}

bool read_data(uint8_t& byte) {
    if (!wait_status(kStatusOutputFull, true)) return false;
    byte = arch::inb(kData);
    return true;
}

void flush_output() {
    for (int i = 0; i < 32 && (arch::inb(kStatusCommand) & kStatusOutputFull); ++i) (void)arch::inb(kData);
}

void keyboard_interrupt(InterruptFrame&) {
    // One byte per interrupt is the 8042's contract; draining a few more covers a missed edge.
    for (int i = 0; i < 16; ++i) {
        const uint8_t status = arch::inb(kStatusCommand);
        if (!(status & kStatusOutputFull)) break;
        const uint8_t byte = arch::inb(kData);
        if (status & kStatusFromMouse) continue;
        if (auto sink = g_sink.load(std::memory_order_relaxed)) sink(byte);
    }
    arch::lapic::eoi();
}

// The probe proper; `why` names the step that failed.
bool program_controller(const char** why) {
    if (!send_command(kCmdDisablePort1) || !send_command(kCmdDisablePort2)) {
        *why = "no 8042 controller answers";
        return false;
    }
    flush_output();
    uint8_t config = 0;
    if (!send_command(kCmdReadConfig) || !read_data(config)) {
        *why = "the 8042 does not report its configuration";
        return false;
    }
    uint8_t result = 0;
    if (!send_command(kCmdSelfTest) || !read_data(result) || result != kSelfTestPassed) {
        *why = "the 8042 self-test failed";
        return false;
    }
    // The self-test may reset the controller: write the configuration after it.
    config = uint8_t((config | kConfigIrq1 | kConfigTranslate) & ~(kConfigIrq12 | kConfigPort1ClockOff));
    if (!send_command(kCmdWriteConfig) || !send_data(config) || !send_command(kCmdEnablePort1)) {
        *why = "the 8042 does not take its configuration";
        return false;
    }
    flush_output();
    return true;
}

}  // namespace

bool init(const acpi::Madt* madt, uint32_t dest_apic_id, ScancodeSink sink) {
    const char* why = "";
    if (!program_controller(&why)) {
        log_info("keyboard: no PS/2 keyboard (%s); serial input only", why);
        return false;
    }
    if (!madt || arch::ioapic::count() == 0) {
        log_info("keyboard: PS/2 controller found but no IOAPIC to route IRQ 1; serial input only");
        return false;
    }
    g_sink.store(sink, std::memory_order_relaxed);
    arch::set_interrupt_handler(arch::kVectorKeyboard, keyboard_interrupt);
    if (!arch::ioapic::route_isa_irq(*madt, kKeyboardIrq, arch::kVectorKeyboard, dest_apic_id)) return false;
    log_info("keyboard: PS/2 keyboard on IRQ 1 (scan code set 1)");
    return true;
}

void pulse_reset_line() {
    if (send_command(kCmdPulseReset)) arch::delay_us(100000);
}

}  // namespace keyboard
