// The idle/wakeup protocol ("The idle/wakeup protocol") and the bounded spin ("Stealing and spinning").
//
// The Dekker pair, once (sched/ordering.h has the TSan variant):
//   idler C:  halted |= C (RMW)      ; FENCE Fc ; re-check every queue ; halt
//   waker W:  publish work P         ; FENCE Fw ; read halted / spinners ; claim + kick
// Fences are totally ordered: if Fw < Fc, C's re-check sees P; if Fc < Fw, W sees C's bit
// (or a later value), and exactly one fetch_and clears the bit: that waker kicks C. A kick
// sent after C's re-check stays latched (IF=0 until `sti; hlt`) and ends the halt.
#include "sched/policy/ordering.h"
#include "sched/queues/ready_queues.h"
#include "sched/trace/trace.h"

namespace sched {

void kick_cpu(OwnerCpu& me, CpuSched& target) {
    ++me->stats.ipis_sent;
    trace::hook(me.index(), trace::Event::ipi_send, 0u, uint16_t(target.index));
    platform::kick_wakeup(target.index, target.latch);
}

namespace {

// claim_idle_cpu() once some CPU is halted. Out of line: its frame (five saved registers,
// the candidate mask zeroed) was most of the ~43 instructions every spawn paid to find
// nobody halted (docs/benchmarks.md, "Kernel costs in instructions").
[[gnu::noinline]] CpuSched* claim_among_halted(OwnerCpu& me, const CpuMask& allowed) {
    SchedShared& shared = me.shared();
    // Read the halted words the candidates live in, word by word.
    CpuMask candidates;
    bool any = false;
    uint32_t words = (shared.cpu_count + 63) / 64;
    for (uint32_t w = 0; w < words; ++w) {
        uint64_t halted = pair_fenced_read(shared.halted.word(w * 64));
        if (!halted) continue;
        // acquire: as in steal_round(). A parked CPU has cleared its bit anyway ("CPU hotplug").
        uint64_t word = halted & allowed.word(w) & shared.online.word(w * 64).load(std::memory_order_acquire);
        candidates.set_word(w, word);
        any = any || word != 0;
    }
    if (!any) return nullptr;
    CpuSched* claimed = nullptr;
    me->victims.for_each(me->rng, [&](uint32_t c) {
        if (!candidates.contains(c)) return false;
        // The claim: exactly one fetch_and sees the bit. kPairRmwOrder: part of the pair.
        if (!shared.halted.remove(c, kPairRmwOrder)) return false;  // another waker got it first; try the next
        claimed = &shared.cpu(c);
        return true;
    });
    return claimed;
}

}  // namespace

CpuSched* claim_idle_cpu(OwnerCpu& me, const CpuMask& allowed) {
    // Nothing more where no CPU is halted: this runs on every spawn, and the whole-mask
    // version (four words of halted, allowed and online, then empty()) was a tenth of a
    // spawn+exit's instructions (docs/benchmarks.md, "Kernel costs in instructions").
    if (!detail::any_cpu_halted(me.shared())) return nullptr;
    return claim_among_halted(me, allowed);
}

void detail::kick_a_halted_cpu(OwnerCpu& me) {
    // claim_idle_cpu(me, all) after its look at the halted words: the all-CPU mask is built
    // only here, when some CPU is halted (on most pushes nobody is).
    if (CpuSched* idle = claim_among_halted(me, CpuMask::all()))
        kick_cpu(me, *idle);
    else
        ++me->stats.ipis_skipped_none_idle;  // claimed by another waker meanwhile, or not online
}

bool notify_cpu(OwnerCpu& me, CpuSched& target) {
    if (&target == &me.cpu()) return false;
    SchedShared& shared = me.shared();
    pair_full_fence();  // Fw: the inbox exchange is published before it
    uint64_t word = pair_fenced_read(shared.halted.word(target.index));
    // kPairRmwOrder: the claim, as in claim_idle_cpu().
    if ((word & AtomicCpuMask::bit(target.index)) && shared.halted.remove(target.index, kPairRmwOrder)) {
        kick_cpu(me, target);
        return true;
    }
    ++me->stats.ipis_skipped_awake;  // running, spinning, or claimed by another waker
    return false;
}

namespace {

bool local_work(CpuSched& cpu) { return cpu.shared.ready->has_local_work(cpu); }

// Gives up a spinner slot. If it was the last one, no spinner is left to find work a
// waker skipped because it saw us spinning: look once more and pass it on (Go's
// last-spinner hand-off, proof case 4).
void stop_spinning(OwnerCpu& me) {
    SchedShared& shared = me.shared();
    me->spinning = false;
    // kPairRmwOrder: the decrement is the spinner side of the pair with the waker's read
    // of `spinners` in notify_stealable().
    if (shared.spinners.fetch_sub(1, kPairRmwOrder) != 1) return;
    pair_full_fence();
    if (shared.ready->has_stealable_work(shared)) {
        if (CpuSched* idle = claim_idle_cpu(me, CpuMask::all())) kick_cpu(me, *idle);
    }
}

}  // namespace

bool spin_for_work(OwnerCpu& me) {
    SchedShared& shared = me.shared();
    uint64_t spin_tsc = shared.config.spin_tsc;
    if (spin_tsc == 0) return false;
    // Claim a spinner slot: only a few CPUs spin at once.
    // relaxed: the CAS below validates it.
    uint32_t n = shared.spinners.load(std::memory_order_relaxed);
    do {
        if (n >= shared.config.max_spinners) return false;
        // kPairRmwOrder: the increment must be visible to a waker's read of spinners
        // (it skips its kick on the strength of it).
    } while (!shared.spinners.compare_exchange_weak(n, n + 1, kPairRmwOrder, std::memory_order_relaxed));
    me->spinning = true;
    ++me->stats.spins;

    uint64_t deadline = platform::now_tsc() + spin_tsc;
    uint32_t backoff = 1;
    bool found = false;
    while (!found) {
        found = local_work(me.cpu()) || shared.ready->steal(me);
        if (found || platform::now_tsc() >= deadline) break;
        for (uint32_t i = 0; i < backoff; ++i) platform::cpu_relax();
        if (backoff < 64) backoff *= 2;
    }
    if (found) stop_spinning(me);
    // On timeout the slot is given up in idle_halt(), after the halted bit is set and
    // before its fence, so a waker that skipped us sees one or the other.
    return found;
}

void idle_halt(OwnerCpu& me) {
    SchedShared& shared = me.shared();
    CpuSched& cpu = me.cpu();
    if (cpu.epoch) me->stats.reclaimed.add(cpu.epoch->try_reclaim());

    // "The idle/wakeup protocol" step 2: publish that we are idle, then the fence Fc.
    // kPairRmwOrder: the idle side of the pair (see the file comment).
    shared.halted.add(cpu.index, kPairRmwOrder);
    if (cpu.spinning) {
        cpu.spinning = false;
        shared.spinners.fetch_sub(1, kPairRmwOrder);  // as in stop_spinning()
    }
    pair_full_fence();

    // Step 3: re-check everything we could run, with loads after the fence.
    if (shared.ready->has_work_for(cpu)) {
        // Step 4. If the bit is already clear, a waker claimed us and its kick will land
        // while we run; harmless, and it ends our next halt early.
        if (!shared.halted.remove(cpu.index, kPairRmwOrder)) ++me->stats.ipi_received_running;
        return;
    }

    // Step 5: an idle CPU never holds reclamation back.
    if (cpu.epoch) cpu.epoch->go_offline();
    uint64_t now = platform::now_tsc();
    uint64_t deadline = cpu.sleepers.next_deadline();
    if (shared.config.backstop_tsc && now + shared.config.backstop_tsc < deadline)
        deadline = now + shared.config.backstop_tsc;
    if (deadline == ~uint64_t(0)) deadline = 0;  // no deadline: only a kick ends the halt
    ++me->stats.halts;
    uint64_t wake_ipis_before = me->stats.wake_ipis_received.get();
    trace::hook(cpu.index, trace::Event::idle_enter, 0u, 0);
    platform::halt(cpu.latch, deadline);
    trace::hook(cpu.index, trace::Event::idle_exit, 0u, 0);
    me->stats.halted_cycles.add(platform::now_tsc() - now);

    // Step 6. Bit still set: nobody claimed us (deadline, backstop, another interrupt).
    if (shared.halted.remove(cpu.index, kPairRmwOrder)) ++me->stats.backstop_wakeups;
    // go_online() stores, fences and re-checks the epoch before we touch shared pointers.
    if (cpu.epoch) cpu.epoch->go_online();
    // A rescue (fault injection, fail=ipi:N): a waker's kick to us was dropped, no other
    // reschedule IPI ended this halt (so the timer did: the backstop or a sleeper's
    // deadline), and work is waiting for us. Counted after the fact, never acted on: the
    // idle loop picks the work up as it would anyway.
    if (platform::take_dropped_wakeup(cpu.index) && me->stats.wake_ipis_received.get() == wake_ipis_before &&
        shared.ready->has_work_for(cpu))
        ++me->stats.backstop_found_work;
}

}  // namespace sched
