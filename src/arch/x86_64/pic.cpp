// Legacy 8259 PIC pair: remapped away from the exception vectors, then fully masked.
// Everything after boot goes through the local APIC and IOAPIC; the remap only matters
// for a spurious PIC interrupt, which then lands on 0x27/0x2f instead of #DF/#GP.
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"

namespace arch {
namespace {

constexpr uint16_t kMasterCommand = 0x20, kMasterData = 0x21;
constexpr uint16_t kSlaveCommand = 0xa0, kSlaveData = 0xa1;
constexpr uint8_t kIcw1Init = 0x11;  // ICW1: init, ICW4 follows, cascade, edge
constexpr uint8_t kIcw4Mode8086 = 0x01;
constexpr uint8_t kMasterVectorBase = 0x20, kSlaveVectorBase = 0x28;

// Port 0x80 is unused POST-code space: a write costs ~1 us, the settle time old PICs need.
void io_wait() { outb(0x80, 0); }

}  // namespace

void pic_remap_and_mask() {
    outb(kMasterCommand, kIcw1Init);
    io_wait();
    outb(kSlaveCommand, kIcw1Init);
    io_wait();
    outb(kMasterData, kMasterVectorBase);
    io_wait();
    outb(kSlaveData, kSlaveVectorBase);
    io_wait();
    outb(kMasterData, 1u << 2);
    io_wait();  // slave on IRQ 2
    outb(kSlaveData, 2);
    io_wait();  // slave cascade identity
    outb(kMasterData, kIcw4Mode8086);
    io_wait();
    outb(kSlaveData, kIcw4Mode8086);
    io_wait();
    outb(kMasterData, 0xff);
    outb(kSlaveData, 0xff);
}

}  // namespace arch
