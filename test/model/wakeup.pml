/* The idle/wakeup protocol (src/sched/idle.cpp, placement.cpp, idle_task.cpp, hotplug.cpp,
 * evacuate.cpp, and has_work_for() of lockfree_queues.cpp / locked_queues.cpp) under
 * x86-TSO (tso.pml). docs/scheduler.md §4 states the protocol; docs/verification.md what
 * this model covers and abstracts.
 *
 * NCPU CPUs (2 or 3). CPUs 0 .. WAKERS-1 start running a task that makes one wake event
 * (place() of a new task), then either keep running it for good ("busy") or go to the
 * idle loop. The other CPUs start in the idle loop (idle_task_main). With -DHOTPLUG a
 * controller task takes CPU NCPU-1 offline (cpu_offline) and brings it back (cpu_online).
 * -DLOCKED selects the locked ready queues (LockedReadyQueues), else the lock-free ones.
 * -DBACKSTOP lets a halted CPU wake by itself (the timer backstop); the proofs run
 * without it, so no lost wakeup can hide behind it.
 *
 * Checked
 *  1. No work is left queued while every CPU that may run it is halted: a monitor waits
 *     for a quiescent state (every CPU halted, parked or busy for good, no kick pending,
 *     every store buffer empty, every wake event and hotplug operation finished; with the
 *     backstop off nothing can move any more) and asserts that every queued task has a
 *     CPU that will run it: a task in a CPU's inbox or own lists needs that CPU busy (it
 *     picks the task when its task ends); a task in a stealable deque or queue needs no
 *     online CPU halted.
 *  2. At most one wakeup IPI per wake event (assertion after every place()/place_remote()).
 *  3. No deadlock: spin's invalid-end-state check (a CPU halted with its kick lost while
 *     the hotplug controller waits for it, for example).
 *
 * Twin: -DBREAK_IDLE_FENCE removes idle_halt()'s pair_full_fence() (Fc). On x86 that alone
 * is no bug: the RMWs before it (halted.add, spinners.fetch_sub) are locked instructions,
 * themselves full barriers. So the twin also gives those RMWs only their C++ acq_rel
 * guarantee (tso_buffered_rmw: their writes may become visible after the re-check's loads,
 * as on ARMv8), which is exactly what the fence is there to cover.
 */

#ifndef NCPU
#define NCPU 2
#endif
#ifndef WAKERS
#define WAKERS 1
#endif
#define NTASK WAKERS          /* one task per wake event */
#define MAX_SPINNERS 1        /* start(): max(1, count / 4) for up to 7 CPUs */
#define CTRL NCPU             /* the hotplug controller's store buffer */
#define ALL ((1 << NCPU) - 1)
#define BIT(c) (1 << (c))

/* Memory words. */
#define HALTED 0              /* SchedShared::halted (one word: bit per CPU) */
#define SPINNERS 1            /* SchedShared::spinners */
#define ONLINE 2              /* SchedShared::online */
#define HOTPLUG_STATE(c) (3 + (c))  /* CpuSched::hotplug: RUNNING, EVACUATE, PARKED, ONLINE_REQ */
#define BOTTOM(c) (3 + NCPU + (c))     /* lock-free: the deque's m_bottom */
#define TOP(c) (3 + 2 * NCPU + (c))    /*            the deque's m_top */
#define INBOX(c) (3 + 3 * NCPU + (c))  /*            the inbox is non-empty (m_head != stub) */
#define QLOCK(c) (3 + NCPU + (c))      /* locked: Queue::lock */
#define LENGTH(c) (3 + 2 * NCPU + (c)) /*         Queue::length */
#define STEALABLE(c) (3 + 3 * NCPU + (c)) /*      Queue::stealable */

#define RUNNING 0
#define EVACUATE 1
#define PARKED 2
#define ONLINE_REQ 3

#define TSO_CPUS (NCPU + 1)
#define TSO_MEM (3 + 4 * NCPU)
#define TSO_SB 3
#ifdef BREAK_IDLE_FENCE
#define TSO_RMW
#endif
#include "tso.pml"

/* Ghost state. */
#define NOWHERE 0  /* not created yet */
#define SHARED_Q 1 /* stealable: lock-free deque / locked queue (counted in stealable) */
#define OWN_Q 2    /* only its CPU runs it: inbox, owner lists, locked queue (not stealable) */
#define TAKEN 3    /* a CPU holds it (running, or in transit to its own queue) */
#define DONE 4
#define LOCAL_Q 5  /* lock-free: in an owner list of its CPU (pinned there) */
byte where[NTASK + 1];
byte qcpu[NTASK + 1];       /* the CPU whose structure holds it */
byte qindex[NTASK + 1];     /* lock-free deque: its index */
byte local_n[NCPU];         /* lock-free owner lists (pinned here), owner only */
bit latch[NCPU];            /* the IPI latch: a kick stays pending until a halt ends */
#define BUSY 1
#define HALTED_WAIT 2
#define PARKED_WAIT 3
byte mode[NCPU];            /* what a CPU is doing, for the monitor */
byte events_done;
byte in_place;              /* placers inside place() (synchronize() waits for them) */
bit hotplug_done;

/* ------------------------------------------------------------------ building blocks */

/* lock btr / lock or / lock and on the halted word */
inline halted_remove(hr_p, hr_c, hr_was) {
    d_step { tso_drain_body(hr_p); hr_was = (mem[HALTED] & BIT(hr_c)) != 0; mem[HALTED] = mem[HALTED] & ~BIT(hr_c) }
}

/* kick_cpu() / platform::kick(): the IPI leaves after every earlier store (x2APIC:
 * mfence; lfence before the WRMSR; xAPIC: the UC store is ordered after them). */
inline kick(k_p, k_c) {
    d_step { tso_drain_body(k_p); latch[k_c] = 1 }
}

/* A task becomes DONE when a CPU takes it: the model runs it at once. */
inline run_task(rt_t) {
    d_step { where[rt_t] = DONE; qcpu[rt_t] = 0; qindex[rt_t] = 0 }
}

/* push_remote(target, t). Lock-free: MpscInbox::push, an xchg of m_head (empty_approx()
 * is false from then on; the later link store does not change that). Locked: under the
 * target queue's lock, length and (if stealable) stealable go up, then unlock. */
#ifndef LOCKED
inline push_remote(pr_p, pr_c, pr_t, pr_stealable) {
    d_step { tso_drain_body(pr_p); mem[INBOX(pr_c)]++; where[pr_t] = OWN_Q; qcpu[pr_t] = pr_c }
}
#else
inline queue_add(qa_p, qa_c, qa_t, qa_stealable) {
    d_step { mem[QLOCK(qa_c)] == 0 -> tso_drain_body(qa_p); mem[QLOCK(qa_c)] = 1 }; /* xchg */
    tso_load(qa_p, LENGTH(qa_c), v);
    tso_store(qa_p, LENGTH(qa_c), v + 1);
    if
    :: qa_stealable ->
        tso_load(qa_p, STEALABLE(qa_c), v);
        tso_store(qa_p, STEALABLE(qa_c), v + 1);
        d_step { where[qa_t] = SHARED_Q; qcpu[qa_t] = qa_c }
    :: else ->
        d_step { where[qa_t] = OWN_Q; qcpu[qa_t] = qa_c }
    fi;
    v = 0;
    tso_store(qa_p, QLOCK(qa_c), 0) /* unlock: release store */
}
inline push_remote(pr_p, pr_c, pr_t, pr_stealable) { queue_add(pr_p, pr_c, pr_t, pr_stealable) }
#endif

/* claim_idle_cpu(me, allowed): snapshot halted & allowed & online, then try each
 * candidate in victim order (any order here) with halted.remove (lock btr) until one
 * returns true. claimed = the CPU + 1, or 0. */
inline claim_idle_cpu(cic_p, cic_allowed, cic_claimed) {
    cic_claimed = 0;
    tso_load(cic_p, HALTED, w);  /* pair_fenced_read: relaxed, after the caller's fence */
    tso_load(cic_p, ONLINE, on); /* acquire */
    w = w & cic_allowed & on;
    do
    :: w == 0 -> break
    :: else ->
        if
        :: (w & 1) -> c2 = 0
        :: (w & 2) -> c2 = 1
#if NCPU > 2
        :: (w & 4) -> c2 = 2
#endif
        fi;
        w = w & ~BIT(c2);
        halted_remove(cic_p, c2, was);
        if
        :: was -> cic_claimed = c2 + 1; break
        :: else -> skip
        fi
    od;
    w = 0; on = 0; c2 = 0; was = 0
}

/* notify_stealable(me): Fw; if spinners > 0 skip; else claim one idle CPU and kick it. */
inline notify_stealable(ns_p) {
    tso_fence(ns_p); /* Fw */
    tso_load(ns_p, SPINNERS, v);
    if
    :: v > 0 -> skip /* ipis_skipped_polling */
    :: else ->
        claim_idle_cpu(ns_p, ALL, claimed);
        if
        :: claimed -> kick(ns_p, claimed - 1); kicks++
        :: else -> skip
        fi
    fi;
    v = 0; claimed = 0
}

/* notify_cpu(me, target): Fw; read the target's bit; kick if our fetch_and cleared it.
 * nc_kicked: the return value, whether this call kicked the target. */
inline notify_cpu(nc_p, nc_c, nc_kicked) {
    nc_kicked = 0;
    if
    :: nc_c == nc_p -> skip
    :: else ->
        tso_fence(nc_p); /* Fw */
        tso_load(nc_p, HALTED, w);
        if
        :: (w & BIT(nc_c)) ->
            halted_remove(nc_p, nc_c, was);
            if
            :: was -> kick(nc_p, nc_c); kicks++; nc_kicked = 1
            :: else -> skip
            fi
        :: else -> skip
        fi
    fi;
    w = 0; was = 0
}

/* send_to(me, target, t) = push_remote + notify_cpu; st_kicked: what notify_cpu returned. */
inline send_to(st_p, st_c, st_t, st_stealable, st_kicked) {
    push_remote(st_p, st_c, st_t, st_stealable);
    notify_cpu(st_p, st_c, st_kicked)
}

/* A CPU of `allowed` in any order: place()'s last_cpu / nearest_allowed() (hints). */
inline any_cpu_of(aco_allowed, aco_c) {
    if
    :: (aco_allowed & 1) -> aco_c = 0
    :: (aco_allowed & 2) -> aco_c = 1
#if NCPU > 2
    :: (aco_allowed & 4) -> aco_c = 2
#endif
    fi
}

/* ------------------------------------------------------------------ placement */

/* place(me, t, kind, hint) for a normal task, affinity `aff` (ALL = stealable). */
inline place(p_p, p_t, p_aff, p_handoff) {
    d_step { in_place++ };
    tso_load(p_p, ONLINE, on); /* acquire */
    allowed = p_aff & on;
    if
    :: allowed == 0 -> allowed = on /* widen (§12) */
    :: else -> skip
    fi;
    if
    :: p_aff == ALL ->
#ifdef LOCKED
        /* stealable_target(): a racy least-load choice among `allowed`: any of them */
        any_cpu_of(allowed, target);
        if
        :: target == p_p ->
            queue_add(p_p, p_p, p_t, 1);
            notify_stealable(p_p)
        :: else ->
            /* place_stealable(): a target that was not kicked is awake, but may run
             * something else for a whole slice; a halted CPU may steal the task from
             * its queue, so announce it as stealable work (at most one kick still). */
            send_to(p_p, target, p_t, 1, kicked);
            if
            :: !kicked -> notify_stealable(p_p)
            :: else -> skip
            fi;
            kicked = 0
        fi
#else
        /* stealable_target() is kNoCpu: a non-sync wake hands off to a claimed idle CPU */
        claimed = 0;
        if
        :: p_handoff -> claim_idle_cpu(p_p, allowed, claimed)
        :: else -> skip
        fi;
        if
        :: claimed ->
            push_remote(p_p, claimed - 1, p_t, 0);
            kick(p_p, claimed - 1); kicks++
        :: else ->
            /* push_local: WorkStealingDeque::push, release store of bottom */
            tso_load(p_p, BOTTOM(p_p), v);
            d_step { where[p_t] = SHARED_Q; qcpu[p_t] = p_p; qindex[p_t] = v };
            tso_store(p_p, BOTTOM(p_p), v + 1);
            notify_stealable(p_p)
        fi
#endif
    :: else ->
        if
        :: (allowed & BIT(p_p)) -> /* here: push_local, no wake */
#ifdef LOCKED
            queue_add(p_p, p_p, p_t, 0)
#else
            d_step { local_n[p_p]++; where[p_t] = LOCAL_Q; qcpu[p_t] = p_p }
#endif
        :: else ->
            any_cpu_of(allowed, target);
            send_to(p_p, target, p_t, 0, kicked);
            kicked = 0
        fi
    fi;
    d_step { in_place--; on = 0; allowed = 0; target = 0; claimed = 0; v = 0 };
    assert(kicks <= 1); /* at most one wakeup IPI per wake event */
    kicks = 0
}

/* place_remote(me, t) from evacuate(): online minus me; claim an idle allowed CPU (push,
 * kick), else the last/nearest allowed CPU with a targeted wake. */
inline place_remote(pr_p, pr_t, pr_aff) {
    tso_load(pr_p, ONLINE, on);
    on = on & ~BIT(pr_p);
    allowed = pr_aff & on;
    if
    :: allowed == 0 -> allowed = on
    :: else -> skip
    fi;
    if
    :: allowed == 0 -> assert(0) /* the caller never evacuates the last CPU */
    :: else -> skip
    fi;
    claim_idle_cpu(pr_p, allowed, claimed);
    if
    :: claimed ->
        push_remote(pr_p, claimed - 1, pr_t, 0);
        kick(pr_p, claimed - 1); kicks++
    :: else ->
        any_cpu_of(allowed, target);
        send_to(pr_p, target, pr_t, 0, kicked);
        kicked = 0
    fi;
    on = 0; allowed = 0; target = 0; claimed = 0;
    assert(kicks <= 1);
    kicks = 0
}

/* ------------------------------------------------------------------ queues, per variant */

#ifndef LOCKED
/* LockFreeReadyQueues::has_local_work(): inbox !empty_approx(), owner lists, own deque. */
inline has_local_work(hlw_p, hlw_found) {
    tso_load(hlw_p, INBOX(hlw_p), v);
    hlw_found = (v > 0) || (local_n[hlw_p] > 0);
    if
    :: !hlw_found ->
        tso_load(hlw_p, BOTTOM(hlw_p), v); /* size_approx(): bottom, then top */
        tso_load(hlw_p, TOP(hlw_p), v2);
        hlw_found = (v > v2)
    :: else -> skip
    fi;
    v = 0; v2 = 0
}

/* has_stealable_work(): size_approx() > 0 of every online CPU's deque. */
inline has_stealable_work(hsw_p, hsw_found) {
    tso_load(hsw_p, ONLINE, on);
    c2 = 0;
    hsw_found = 0;
    do
    :: c2 < NCPU && !hsw_found ->
        if
        :: (on & BIT(c2)) ->
            tso_load(hsw_p, BOTTOM(c2), v);
            tso_load(hsw_p, TOP(c2), v2);
            hsw_found = (v > v2)
        :: else -> skip
        fi;
        c2++
    :: else -> break
    od;
    on = 0; c2 = 0; v = 0; v2 = 0
}

/* steal_round(me): online victims in victim order; a victim that looks non-empty gets
 * steal() (two attempts after a lost race). The stolen task lands in our deque and is
 * picked next: the model runs it. (A batch needs 4 items in one deque: out of bounds.) */
inline steal_round(sr_p, sr_found) {
    sr_found = 0;
    tso_load(sr_p, ONLINE, on);
    tried = BIT(sr_p);
    do
    :: sr_found || tried == ALL -> break
    :: else ->
        if
        :: !(tried & 1) -> c2 = 0
        :: !(tried & 2) -> c2 = 1
#if NCPU > 2
        :: !(tried & 4) -> c2 = 2
#endif
        fi;
        tried = tried | BIT(c2);
        if
        :: (on & BIT(c2)) ->
            tso_load(sr_p, BOTTOM(c2), v); /* size_approx() hint */
            tso_load(sr_p, TOP(c2), v2);
            attempt = 0;
            do
            :: v > v2 && attempt < 2 ->
                attempt++;
                tso_load(sr_p, TOP(c2), v2);    /* steal(): top, then bottom */
                tso_load(sr_p, BOTTOM(c2), v);
                if
                :: v2 >= v -> break /* empty */
                :: else ->
                    d_step { /* lock cmpxchg top: v2 -> v2 + 1, and the item at v2 */
                        tso_drain_body(sr_p);
                        if
                        :: mem[TOP(c2)] == v2 ->
                            mem[TOP(c2)] = v2 + 1;
                            t2 = 1;
                            do
                            :: t2 <= NTASK ->
                                if
                                :: where[t2] == SHARED_Q && qcpu[t2] == c2 && qindex[t2] == v2 ->
                                    where[t2] = TAKEN; got = t2
                                :: else -> skip
                                fi;
                                t2++
                            :: else -> break
                            od;
                            t2 = 0;
                            assert(got != 0);
                            sr_found = 1
                        :: else -> skip /* lost_race */
                        fi
                    };
                    if
                    :: sr_found -> break
                    :: else -> skip
                    fi
                fi
            :: else -> break
            od
        :: else -> skip
        fi
    od;
    on = 0; tried = 0; c2 = 0; v = 0; v2 = 0; attempt = 0
}

/* pick_own(me): the inbox (drained into the own lists), the own lists, the own deque
 * (owner take(); its store/fence/load is modelled in deque.pml, here one step). */
inline pick_own(po_p, po_found) {
    po_found = 0;
    d_step {
        tso_drain_body(po_p);
        t2 = 1;
        do
        :: t2 <= NTASK && !po_found ->
            if
            :: where[t2] == OWN_Q && qcpu[t2] == po_p -> /* the inbox */
                mem[INBOX(po_p)]--;
                where[t2] = TAKEN; got = t2; po_found = 1
            :: where[t2] == LOCAL_Q && qcpu[t2] == po_p -> /* an owner list */
                local_n[po_p]--;
                where[t2] = TAKEN; got = t2; po_found = 1
            :: where[t2] == SHARED_Q && qcpu[t2] == po_p && qindex[t2] + 1 == mem[BOTTOM(po_p)] ->
                assert(mem[TOP(po_p)] < mem[BOTTOM(po_p)]);
                if
                :: mem[TOP(po_p)] == qindex[t2] -> mem[TOP(po_p)]++ /* the last item: CAS on top */
                :: else -> mem[BOTTOM(po_p)]--
                fi;
                where[t2] = TAKEN; got = t2; po_found = 1
            :: else -> skip
            fi;
            t2++
        :: else -> break
        od;
        t2 = 0
    }
}

#else /* LOCKED */

/* LockedReadyQueues::has_local_work(): q.length > 0 (sleepers_pending: no timers here). */
inline has_local_work(hlw_p, hlw_found) {
    tso_load(hlw_p, LENGTH(hlw_p), v);
    hlw_found = (v > 0);
    v = 0
}

/* has_stealable_work(): q.stealable > 0 of every online CPU. */
inline has_stealable_work(hsw_p, hsw_found) {
    tso_load(hsw_p, ONLINE, on);
    c2 = 0;
    hsw_found = 0;
    do
    :: c2 < NCPU && !hsw_found ->
        if
        :: (on & BIT(c2)) ->
            tso_load(hsw_p, STEALABLE(c2), v);
            hsw_found = (v > 0)
        :: else -> skip
        fi;
        c2++
    :: else -> break
    od;
    on = 0; c2 = 0; v = 0
}

/* Takes a task of queue c that CPU p may run (stealable only, when a thief), under the
 * lock: the counts go down with plain stores, then unlock. */
inline queue_take(qt_p, qt_c, qt_thief, qt_found) {
    d_step { mem[QLOCK(qt_c)] == 0 -> tso_drain_body(qt_p); mem[QLOCK(qt_c)] = 1 }; /* xchg */
    d_step {
        t2 = 1;
        do
        :: t2 <= NTASK && !qt_found ->
            if
            :: (where[t2] == SHARED_Q || (where[t2] == OWN_Q && !qt_thief)) && qcpu[t2] == qt_c ->
                got = t2; qt_found = 1
            :: else -> skip
            fi;
            t2++
        :: else -> break
        od;
        t2 = 0
    };
    if
    :: qt_found ->
        tso_load(qt_p, LENGTH(qt_c), v);
        tso_store(qt_p, LENGTH(qt_c), v - 1);
        if
        :: where[got] == SHARED_Q ->
            tso_load(qt_p, STEALABLE(qt_c), v);
            tso_store(qt_p, STEALABLE(qt_c), v - 1)
        :: else -> skip
        fi;
        d_step { where[got] = TAKEN; v = 0 }
    :: else -> skip
    fi;
    tso_store(qt_p, QLOCK(qt_c), 0)
}

/* steal_round(me): the busiest online CPU with stealable work, its oldest task we may run. */
inline steal_round(sr_p, sr_found) {
    sr_found = 0;
    tso_load(sr_p, ONLINE, on);
    c2 = 0; best = NCPU; v2 = 0;
    do
    :: c2 < NCPU ->
        if
        :: c2 != sr_p && (on & BIT(c2)) ->
            tso_load(sr_p, STEALABLE(c2), v);
            if
            :: v > 0 ->
                tso_load(sr_p, LENGTH(c2), v);
                if
                :: v > v2 -> best = c2; v2 = v
                :: else -> skip
                fi
            :: else -> skip
            fi
        :: else -> skip
        fi;
        c2++
    :: else -> break
    od;
    if
    :: best < NCPU -> queue_take(sr_p, best, 1, sr_found)
    :: else -> skip
    fi;
    on = 0; c2 = 0; best = 0; v = 0; v2 = 0
}

inline pick_own(po_p, po_found) {
    po_found = 0;
    queue_take(po_p, po_p, 0, po_found)
}
#endif

/* has_work_for(cpu): local work, due sleepers (no timers here), a hotplug request, any
 * online CPU's stealable work. */
inline has_work_for(hwf_p, hwf_found) {
    has_local_work(hwf_p, hwf_found);
    if
    :: !hwf_found ->
        tso_load(hwf_p, HOTPLUG_STATE(hwf_p), v); /* acquire */
        hwf_found = (v != RUNNING);
        v = 0
    :: else -> skip
    fi;
    if
    :: !hwf_found -> has_stealable_work(hwf_p, hwf_found)
    :: else -> skip
    fi
}

/* ------------------------------------------------------------------ idle side */

/* stop_spinning(me): give up the slot; the last spinner looks once more and hands off. */
inline stop_spinning(ss_p) {
    spinning = 0;
    d_step { tso_drain_body(ss_p); last = (mem[SPINNERS] == 1); mem[SPINNERS]-- }; /* lock xadd */
    if
    :: last ->
        tso_fence(ss_p);
        has_stealable_work(ss_p, found2);
        if
        :: found2 ->
            claim_idle_cpu(ss_p, ALL, claimed);
            if
            :: claimed -> kick(ss_p, claimed - 1)
            :: else -> skip
            fi
        :: else -> skip
        fi
    :: else -> skip
    fi;
    last = 0; found2 = 0; claimed = 0
}

/* spin_for_work(me): claim a spinner slot (CAS, at most MAX_SPINNERS), poll local work
 * and steal until the deadline (any number of rounds here). */
inline spin_for_work(sfw_p, sfw_found) {
    sfw_found = 0;
    tso_load(sfw_p, SPINNERS, v);
    do
    :: v >= MAX_SPINNERS -> break
    :: else ->
        d_step {
            tso_drain_body(sfw_p);
            if
            :: mem[SPINNERS] == v -> mem[SPINNERS] = v + 1; spinning = 1
            :: else -> v = mem[SPINNERS]
            fi
        };
        if
        :: spinning -> break
        :: else -> skip
        fi
    od;
    v = 0;
    if
    :: spinning ->
        do
        :: has_local_work(sfw_p, sfw_found);
           if
           :: !sfw_found -> steal_round(sfw_p, sfw_found)
           :: else -> skip
           fi;
           if
           :: sfw_found -> break
           :: else -> skip
           fi
        :: break /* deadline */
        od;
        if
        :: sfw_found -> stop_spinning(sfw_p)
        :: else -> skip /* on timeout the slot is given up in idle_halt() */
        fi
    :: else -> skip
    fi
}

/* idle_halt(me): publish, Fc, re-check, halt; afterwards clear the own bit. */
inline idle_halt(ih_p) {
#ifndef BREAK_IDLE_FENCE
    d_step { tso_drain_body(ih_p); mem[HALTED] = mem[HALTED] | BIT(ih_p) }; /* lock or */
#else
    tso_buffered_rmw(ih_p, HALTED, BIT(ih_p), TSO_OR);
#endif
    if
    :: spinning ->
        spinning = 0;
#ifndef BREAK_IDLE_FENCE
        d_step { tso_drain_body(ih_p); mem[SPINNERS]-- } /* lock xadd (lock sub) */
#else
        tso_buffered_rmw(ih_p, SPINNERS, 255, TSO_ADD) /* - 1 */
#endif
    :: else -> skip
    fi;
#ifndef BREAK_IDLE_FENCE
    tso_fence(ih_p); /* Fc */
#endif
    has_work_for(ih_p, found);
    if
    :: found -> halted_remove(ih_p, ih_p, was); was = 0
    :: else ->
        /* platform::halt(latch, deadline): `sti; hlt`, ends on a kick (latched since the
         * re-check, IF=0) or, with the backstop, by itself */
        mode[ih_p] = HALTED_WAIT;
end_halt:
        if
        :: d_step { latch[ih_p] -> latch[ih_p] = 0; mode[ih_p] = 0 }
#ifdef BACKSTOP
        :: d_step { mode[ih_p] = 0 }
#endif
        fi;
        halted_remove(ih_p, ih_p, was);
        was = 0
    fi;
    found = 0
}

/* handle_hotplug(): evacuate (place_remote every queued task), clear the halted bit,
 * leave, parked (release store); park until online_requested; join_scheduler(). */
inline handle_hotplug(hh_p) {
    do
    :: pick_own(hh_p, found) ->
       if
       :: found -> place_remote(hh_p, got, ALL); d_step { got = 0; found = 0 }
       :: else -> break
       fi
    od;
    halted_remove(hh_p, hh_p, was);
    was = 0;
    tso_store(hh_p, HOTPLUG_STATE(hh_p), PARKED);
    do
    :: tso_load(hh_p, HOTPLUG_STATE(hh_p), v);
       if
       :: v == ONLINE_REQ -> break
       :: else ->
           mode[hh_p] = PARKED_WAIT;
end_park:
           d_step { latch[hh_p] -> latch[hh_p] = 0; mode[hh_p] = 0 }
       fi
    od;
    v = 0;
    d_step { tso_drain_body(hh_p); mem[ONLINE] = mem[ONLINE] | BIT(hh_p) }; /* seq_cst lock or */
    tso_store(hh_p, HOTPLUG_STATE(hh_p), RUNNING)
}

/* ------------------------------------------------------------------ CPUs */

proctype cpu(byte p) {
    byte v, v2, w, on, c2, t2, got, allowed, target, claimed, tried, attempt, best, kicks;
    bit was, last, found, found2, spinning, kicked;

    if
    :: p < WAKERS ->
        /* The task running here makes one wake event: a new or woken normal task that
         * may run anywhere (spawn / sync wake, or a wake that may hand off), or one
         * pinned to some CPU. */
        if
        :: place(p, p + 1, ALL, 0)
#ifndef LOCKED
        :: place(p, p + 1, ALL, 1)
#endif
        :: place(p, p + 1, BIT(0), 0)
        :: place(p, p + 1, BIT(1), 0)
#if NCPU > 2
        :: place(p, p + 1, BIT(2), 0)
#endif
        fi;
        d_step { events_done++ };
        if
        :: mode[p] = BUSY; goto end_busy /* the task keeps running */
        :: skip                      /* it ends (blocks): the idle task runs */
        fi
    :: else -> d_step { events_done++ } /* (no event) */
    fi;

    /* idle_task_main() */
    do
    :: tso_load(p, HOTPLUG_STATE(p), v);
       if
       :: v != RUNNING -> v = 0; handle_hotplug(p)
       :: else -> v = 0
       fi;
       /* found_work = has_work_for(me) || steal_round(me) || spin_for_work(me) */
       has_work_for(p, found); /* no fence: a shortcut; the real re-check is idle_halt's */
       if
       :: !found -> steal_round(p, found)
       :: else -> skip
       fi;
       if
       :: !found -> spin_for_work(p, found)
       :: else -> skip
       fi;
       if
       :: found && got -> run_task(got); got = 0; found = 0 /* stolen: schedule() picks it */
       :: found && !got ->
           /* schedule(idle): nothing new while a hotplug request is pending */
           found = 0;
           tso_load(p, HOTPLUG_STATE(p), v);
           if
           :: v == RUNNING ->
               v = 0;
               pick_own(p, found); /* pick_local: own structures, then one steal round */
               if
               :: !found -> steal_round(p, found)
               :: else -> skip
               fi;
               if
               :: found -> run_task(got); got = 0; found = 0
               :: else -> skip
               fi
           :: else -> v = 0
           fi
       :: !found -> idle_halt(p)
       fi
    od;
end_busy:
    skip
}

#ifdef WITH_HOTPLUG
#if WAKERS >= NCPU
#error "the CPU taken offline (NCPU - 1) must be an idle-loop CPU: WAKERS < NCPU"
#endif
/* cpu_offline(n) then cpu_online(n), from a task on another CPU. */
active proctype hotplug_controller() {
    byte v;
    /* offline_claimed(): n online and running */
    tso_load(CTRL, ONLINE, v);
    tso_load(CTRL, HOTPLUG_STATE(NCPU - 1), v);
    if
    :: v != RUNNING -> goto done
    :: else -> skip
    fi;
    d_step { tso_drain_body(CTRL); mem[ONLINE] = mem[ONLINE] & ~BIT(NCPU - 1) }; /* seq_cst */
    in_place == 0; /* synchronize(): every placer that read the old mask has finished */
    tso_store(CTRL, HOTPLUG_STATE(NCPU - 1), EVACUATE); /* release */
    kick(CTRL, NCPU - 1);                         /* control_kick() */
    mem[HOTPLUG_STATE(NCPU - 1)] == PARKED;             /* wait_for_state (acquire loads) */
    /* online_claimed() */
    tso_store(CTRL, HOTPLUG_STATE(NCPU - 1), ONLINE_REQ);
    kick(CTRL, NCPU - 1);
    mem[HOTPLUG_STATE(NCPU - 1)] == RUNNING;
done:
    hotplug_done = 1
}
#endif

/* ------------------------------------------------------------------ the monitor */

#define QUIET(c) (mode[c] == BUSY || ((mode[c] == HALTED_WAIT || mode[c] == PARKED_WAIT) && !latch[c]))
#if NCPU > 2
#define ALL_QUIET (QUIET(0) && QUIET(1) && QUIET(2) && sb[0].n == 0 && sb[1].n == 0 && sb[2].n == 0)
#else
#define ALL_QUIET (QUIET(0) && QUIET(1) && sb[0].n == 0 && sb[1].n == 0)
#endif

active proctype monitor() {
    byte t, c;
end_wait:
    atomic {
        events_done == NCPU && hotplug_done && sb[CTRL].n == 0 && ALL_QUIET ->
        t = 1;
        do
        :: t <= NTASK ->
            if
            :: where[t] == OWN_Q || where[t] == LOCAL_Q ->
                assert(mode[qcpu[t]] == BUSY) /* its only CPU is halted or parked */
            :: where[t] == SHARED_Q ->
                assert((mem[ONLINE] & BIT(qcpu[t])) != 0 || mode[qcpu[t]] == BUSY); /* not left on a parked CPU */
                c = 0;
                do
                :: c < NCPU ->
                    assert(!((mem[ONLINE] & BIT(c)) && mode[c] == HALTED_WAIT)); /* an online CPU sleeps beside it */
                    c++
                :: else -> break
                od
            :: else -> skip
            fi;
            t++
        :: else -> break
        od
    }
}

init {
    byte k = 0;
    atomic {
        mem[ONLINE] = ALL;
#ifndef WITH_HOTPLUG
        hotplug_done = 1;
#endif
        do
        :: k < NCPU -> run cpu(k); run tso_flusher(k); k++
        :: else -> break
        od;
        run tso_flusher(CTRL)
    }
}
