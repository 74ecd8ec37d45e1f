// smp::init: the platform steps between "memory and IDT work" and "every CPU is online",
// in the order they depend on each other.
#include "smp/smp.h"

#include "acpi/platform.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpuinfo.h"
#include "arch/x86_64/panic_report.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/timer.h"
#include "lib/log.h"
#include "smp/smp_internal.h"

namespace smp {
namespace {

uint32_t bsp_acpi_uid(const acpi::Madt& madt, uint32_t apic_id) {
    for (size_t i = 0; i < madt.cpu_count; ++i)
        if (madt.cpus[i].apic_id == apic_id) return madt.cpus[i].acpi_uid;
    return ~0u;
}

void log_cpus() {
    const detail::BringupReport& r = detail::bringup_report();
    log_info("smp: %u/%u cpus online", arch::cpu_count(), r.found);
    for (uint32_t i = 0; i < arch::cpu_count(); ++i) {
        const arch::PerCpu& c = arch::cpu(i);
        log_info("smp: cpu %u apic %u package %u core %u thread %u", c.index, c.apic_id, c.topology.package,
                 c.topology.core, c.topology.thread);
    }
    for (uint32_t i = 0; i < r.missing_count; ++i)
        log_warn("smp: APIC ID %u is missing (never reported)", r.missing[i]);
}

}  // namespace

void init(const Config& config) {
    arch::set_panic_stop_other_cpus(&stop_other_cpus);  // a panic from here on stops the APs too
    arch::cpuinfo_init();
    arch::cpuinfo_log();

    bool has_madt = acpi::discover(config.loader_rsdp);
    const acpi::Madt* madt = has_madt ? &acpi::platform().madt : nullptr;

    arch::pic_remap_and_mask();
    uint64_t lapic_base = 0;
    if (madt) lapic_base = madt->lapic_address_override ? madt->lapic_address_override : madt->lapic_address;
    arch::lapic::init_bsp(config.x2apic, lapic_base);
    detail::ipi_init();

    arch::PerCpu& bsp = *arch::this_cpu();
    if (arch::lapic::ready()) bsp.apic_id = arch::lapic::id();  // the full x2APIC ID when in that mode
    bsp.topology = arch::topology_of(bsp.apic_id);
    if (madt && arch::lapic::ready()) arch::lapic::apply_nmi_entries(*madt, bsp_acpi_uid(*madt, bsp.apic_id));

    arch::timer::calibrate();
    arch::timer::init_this_cpu();

    if (madt) arch::ioapic::init(*madt);
    arch::serial_irq_init(madt, bsp.apic_id);

    detail::bring_up_aps(madt, config);
    // From here the BSP serves IPIs (call-function, reschedule) and the COM1 interrupt.
    arch::sti();
    log_cpus();
}

}  // namespace smp
