// What CPUID says about the CPUs: vendor, brand, the features the kernel cares about, and
// how an APIC ID splits into package / core / SMT thread.
#pragma once
#include <cstdint>

#include "arch/x86_64/percpu.h"

namespace arch {

struct CpuFeatures {
    bool apic = false;
    bool x2apic = false;
    bool tsc_deadline = false;  // CPUID.1:ECX[24]
    bool invariant_tsc = false;  // CPUID.80000007h:EDX[8]
    bool mwait = false;
    bool nx = false;
    bool pages_1g = false;
    bool hypervisor = false;
};

struct CpuInfo {
    char vendor[13] = {};
    char brand[49] = {};
    uint32_t family = 0, model = 0, stepping = 0;
    uint32_t max_basic_leaf = 0, max_extended_leaf = 0;
    CpuFeatures features;
    // APIC ID layout: bits [0, smt_bits) are the thread, [smt_bits, package_shift) the core.
    uint32_t smt_bits = 0;
    uint32_t package_shift = 0;
    const char* topology_source = "none";  // "0x1f", "0xb", "0x1/0x4", "0x1/0x80000008"
};

// BSP, once, before the LAPIC is set up.
void cpuinfo_init();
const CpuInfo& cpuinfo();

// The APIC ID CPUID reports for the calling CPU (x2APIC ID from leaf 0xB when present).
uint32_t cpuid_apic_id();
// Splits an APIC ID with the layout found by cpuinfo_init().
CpuTopology topology_of(uint32_t apic_id);

// One line: vendor, family/model/stepping, brand, features.
void cpuinfo_log();

}  // namespace arch
