// Shared between the smp/*.cpp files and their tests; not an interface for other subsystems.
#pragma once
#include <cstddef>
#include <cstdint>

#include "arch/x86_64/percpu.h"
#include "smp/smp.h"

namespace acpi {
struct Madt;
}

namespace smp::detail {

// What bring-up expected and what happened, for the log and the smp_ tests.
struct BringupReport {
    uint32_t expected[kMaxCpus];  // APIC IDs bring-up tried (BSP first)
    uint32_t expected_count = 0;
    uint32_t ran[kMaxCpus];  // APIC IDs each CPU read from its own LAPIC
    uint32_t ran_count = 0;
    uint32_t missing[kMaxCpus];  // APs that never reported
    uint32_t missing_count = 0;
    uint32_t found = 0;  // enabled CPUs in the MADT (1 without one)
    uint32_t left_out = 0;  // over smp.max_cpus or not addressable
};
const BringupReport& bringup_report();

// bringup.cpp: INIT-SIPI-SIPI for every AP the MADT lists, one at a time.
void bring_up_aps(const acpi::Madt* madt, const Config& config);

// ipi.cpp
void ipi_init();  // installs the IPI and NMI handlers
uint64_t reschedule_count(uint32_t cpu_index);

// call_function.cpp
// Allocates the request slots CPU `index` uses as a sender. Before it can call_on().
bool call_function_prepare_cpu(uint32_t index);
void call_function_set_capacity(uint32_t max_cpus);  // BSP, before any prepare
void call_function_drain(uint32_t cpu_index);  // in the IPI handler (IF=0)

}  // namespace smp::detail
