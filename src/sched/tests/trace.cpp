// The scheduler timeline (trace.h): tracing turned on for the test, a cross-CPU ping-pong,
// and the records checked against what must have happened.
#include <cstdint>

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/percpu.h"
#include "ktest/ktest.h"
#include "lib/log.h"
#include "sched/scheduler.h"
#include "sched/queues/ready_queues.h"
#include "sched/sync/semaphore.h"
#include "sched/trace/trace.h"

namespace {

using sched::trace::Event;
using sched::trace::g_rings;
using sched::trace::Record;

constexpr uint32_t kTestCapacity = 16 * 1024;
constexpr uint32_t kPingPongRounds = 200;

struct PingPong {
    sched::Semaphore to_ping, to_pong;
};

// Each round: hand the ball over, wait for it back, and yield once (with nothing else
// queued here that is no switch, and must not show up as one).
int64_t ping_main(void* arg) {
    auto* pp = static_cast<PingPong*>(arg);
    for (uint32_t i = 0; i < kPingPongRounds; ++i) {
        pp->to_pong.up();
        pp->to_ping.down();
        sched::yield();
    }
    return 0;
}

int64_t pong_main(void* arg) {
    auto* pp = static_cast<PingPong*>(arg);
    for (uint32_t i = 0; i < kPingPongRounds; ++i) {
        pp->to_pong.down();
        sched::yield();
        pp->to_ping.up();
    }
    return 0;
}

// Back to what the command line asked for: the rest of a trace=on run is recorded.
void resume_boot_trace() {
    if (sched::trace::requested_at_boot()) sched::trace::restart(sched::trace::kBootCapacity);
}

// Finds a record of `event` for `task` with lo <= tsc <= hi on any CPU; its CPU or -1.
int find_record(uint32_t cpus, Event event, uint32_t task, uint64_t lo, uint64_t hi) {
    for (uint32_t c = 0; c < cpus; ++c) {
        const auto& ring = g_rings[c];
        for (uint64_t i = 0; i < ring.kept(); ++i) {
            const Record& r = ring.kept_record(i);
            if (r.event == event && r.task == task && r.tsc >= lo && r.tsc <= hi) return int(c);
        }
    }
    return -1;
}

// The reason a switch_to record gives for the task that left (trace.h: the low byte).
sched::PickReason left_because(const Record& r) { return sched::PickReason(r.arg & 0xff); }

// Checks one ping-pong task's switch-ins: all on `cpu`, the first after its spawn, and an
// exit after the last. A switch-in that follows a switch-out by blocking needs a wake by
// `waker_cpu` since the previous switch-in; one that follows a yield or a preemption needs
// none (the task was requeued, not blocked: on a busy host another task may be queued on
// the CPU when it yields, or a tick may preempt it). Returns the number of switch-ins, or
// -1 after ctx.fail(); `requeued` counts the switch-ins that followed a requeue.
int check_task(ktest::Context& ktest_ctx, uint32_t cpus, const char* what, uint32_t id, uint32_t cpu,
               uint32_t waker_cpu, uint32_t& requeued) {
    const auto& ring = g_rings[cpu];
    uint64_t previous = 0;
    int switch_ins = 0;
    bool current = false, left_blocked = false;
    requeued = 0;
    for (uint64_t i = 0; i < ring.kept(); ++i) {
        const Record& r = ring.kept_record(i);
        if (r.event != Event::switch_to) continue;
        bool ours = r.task == id && !(r.arg & sched::trace::kSwitchToIdle);
        if (current && !ours) {
            // Our task left: the record says why.
            sched::PickReason why = left_because(r);
            left_blocked = why != sched::PickReason::yielded && why != sched::PickReason::preempted;
            current = false;
            continue;
        }
        if (!ours) continue;
        current = true;
        if (switch_ins == 0) {
            if (find_record(cpus, Event::spawn, id, 0, r.tsc) < 0) {
                ktest_ctx.fail("%s (id %u): switched in at tsc %llu with no spawn record before", what, id,
                               (unsigned long long)r.tsc);
                return -1;
            }
        } else if (left_blocked) {
            int c = find_record(cpus, Event::wake, id, previous, r.tsc);
            if (c != int(waker_cpu)) {
                ktest_ctx.fail("%s (id %u): switch-in %d at tsc %llu after blocking: %s", what, id, switch_ins,
                               (unsigned long long)r.tsc,
                               c < 0 ? "no wake since its previous switch-in" : "woken by an unexpected cpu");
                return -1;
            }
        } else {
            ++requeued;
        }
        previous = r.tsc;
        ++switch_ins;
    }
    if (switch_ins < 2) {
        ktest_ctx.fail("%s (id %u): %d switch-ins on cpu %u; it never blocked and was woken", what, id, switch_ins,
                       cpu);
        return -1;
    }
    if (find_record(cpus, Event::exit, id, previous, ~0ull) != int(cpu)) {
        ktest_ctx.fail("%s (id %u): no exit record on cpu %u after its last switch-in", what, id, cpu);
        return -1;
    }
    return switch_ins;
}

}  // namespace

KTEST_SCHED(sched_trace_ping_pong_records_are_ordered) {
    if (!SCHED_TRACE) {
        ktest_ctx.skip("tracing is compiled out (SCHED_TRACE=0)");
        return;
    }
    uint32_t cpus = arch::cpu_count();
    if (cpus < 2) {
        ktest_ctx.skip("needs 2 cpus");
        return;
    }
    const uint32_t ping_cpu = 1, pong_cpu = cpus > 2 ? 2 : 0;
    KEXPECT(sched::trace::restart(kTestCapacity), "no memory for %u-record rings", kTestCapacity);

    PingPong pp;
    auto ping = sched::spawn(ping_main, &pp, {.name = "ping", .affinity = sched::CpuMask::single(ping_cpu)});
    auto pong = sched::spawn(pong_main, &pp, {.name = "pong", .affinity = sched::CpuMask::single(pong_cpu)});
    if (!ping.ok() || !pong.ok()) {
        sched::trace::stop();
        resume_boot_trace();
        KEXPECT(false, "spawn failed");
    }
    uint32_t ping_id = uint32_t(ping.handle.task()->id), pong_id = uint32_t(pong.handle.task()->id);
    sched::join(ping.handle);
    sched::join(pong.handle);
    sched::trace::stop();

    bool ok = true;
    for (uint32_t c = 0; c < cpus && ok; ++c) {
        const auto& ring = g_rings[c];
        if (ring.lost() != 0) {
            ktest_ctx.fail("cpu %u: %llu records lost in a %u-record ring", c, (unsigned long long)ring.lost(),
                           kTestCapacity);
            ok = false;
        }
        for (uint64_t i = 0; i < ring.kept() && ok; ++i) {
            const Record& r = ring.kept_record(i);
            if (r.cpu != c || uint32_t(r.event) >= sched::trace::kEventCount) {
                ktest_ctx.fail("cpu %u: record %llu says cpu %u, event %u", c, (unsigned long long)i, r.cpu,
                               unsigned(r.event));
                ok = false;
            } else if (i > 0 && r.tsc < ring.kept_record(i - 1).tsc) {
                ktest_ctx.fail("cpu %u: record %llu goes back in time (%llu < %llu)", c, (unsigned long long)i,
                               (unsigned long long)r.tsc, (unsigned long long)ring.kept_record(i - 1).tsc);
                ok = false;
            }
        }
    }
    // Ping's cpu runs only ping and its idle task, turn about.
    const auto& ring = g_rings[ping_cpu];
    bool last_was_ping = false;
    uint64_t switches = 0;
    for (uint64_t i = 0; i < ring.kept() && ok; ++i) {
        const Record& r = ring.kept_record(i);
        if (r.event != Event::switch_to) continue;
        bool idle = r.arg & sched::trace::kSwitchToIdle;
        if (!idle && r.task != ping_id) {
            ktest_ctx.fail("cpu %u switched to task %u during the ping-pong (only ping %u and idle expected)", ping_cpu,
                           r.task, ping_id);
            ok = false;
        } else if (switches > 0 && idle == !last_was_ping) {
            ktest_ctx.fail("cpu %u: switch %llu repeats %s", ping_cpu, (unsigned long long)switches,
                           idle ? "idle" : "ping");
            ok = false;
        }
        last_was_ping = !idle;
        ++switches;
    }
    uint32_t ping_requeued = 0, pong_requeued = 0;
    int ping_ins = ok ? check_task(ktest_ctx, cpus, "ping", ping_id, ping_cpu, pong_cpu, ping_requeued) : -1;
    int pong_ins = ping_ins > 0 ? check_task(ktest_ctx, cpus, "pong", pong_id, pong_cpu, ping_cpu, pong_requeued) : -1;
    resume_boot_trace();
    if (pong_ins > 0)
        klog::print(
            "  trace: ping switched in %d times (%u after a yield or preemption), pong %d (%u), over %u "
            "rounds\n",
            ping_ins, ping_requeued, pong_ins, pong_requeued, kPingPongRounds);
}

KTEST_SCHED(sched_trace_ring_wrap_counts_lost_records) {
    if (!SCHED_TRACE) {
        ktest_ctx.skip("tracing is compiled out (SCHED_TRACE=0)");
        return;
    }
    constexpr uint32_t kSmall = 64, kExtra = 1000, kFirstId = 1'000'000;
    KEXPECT(sched::trace::restart(kSmall), "no memory for %u-record rings", kSmall);
    uint64_t before, after;
    uint32_t cpu;
    {
        // Interrupts off: nothing else records on this cpu in between, as for every hook.
        arch::InterruptGuard irq_off;
        cpu = arch::this_cpu()->index;
        before = g_rings[cpu].written;
        for (uint32_t i = 0; i < kSmall + kExtra; ++i) sched::trace::hook(cpu, Event::wake, kFirstId + i, 7);
        after = g_rings[cpu].written;
    }
    sched::trace::stop();
    const auto& ring = g_rings[cpu];
    bool ok = after - before == kSmall + kExtra && ring.written == after && ring.kept() == kSmall &&
              ring.lost() == after - kSmall && ring.capacity() == kSmall;
    // The newest kSmall records survive, oldest first: exactly ours, the last kSmall of them.
    uint32_t bad = ~0u;
    for (uint32_t i = 0; ok && bad == ~0u && i < kSmall; ++i) {
        const Record& r = ring.kept_record(i);
        if (r.event != Event::wake || r.arg != 7 || r.cpu != cpu || r.task != kFirstId + kExtra + i ||
            (i > 0 && r.tsc < ring.kept_record(i - 1).tsc))
            bad = i;
    }
    uint64_t kept = ring.kept(), lost = ring.lost();
    resume_boot_trace();  // resets the ring: read it before
    KEXPECT(ok, "after %u records into a %u-record ring: written %llu (%llu new), kept %llu, lost %llu",
            kSmall + kExtra, kSmall, (unsigned long long)after, (unsigned long long)(after - before),
            (unsigned long long)kept, (unsigned long long)lost);
    KEXPECT(bad == ~0u, "kept record %u is not the expected newest one", bad);
}
