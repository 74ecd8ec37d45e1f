// AP bring-up: trampoline in low memory, INIT-SIPI-SIPI per AP (one at a time), and the
// AP's first C++ code. Sequential start keeps the trampoline's single data block and the
// dense CPU indices simple; on TCG each AP costs ~10-20 ms, dominated by the INIT wait.
#include <atomic>

#include "acpi/acpi.h"
#include "acpi/platform.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpuinfo.h"
#include "arch/x86_64/interrupts.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/tsc.h"
#include "lib/libc.h"
#include "lib/log.h"
#include "mm/frames.h"
#include "mm/heap.h"
#include "mm/kstack.h"
#include "mm/layout.h"
#include "mm/paging.h"
#include "smp/smp.h"
#include "smp/smp_internal.h"

extern "C" const uint8_t trampoline_start[], trampoline_end[], trampoline_data[];

namespace smp {
namespace detail {
BringupReport g_report;
const BringupReport& bringup_report() { return g_report; }
}  // namespace detail

namespace {

using detail::g_report;

// Mirrors the data block at the end of asm/trampoline.S.
struct TrampolineData {
    uint64_t cr3;
    uint64_t efer;
    uint64_t stack_top;
    uint64_t entry;
    uint64_t arg;
    uint64_t apic_id;  // the trampoline halts an AP whose CPUID APIC ID differs (a late AP)
};

constexpr uint64_t kPagePresent = 1, kPageWritable = 2, kPageLarge = 1ull << 7;
constexpr uint64_t kEferLme = 1ull << 8, kEferLma = 1ull << 10;
constexpr uint32_t kInitWaitUs = 10000;  // INIT, then 10 ms (SDM 8.4.4.1)
constexpr uint32_t kSipiWaitUs = 200;  // each SIPI, then 200 us
constexpr size_t kApStackPages = 4;
constexpr size_t kIstStackPages = 2;

struct Trampoline {
    uint64_t code_phys = 0;
    uint64_t pml4_phys = 0;
    TrampolineData* data = nullptr;
};
Trampoline g_trampoline;

// What the AP needs from the BSP beyond the trampoline data; written before the SIPI.
uint64_t g_bsp_cr0 = 0, g_bsp_cr4 = 0;
const acpi::Madt* g_madt = nullptr;

// release (AP, when fully up): pairs with the BSP's acquire poll in start_ap(); everything
// the AP did before (its registration, its entry in ran[]) is then visible to the BSP.
std::atomic<arch::PerCpu*> g_arrived{nullptr};

// Decides a late AP's race against the BSP's timeout: whoever moves it out of `open`
// first wins. The AP claims it before it registers; the BSP revokes it when it gives up,
// and an AP that then finds it revoked parks itself instead of taking an index the BSP
// is about to hand to the next AP. acq_rel on both CASes; the winner's earlier writes
// are seen by the loser.
enum StartClaim : uint32_t { kClaimOpen, kClaimTaken, kClaimRevoked };
std::atomic<uint32_t> g_claim{kClaimOpen};

uint64_t read_cr0() {
    uint64_t v;
    asm volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}
uint64_t read_cr4() {
    uint64_t v;
    asm volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

// Page-table frames must be below 4 GiB: the AP loads CR3 while still in 32-bit mode.
std::optional<uint64_t> alloc_table_frame() {
    if (auto low = mm::alloc_low_frame()) {
        memset(mm::phys_to_virt(*low), 0, mm::kPageSize);
        return low;
    }
    auto f = mm::alloc_frame();
    if (f && *f + mm::kPageSize <= (1ull << 32)) return f;
    if (f) mm::free_frame(*f);
    return std::nullopt;
}

bool install_trampoline() {
    size_t size = size_t(trampoline_end - trampoline_start);
    auto code = mm::alloc_low_frame();
    if (!code) {
        log_warn("smp: no free page below 1 MiB for the AP trampoline");
        return false;
    }
    if (*code >= 0x100000 || (*code & 0xfff) || size > mm::kPageSize) {
        log_warn("smp: trampoline page 0x%lx unusable", (unsigned long)*code);
        return false;
    }
    auto pml4 = alloc_table_frame(), pdpt = alloc_table_frame(), pd = alloc_table_frame();
    if (!pml4 || !pdpt || !pd) {
        log_warn("smp: no page-table frames below 4 GiB for the AP trampoline");
        return false;
    }
    memcpy(mm::phys_to_virt(*code), trampoline_start, size);
    // Identity map of 0-2 MiB (one large page) so the trampoline keeps running after
    // paging is on; the upper half is refreshed from the kernel PML4 before each start.
    mm::phys_to_ptr<uint64_t>(*pml4)[0] = *pdpt | kPagePresent | kPageWritable;
    mm::phys_to_ptr<uint64_t>(*pdpt)[0] = *pd | kPagePresent | kPageWritable;
    mm::phys_to_ptr<uint64_t>(*pd)[0] = 0 | kPagePresent | kPageWritable | kPageLarge;
    g_trampoline.code_phys = *code;
    g_trampoline.pml4_phys = *pml4;
    g_trampoline.data = mm::phys_to_ptr<TrampolineData>(*code + size_t(trampoline_data - trampoline_start));
    return true;
}

void refresh_upper_half() {
    const uint64_t* kernel = mm::phys_to_ptr<const uint64_t>(mm::kernel_cr3());
    uint64_t* temp = mm::phys_to_ptr<uint64_t>(g_trampoline.pml4_phys);
    for (int i = 256; i < 512; ++i) temp[i] = kernel[i];
}

uint32_t acpi_uid_of(uint32_t apic_id) {
    if (!g_madt) return ~0u;
    for (size_t i = 0; i < g_madt->cpu_count; ++i)
        if (g_madt->cpus[i].apic_id == apic_id) return g_madt->cpus[i].acpi_uid;
    return ~0u;
}

// release (start_ap_main): pairs with the acquire load in ap_idle_loop(), so whatever
// the main loop needs was set up before an AP calls it.
std::atomic<ApMain> g_ap_main{nullptr};

[[noreturn]] void ap_idle_loop() {
    ApMain returned = nullptr;  // a main that returned is not called again
    for (;;) {
        // Interrupts off from the check to the hlt (sti takes effect after hlt starts),
        // so the wakeup IPI of start_ap_main() cannot slip in between and be lost.
        arch::cli();
        ApMain fn = g_ap_main.load(std::memory_order_acquire);
        if (fn && fn != returned) {
            arch::sti();
            fn();
            returned = fn;
            continue;
        }
        arch::sti_halt();  // IPIs and timer ticks are served from here
    }
}

// The AP's first C++ code, on its own kernel stack, still on the temporary page tables.
[[noreturn]] void ap_entry(arch::PerCpu* pc) {
    arch::write_cr3(mm::kernel_cr3());
    asm volatile("mov %0, %%cr4" ::"r"(g_bsp_cr4) : "memory");
    asm volatile("mov %0, %%cr0" ::"r"(g_bsp_cr0) : "memory");
    arch::percpu_install(*pc);
    arch::idt_load();
    arch::lapic::init_this_cpu();
    uint32_t apic_id = arch::lapic::id();
    if (g_madt) arch::lapic::apply_nmi_entries(*g_madt, acpi_uid_of(apic_id));
    arch::timer::init_this_cpu();
    pc->topology = arch::topology_of(apic_id);
    uint32_t open = kClaimOpen;
    if (!g_claim.compare_exchange_strong(open, kClaimTaken, std::memory_order_acq_rel)) {
        for (;;) {  // the BSP gave up on us: stay out of everything
            arch::cli();
            arch::halt();
        }
    }
    // The BSP is blocked in start_ap() until g_arrived is set, so ran[] has one writer.
    g_report.ran[g_report.ran_count++] = apic_id;
    if (apic_id != pc->apic_id)
        log_warn("smp: cpu %u expected APIC ID %u but reads %u", pc->index, pc->apic_id, apic_id);
    arch::percpu_register_online(*pc);
    g_arrived.store(pc, std::memory_order_release);  // pairs with the acquire in start_ap()
    ap_idle_loop();
}

// The zeroed per-CPU block for a new CPU index, with its own guarded IST stacks; nullptr
// when out of memory.
arch::PerCpu* alloc_percpu(uint32_t index, uint32_t apic_id) {
    if (index >= kMaxCpus) return nullptr;
    auto* pc = static_cast<arch::PerCpu*>(mm::kmalloc(sizeof(arch::PerCpu), 64));
    if (pc == nullptr) return nullptr;
    memset(pc, 0, sizeof(arch::PerCpu));
    pc->self = pc;
    pc->index = index;
    pc->apic_id = apic_id;
    mm::KernelStack stacks[arch::kIstStacks];
    for (int i = 0; i < arch::kIstStacks; ++i) {
        stacks[i] = mm::alloc_kernel_stack(kIstStackPages);
        if (!stacks[i].valid()) {
            for (int j = 0; j < i; ++j) mm::free_kernel_stack(stacks[j]);
            mm::kfree(pc);
            return nullptr;
        }
        pc->tss.ist[i] = stacks[i].top;
    }
    return pc;
}

enum class StartResult { online, timed_out, no_memory };

StartResult start_ap(uint32_t apic_id, uint32_t index, uint32_t timeout_ms, bool simulate_failure) {
    arch::PerCpu* pc = alloc_percpu(index, apic_id);
    mm::KernelStack stack = mm::alloc_kernel_stack(kApStackPages);
    if (!pc || !stack.valid() || !detail::call_function_prepare_cpu(index)) {
        log_warn("smp: out of memory preparing APIC ID %u; left out", apic_id);
        return StartResult::no_memory;
    }
    refresh_upper_half();
    TrampolineData* d = g_trampoline.data;
    d->cr3 = g_trampoline.pml4_phys;
    d->efer = (arch::rdmsr(arch::MSR_EFER) & ~kEferLma) | kEferLme;  // NXE as the BSP has it
    d->stack_top = stack.top;
    d->entry = reinterpret_cast<uint64_t>(&ap_entry);
    d->arg = reinterpret_cast<uint64_t>(pc);
    d->apic_id = apic_id;
    g_arrived.store(nullptr, std::memory_order_relaxed);  // only the AP we start next writes it
    g_claim.store(kClaimOpen, std::memory_order_relaxed);  // published by the INIT-SIPI below
    // The trampoline and data stores above must be visible before the AP runs: the ICR
    // write that sends INIT is ordered after them (UC MMIO, or the fence in send_ipi for
    // x2APIC).
    using arch::lapic::Delivery;
    arch::lapic::write(arch::lapic::kRegEsr, 0);
    arch::lapic::send_ipi(apic_id, 0, Delivery::init);
    arch::delay_us(kInitWaitUs);
    if (simulate_failure) {
        log_info("smp: expect_ap_failure: not sending SIPI to APIC ID %u (tests the timeout path)", apic_id);
    } else {
        uint8_t vector = uint8_t(g_trampoline.code_phys >> 12);
        arch::lapic::send_ipi(apic_id, vector, Delivery::startup);
        arch::delay_us(kSipiWaitUs);
        // A CPU that already left wait-for-SIPI ignores the second one (SDM 8.4.4.1).
        if (!g_arrived.load(std::memory_order_acquire)) {
            arch::lapic::send_ipi(apic_id, vector, Delivery::startup);
            arch::delay_us(kSipiWaitUs);
        }
    }
    uint64_t deadline = arch::ns_since_boot() + uint64_t(timeout_ms) * 1000000;
    while (!g_arrived.load(std::memory_order_acquire)) {  // pairs with ap_entry()'s release
        if (arch::ns_since_boot() > deadline) {
            uint32_t open = kClaimOpen;
            if (!g_claim.compare_exchange_strong(open, kClaimRevoked, std::memory_order_acq_rel))
                continue;  // it claimed its start just now: it is registering, wait for it
            // Park it again with INIT, so it cannot wake up later and run on memory the
            // next AP is given. Its block and stack are leaked on purpose for the same reason.
            arch::lapic::send_ipi(apic_id, 0, Delivery::init);
            return StartResult::timed_out;
        }
        arch::cpu_relax();
    }
    return StartResult::online;
}

bool contains(const uint32_t* ids, uint32_t n, uint32_t id) {
    for (uint32_t i = 0; i < n; ++i)
        if (ids[i] == id) return true;
    return false;
}

}  // namespace

void start_ap_main(ApMain fn) {
    g_ap_main.store(fn, std::memory_order_release);  // pairs with ap_idle_loop()
    send_ipi_all_but_self(Ipi::reschedule);  // wake the halted APs to look
}

namespace detail {

void bring_up_aps(const acpi::Madt* madt, const Config& config) {
    g_madt = madt;
    uint32_t bsp_id = arch::this_cpu()->apic_id;
    g_report.expected[g_report.expected_count++] = bsp_id;
    g_report.ran[g_report.ran_count++] = arch::lapic::id();
    g_report.found = 1;

    // The MADT's enabled CPUs, each once, BSP first. Duplicates and IDs the current APIC
    // mode cannot address are skipped with a line each.
    uint32_t candidates[kMaxCpus];
    uint32_t candidate_count = 0;
    bool bsp_listed = false;
    for (size_t i = 0; madt && i < madt->cpu_count; ++i) {
        const acpi::MadtCpu& c = madt->cpus[i];
        if (!c.enabled) continue;
        if (c.apic_id == bsp_id) {
            bsp_listed = true;
            continue;
        }
        if (contains(candidates, candidate_count, c.apic_id)) {
            log_warn("smp: MADT lists APIC ID %u twice; ignoring the repeat", c.apic_id);
            continue;
        }
        ++g_report.found;
        if (c.apic_id > arch::lapic::max_addressable_id()) {
            log_warn("smp: APIC ID %u not addressable in %s mode; left out", c.apic_id, arch::lapic::mode_name());
            ++g_report.left_out;
            continue;
        }
        if (candidate_count < kMaxCpus - 1) candidates[candidate_count++] = c.apic_id;
    }
    if (madt && !bsp_listed) log_warn("smp: the BSP (APIC ID %u) is not in the MADT", bsp_id);

    uint32_t max_cpus = config.max_cpus ? config.max_cpus : 1;
    if (max_cpus > kMaxCpus) max_cpus = kMaxCpus;
    if (candidate_count + 1 > max_cpus) {
        log_info("smp: smp.max_cpus=%u: leaving %u CPUs out", max_cpus, candidate_count + 1 - max_cpus);
        g_report.left_out += candidate_count + 1 - max_cpus;
        candidate_count = max_cpus - 1;
    }
    call_function_set_capacity(candidate_count + 1);
    call_function_prepare_cpu(0);
    if (candidate_count == 0 || !arch::lapic::ready()) return;
    if (!install_trampoline()) {
        log_warn("smp: cannot start APs; running on the BSP only");
        g_report.left_out += candidate_count;
        return;
    }
    g_bsp_cr0 = read_cr0();
    g_bsp_cr4 = read_cr4();

    uint32_t next_index = 1;
    for (uint32_t i = 0; i < candidate_count; ++i) {
        uint32_t apic_id = candidates[i];
        g_report.expected[g_report.expected_count++] = apic_id;
        bool simulate = config.expect_ap_failure && i == candidate_count - 1;
        switch (start_ap(apic_id, next_index, config.ap_timeout_ms, simulate)) {
            case StartResult::online:
                ++next_index;
                break;
            case StartResult::timed_out:
                log_warn("smp: AP with APIC ID %u did not report within %u ms; left out", apic_id,
                         config.ap_timeout_ms);
                g_report.missing[g_report.missing_count++] = apic_id;
                break;
            case StartResult::no_memory:
                g_report.missing[g_report.missing_count++] = apic_id;
                break;
        }
    }
}

}  // namespace detail
}  // namespace smp
