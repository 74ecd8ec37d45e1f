// Starting the scheduler ("Starting the scheduler"): the shared state, each CPU's run structures and
// idle task, and the boot context turned into the "init" task.
#include <atomic>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/timer.h"
#include "lib/log.h"
#include "lib/panic.h"
#include "sched/kernel/kernel_glue.h"
#include "sched/scheduler.h"
#include "sched/kernel/switch_frame.h"
#include "sched/kernel/task_memory.h"
#include "sched/trace/trace.h"
#include "smp/smp.h"

namespace sched {
// Built by the global constructors (no allocation); start() fills it in. Reached through
// shared() (kernel_glue.h), inline: this_cpu_sched() runs on every scheduler path.
SchedShared g_shared_state{kMaxCpus};

namespace {

constexpr uint64_t kBackstopNs = 20'000'000;  // "The idle/wakeup protocol"
constexpr uint64_t kApJoinTimeoutNs = 2'000'000'000;

// Built by the global constructors (none of these allocates); start() fills them in.
// The boot context of the BSP becomes this task; its stack is the boot stack.
Task g_init_task;
// relaxed: set once by the BSP before any other CPU or task could ask.
std::atomic<bool> g_started{false};

void on_reschedule_ipi() {
    // A wakeup's work is done by interrupting hlt; the idle loop re-checks on its own. A
    // hotplug request also needs the running task off this CPU ("Preemption, timers and sleep", "CPU hotplug").
    CpuSched& me = this_cpu_sched();
    trace::hook(me.index, trace::Event::ipi_recv, 0u, 0);
    me.stats.wake_ipis_received.add();
    hotplug_on_kick(me);
    // hotplug_on_kick() may have switched this task away and back, maybe to another CPU.
    CpuSched& here = this_cpu_sched();
    // A realtime task was queued here (placement.cpp, request_realtime_preempt()).
    // acquire: pairs with the placer's release store.
    if (here.preempt_for_realtime.exchange(false, std::memory_order_acquire)) {
        // relaxed: our own CPU's field.
        Task* current = here.current.load(std::memory_order_relaxed);
        if (current != nullptr && !current->is_idle_task && current->priority != Priority::realtime) {
            if (preemption_blocked(here)) {
                defer_preemption(here);  // preempt_enable() switches to the realtime task
                return;
            }
            here.stats.realtime_preemptions.add();
            schedule(PickReason::preempted);  // EOI was sent before the hook, as for the tick
        }
    }
}

Task* make_idle_task(uint32_t index) {
    Task* idle = allocate_task_memory();
    if (!idle) panic("sched: no memory for the idle task of cpu %u", index);
    idle->id = 0;
    ksnprintf(idle->name, sizeof idle->name, "idle/%u", index);
    idle->priority = Priority::idle;
    idle->is_idle_task = true;
    idle->affinity_requested = CpuMask::single(index);
    idle->affinity = idle->affinity_requested;
    idle->last_cpu = uint16_t(index);
    // release: for `ps`'s walk over task memory (registry.cpp), whose acquire load of the
    // state must see id 0 (an idle task is live but not listed). The idle task is never
    // queued; only its own CPU ever runs it.
    idle->state.store(TaskState::ready, std::memory_order_release);
    idle->saved_rsp = build_switch_frame(task_stack_top(idle), &idle_task_main, idle);
    return idle;
}

void build_victims(CpuSched& cpu, uint32_t count) {
    CpuPlace places[kMaxCpus];
    for (uint32_t i = 0; i < count; ++i) {
        const arch::CpuTopology& topo = arch::cpu(i).topology;
        places[i] = CpuPlace{topo.package, topo.core};
    }
    cpu.victims.build(cpu.index, std::span<const CpuPlace>(places, count));
}

// Switches from a CPU's boot context into its idle task, for good. `boot` stands for the
// abandoned context: it lives on a stack nobody frees, and only finish_switch touches it.
[[noreturn]] void enter_idle_task(CpuSched& cpu, Task& boot) {
    Task* idle = cpu.idle_task;
    // relaxed: only this CPU ever runs its idle task.
    idle->on_cpu.store(true, std::memory_order_relaxed);
    // release: as in make_idle_task(), for `ps`'s walk.
    idle->state.store(TaskState::running, std::memory_order_release);
    idle->slice_start_tsc = platform::now_tsc();
    cpu.current.store(idle, std::memory_order_relaxed);  // relaxed: read by dumps only
    boot.state.store(TaskState::running, std::memory_order_relaxed);
    // The boot context is on this CPU until the idle task's finish_switch() releases it.
    boot.on_cpu.store(true, std::memory_order_relaxed);
    sched_switch(&boot.saved_rsp, idle->saved_rsp, &boot);
    __builtin_unreachable();
}

// Every AP's main loop (smp::start_ap_main): join the scheduler, then idle.
[[noreturn]] void ap_main() {
    arch::cli();  // ap_idle_loop calls us with IF=1; the idle task runs with IF=0
    CpuSched& cpu = this_cpu_sched();
    join_scheduler(cpu);
    Task boot;
    enter_idle_task(cpu, boot);
}

// Bounded: an AP that never joins is reported and left out (placement skips it).
void wait_for_aps(SchedShared& s) {
    uint64_t deadline = platform::now_tsc() + platform::tsc_from_ns(kApJoinTimeoutNs);
    CpuMask all = CpuMask::first(s.cpu_count);
    for (;;) {
        // acquire: pairs with the seq_cst add in join_scheduler(); a joined CPU is set up.
        CpuMask online = s.online.load(std::memory_order_acquire);
        if (online == all) return;
        if (platform::now_tsc() > deadline) {
            for (uint32_t i = 0; i < s.cpu_count; ++i)
                if (!online.contains(i)) log_warn("sched: cpu %u did not join the scheduler; it stays idle", i);
            return;
        }
        arch::cpu_relax();
    }
}

// Set once by the BSP in start(), with interrupts off, before the tick callback exists.
void (*g_on_cpu0_tick)() = nullptr;

}  // namespace

void dump_state() {
    SchedShared& s = g_shared_state;
    for (uint32_t i = 0; i < s.cpu_count; ++i) {
        // relaxed: a diagnostic snapshot; the task may change under us, and its memory
        // stays mapped (task memory is cached, never unmapped outside trim).
        Task* t = s.cpu(i).current.load(std::memory_order_relaxed);
        klog::print("cpu %u: running %s (id %llu)\n", i, t ? t->name : "-", t ? (unsigned long long)t->id : 0ull);
    }
    dump_metrics();
}


void run_cpu0_tick_hook() {
    if (g_on_cpu0_tick) g_on_cpu0_tick();
}

void join_scheduler(CpuSched& cpu) {
    // The id is free: never used (boot), or released by this CPU's own reset when it
    // parked ("CPU hotplug"; the claim's acquire pairs with that release).
    core::RegisterStatus joined = core::EpochParticipant::try_register(cpu.epoch, cpu.shared.epoch, cpu.index);
    if (joined != core::RegisterStatus::ok)
        panic("sched: epoch id %u is %s", cpu.index,
              joined == core::RegisterStatus::id_taken ? "taken" : "out of range");
    cpu.epoch->go_online();
    // seq_cst: placement and stealing read the mask (acquire); the participant is online
    // before the bit is, so a CPU seen online is a QSBR participant (cpu_offline's grace
    // period waits for it).
    cpu.shared.online.add(cpu.index, std::memory_order_seq_cst);
}

bool started() { return g_started.load(std::memory_order_relaxed); }

void start(const Config& config) {
    arch::InterruptGuard irq_off;
    if (started()) panic("sched::start called twice");
    SchedShared& s = g_shared_state;
    s.config.timeslice_tsc = platform::tsc_from_ns(uint64_t(config.timeslice_us) * 1000);
    // "Stealing and spinning": 30 us by default (sched.spin_us=). Under TCG the TSC runs at host speed
    // while guest code runs several times slower, so the same window covers less work.
    s.config.spin_tsc = platform::tsc_from_ns(uint64_t(config.spin_us) * 1000);
    s.config.backstop_tsc = platform::tsc_from_ns(kBackstopNs);
    uint32_t count = arch::cpu_count();
    s.config.max_spinners = count / 4 > 1 ? count / 4 : 1;
    s.ready = &ready_queues_for(config.backend);
    if (config.trace) trace::start_at_boot(count);  // before any AP enters: "Ready-queue variants and trace hooks"
    for (uint32_t i = 0; i < count; ++i) {
        auto* cpu = new CpuSched(s, i);  // boot: out of memory here panics in operator new
        build_victims(*cpu, count);
        cpu->idle_task = make_idle_task(i);
        s.cpus[i] = cpu;
        // Before the CPU runs any scheduler code: the APs enter ap_main() after this loop.
        arch::cpu(i).scheduler = cpu;
    }
    s.cpu_count = count;

    CpuSched& bsp = s.cpu(0);
    Task& init = g_init_task;
    ksnprintf(init.name, sizeof init.name, "init");
    init.id = 0;
    init.affinity_requested = CpuMask::single(0);
    init.affinity = init.affinity_requested;
    // relaxed: no other CPU knows the task yet.
    init.state.store(TaskState::running, std::memory_order_relaxed);
    init.on_cpu.store(true, std::memory_order_relaxed);
    // Alive + one that is never dropped: init may exit (kmain does, outside tests), but its
    // memory is static and the boot stack, so it must never reach the free path.
    init.refs.store(2, std::memory_order_relaxed);
    init.slice_start_tsc = platform::now_tsc();
    bsp.current.store(&init, std::memory_order_relaxed);  // relaxed: read by dumps only
    bsp.slice_end_tsc = init.slice_start_tsc + s.config.timeslice_tsc;
    join_scheduler(bsp);

    smp::set_reschedule_hook(&on_reschedule_ipi);
    g_on_cpu0_tick = config.on_cpu0_tick;
    arch::timer::set_tick_callback(&on_tick);
    arm_timer(bsp, init.slice_start_tsc);
    g_started.store(true, std::memory_order_relaxed);
    smp::start_ap_main(&ap_main);
    {
        // With interrupts on: the APs' joins need nothing from us, but keep the BSP
        // serviceable (call-function IPIs) while it waits.
        arch::sti();
        wait_for_aps(s);
        arch::cli();
    }
    log_info("sched: started on cpu 0 of %u, timeslice %u us", count, config.timeslice_us);
    log_info("sched: %s ready queues", backend_name());
    watchdog_start(config.watchdog_s);
}

}  // namespace sched
