// The memory facts behind a fault report; arch calls them through the hooks registered here.
#include "mm/fault_hooks.h"

#include "arch/x86_64/backtrace.h"
#include "arch/x86_64/exceptions.h"
#include "lib/log.h"
#include "mm/kstack.h"
#include "mm/layout.h"
#include "mm/paging.h"

extern "C" const char boot_stack_guard[];  // asm/boot.S

namespace mm {

void describe_fault_address(uint64_t address, char* buf, size_t size) {
    uint64_t boot_guard = reinterpret_cast<uint64_t>(boot_stack_guard);
    if (is_guard_page(address))
        ksnprintf(buf, size, "guard page hit (kernel stack overflow?)");
    else if (address >= boot_guard && address < boot_guard + kPageSize)
        ksnprintf(buf, size, "guard page hit (boot stack overflow)");
    else if (address < kPageSize)
        ksnprintf(buf, size, "null pointer dereference");
    else if (buf && size)
        buf[0] = '\0';
}

void fault_hooks_init() {
    ksyms::set_address_probe(&virt_to_phys);
    arch::set_fault_address_describer(&describe_fault_address);
}

}  // namespace mm
