// Cross-CPU function calls without locks or allocation on the hot path.
//
// Every target CPU owns an inbox: a Treiber stack of request slots that any CPU pushes
// onto with a CAS and only the owner empties, with one exchange, in its IPI handler (or
// while it waits on its own calls). Taking the whole list at once means the owner never
// pops single nodes, so the classic ABA problem of Treiber pops does not arise.
//
// A slot belongs to one (sender, target) pair, allocated once per sender when its CPU
// comes up. The sender may refill its slot only after the target has finished with it
// (`busy` cleared), which is also how a no-wait call is throttled to one in flight per
// pair. Deadlock freedom: a CPU that waits (for its calls to finish or for a busy slot)
// keeps draining its own inbox, so two CPUs calling each other both make progress even
// with interrupts off.
#include <atomic>
#include <new>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "lib/log.h"
#include "mm/heap.h"
#include "smp/smp.h"
#include "smp/smp_internal.h"

namespace smp {
namespace {

struct CallSlot {
    // Plain fields: written by the sender while busy is false, published by the release
    // CAS in push(); read by the target after its acquire exchange in drain().
    CallSlot* next = nullptr;
    CallFn fn = nullptr;
    void* arg = nullptr;
    std::atomic<uint32_t>* remaining = nullptr;  // the sender's counter; null without wait
    // release (target, after running fn): pairs with the sender's acquire in claim_slot().
    std::atomic<bool> busy{false};
};

struct alignas(64) Inbox {
    std::atomic<CallSlot*> head{nullptr};
};

Inbox g_inbox[kMaxCpus];
// g_slots[sender][target]. Written by the BSP (for itself and before starting each AP) and
// read by the sender itself, which started after that write (AP start hand-off).
CallSlot* g_slots[kMaxCpus];
uint32_t g_capacity = 1;

void push(uint32_t target, CallSlot* slot) {
    CallSlot* old = g_inbox[target].head.load(std::memory_order_relaxed);
    do {
        slot->next = old;
        // release: the slot's fields (and `next`) happen-before the owner's acquire
        // exchange in call_function_drain(); the CAS chain is one release sequence, so a
        // drain that takes a later push also sees this one.
    } while (
        !g_inbox[target].head.compare_exchange_weak(old, slot, std::memory_order_release, std::memory_order_relaxed));
}

// Waits until the target is done with the previous request in this slot.
void claim_slot(CallSlot& slot, uint32_t self) {
    // acquire: pairs with the target's release store of busy=false, so its reads of the
    // old fields are finished before we overwrite them.
    while (slot.busy.load(std::memory_order_acquire)) {
        detail::call_function_drain(self);
        arch::cpu_relax();
    }
}

}  // namespace

namespace detail {

void call_function_set_capacity(uint32_t max_cpus) { g_capacity = max_cpus ? max_cpus : 1; }

bool call_function_prepare_cpu(uint32_t index) {
    if (index >= kMaxCpus) return false;
    if (g_slots[index]) return true;
    void* mem = mm::kmalloc(sizeof(CallSlot) * g_capacity, alignof(CallSlot));
    if (!mem) return false;
    auto* slots = static_cast<CallSlot*>(mem);
    for (uint32_t i = 0; i < g_capacity; ++i) new (&slots[i]) CallSlot();
    g_slots[index] = slots;
    return true;
}

void call_function_drain(uint32_t self) {
    // acquire: pairs with the release CAS in push(), making every taken slot's fields visible.
    CallSlot* list = g_inbox[self].head.exchange(nullptr, std::memory_order_acquire);
    // The stack is LIFO; reverse it so requests run in the order they were made.
    CallSlot* fifo = nullptr;
    while (list) {
        CallSlot* next = list->next;
        list->next = fifo;
        fifo = list;
        list = next;
    }
    while (fifo) {
        CallSlot* slot = fifo;
        fifo = slot->next;  // read before busy is cleared: the sender may refill the slot then
        CallFn fn = slot->fn;
        void* arg = slot->arg;
        std::atomic<uint32_t>* remaining = slot->remaining;
        fn(arg);
        ++arch::this_cpu()->call_functions_run;  // only this CPU writes its counter
        // release: fn's effects happen-before the waiting sender's acquire load of the counter.
        if (remaining) remaining->fetch_sub(1, std::memory_order_release);
        // release: pairs with claim_slot(); nothing here touches the slot afterwards.
        slot->busy.store(false, std::memory_order_release);
    }
}

}  // namespace detail

void call_on(const CpuMask& set, CallFn fn, void* arg, bool wait) {
    // Interrupts stay off for the whole call: this CPU's slots and inbox then have a
    // single user, and fn runs with IF=0 here just as it does in the other CPUs' handlers.
    arch::InterruptGuard guard;
    uint32_t self = arch::this_cpu()->index;
    uint32_t online = arch::cpu_count();
    CallSlot* slots = g_slots[self];
    std::atomic<uint32_t> remaining{0};

    uint32_t targets = 0;
    for (uint32_t t = 0; t < online && t < g_capacity; ++t)
        if (t != self && set.contains(t)) ++targets;
    if (targets && !slots) {
        log_error("smp: call_on from cpu %u before its request slots exist; remote targets skipped", self);
        targets = 0;
    }
    // relaxed: published to the targets by the release CAS of each push().
    remaining.store(targets, std::memory_order_relaxed);

    if (targets) {
        for (uint32_t t = 0; t < online && t < g_capacity; ++t) {
            if (t == self || !set.contains(t)) continue;
            CallSlot& slot = slots[t];
            claim_slot(slot, self);
            slot.fn = fn;
            slot.arg = arg;
            slot.remaining = wait ? &remaining : nullptr;
            slot.busy.store(true, std::memory_order_relaxed);  // published by push()'s release
            push(t, &slot);
            send_ipi(t, Ipi::call_function);
        }
    }
    if (self < kMaxCpus && set.contains(self)) {
        fn(arg);
        ++arch::this_cpu()->call_functions_run;
    }
    if (wait) {
        // acquire: pairs with each target's release decrement, so their fn effects are visible.
        while (remaining.load(std::memory_order_acquire) != 0) {
            detail::call_function_drain(self);
            arch::cpu_relax();
        }
    }
}

void call_on_all(CallFn fn, void* arg, bool wait) {
    CpuMask all;
    for (uint32_t i = 0; i < arch::cpu_count(); ++i) all.add(i);
    call_on(all, fn, arg, wait);
}

}  // namespace smp
