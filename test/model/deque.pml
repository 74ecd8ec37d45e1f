/* Chase-Lev deque (src/core/deque.h, core::WorkStealingDeque) under x86-TSO.
 *
 * One owner runs push / take / take_fifo in any order; THIEVES thieves (1 or 2) each run
 * up to STEALS operations, each a steal() or a steal_batch(). The owner pushes ITEMS
 * items (1..ITEMS) into a deque of capacity 2 (kMinCapacity), so the third push grows it
 * to 4 (one growth; the old buffer stays readable: it is retired through the epochs,
 * whose model is epoch.pml). When the thieves are done the owner takes what is left.
 *
 * Checked: every item is claimed at most once (assertion at each claim) and, at the
 * end, exactly once (no item lost). Orderings as compiled for x86 (tso.pml).
 *
 * Twins (same source):
 *   -DBREAK_TAKE_FENCE      take() without the fence between its bottom store and its top
 *                           load (the `lock orq $0,(%rsp)` at deque.h take())
 *   -DBREAK_STEAL_LATE_READ steal() reads the slot after its CAS instead of before
 */

#ifndef ITEMS
#define ITEMS 3
#endif
#ifndef THIEVES
#define THIEVES 1
#endif
#ifndef STEALS
#define STEALS 2
#endif

/* Memory words. m_top and m_bottom (deque.h), m_buffer as 0 = the first buffer (2
 * slots), 1 = the grown one (4 slots), then the slots of both buffers. */
#define TOP 0
#define BOTTOM 1
#define BUFFER 2
#define SLOT(buf, i) ((buf) == 0 -> 3 + ((i) & 1) : 5 + ((i) & 3))
#define CAPACITY(buf) ((buf) == 0 -> 2 : 4)

#define TSO_CPUS 1     /* only the owner makes plain stores to this deque (thieves only CAS) */
#define TSO_MEM 9
#define TSO_SB 6       /* grow: 2 copied slots + buffer, then slot + bottom */
#define TSO_VAL short  /* take() may store bottom - 1 */
#define OWNER 0
#include "tso.pml"

byte claimed[ITEMS + 1]; /* ghost: how many times each item was returned to a caller */
byte thieves_done;

inline claim(item) {
    d_step {
        claimed[item]++;
        assert(claimed[item] == 1) /* never twice */
    }
}

/* ------------------------------------------------------------------ owner */

/* WorkStealingDeque::push() -> grow() -> publish(). */
inline push(item) {
    tso_load(OWNER, BOTTOM, b);   /* relaxed: own field (store forwarding) */
    tso_load(OWNER, TOP, t);      /* acquire: mov */
    tso_load(OWNER, BUFFER, buf); /* relaxed: own field */
    if
    :: b - t >= CAPACITY(buf) ->
        /* grow(): copy [t, b) into the fresh buffer, then the release store of m_buffer */
        assert(buf == 0); /* the bounds allow one growth */
        i = t;
        do
        :: i < b ->
            tso_load(OWNER, SLOT(0, i), v);
            tso_store(OWNER, SLOT(1, i), v);
            i++
        :: else -> break
        od;
        i = 0; v = 0;
        tso_store(OWNER, BUFFER, 1);
        buf = 1
    :: else -> skip
    fi;
    /* publish(): relaxed slot store, release store of bottom (two movs) */
    tso_store(OWNER, SLOT(buf, b), item);
    tso_store(OWNER, BOTTOM, b + 1);
    b = 0; t = 0; buf = 0
}

/* WorkStealingDeque::take(). */
inline take(got) {
    got = 0;
    tso_load(OWNER, BUFFER, buf);
    tso_load(OWNER, BOTTOM, b);
    b = b - 1;
    tso_load(OWNER, TOP, t); /* the emptiness pre-check without the fence */
    if
    :: t > b -> skip
    :: else ->
        /* store_then_full_fence(m_bottom, b, release): mov + lock orq */
        tso_store(OWNER, BOTTOM, b);
#ifndef BREAK_TAKE_FENCE
        tso_fence(OWNER);
#endif
        tso_load(OWNER, TOP, t); /* load_after_full_fence(m_top, relaxed): mov */
        if
        :: t > b -> tso_store(OWNER, BOTTOM, b + 1) /* was empty: undo */
        :: else ->
            tso_load(OWNER, SLOT(buf, b), got); /* read before any CAS */
            if
            :: t == b ->
                /* last item: lock cmpxchg on top against the thieves */
                d_step {
                    tso_drain_body(OWNER);
                    if
                    :: mem[TOP] == t -> mem[TOP] = t + 1
                    :: else -> got = 0
                    fi
                };
                tso_store(OWNER, BOTTOM, b + 1)
            :: else -> skip
            fi
        fi
    fi;
    if
    :: got != 0 -> claim(got)
    :: else -> skip
    fi;
    b = 0; t = 0; buf = 0
}

/* WorkStealingDeque::take_fifo(): a self-steal from the top, retried while t < b. */
inline take_fifo(got) {
    got = 0;
    tso_load(OWNER, BOTTOM, b);
    tso_load(OWNER, TOP, t);
    tso_load(OWNER, BUFFER, buf);
    do
    :: t < b ->
        tso_load(OWNER, SLOT(buf, t), got);
        d_step {
            tso_drain_body(OWNER); /* lock cmpxchg */
            if
            :: mem[TOP] == t -> mem[TOP] = t + 1; ok = 1
            :: else -> t = mem[TOP]; got = 0 /* lost: t holds the current top */
            fi
        };
        if
        :: ok -> ok = 0; claim(got); break
        :: else -> skip
        fi
    :: else -> got = 0; break
    od;
    b = 0; t = 0; buf = 0
}

active proctype owner() {
    short b, t, v;
    byte buf, i, got, ok;
    byte pushed = 0;
    run tso_flusher(OWNER);
    do
    :: pushed < ITEMS -> pushed++; push(pushed)
    :: take(got)
    :: take_fifo(got)
    :: pushed == ITEMS -> break
    od;
    /* The thieves are done: whatever is left comes out by take(), each item once. */
    thieves_done == THIEVES;
    do
    :: take(got);
       if
       :: got == 0 -> break
       :: else -> skip
       fi
    od;
    i = 1;
    do
    :: i <= ITEMS -> assert(claimed[i] == 1); i++ /* none lost */
    :: else -> break
    od
}

/* ------------------------------------------------------------------ thieves
 * A thief makes no plain store to this deque, so its store buffer stays empty and plain
 * memory loads are exact for it. */

/* WorkStealingDeque::steal(): status 0 empty, 1 success, 2 lost_race. */
inline steal(status) {
    t = mem[TOP];    /* seq_cst load: mov */
    b = mem[BOTTOM]; /* seq_cst load: mov */
    if
    :: t >= b -> status = 0
    :: else ->
        buf = mem[BUFFER]; /* acquire: mov */
#ifndef BREAK_STEAL_LATE_READ
        item = mem[SLOT(buf, t)]; /* relaxed, before the CAS */
#endif
        d_step {
            if
            :: mem[TOP] == t -> mem[TOP] = t + 1; status = 1 /* lock cmpxchg */
            :: else -> status = 2
            fi
        };
#ifdef BREAK_STEAL_LATE_READ
        item = mem[SLOT(buf, t)];
#endif
        if
        :: status == 1 -> claim(item)
        :: else -> skip
        fi
    fi;
    t = 0; b = 0; buf = 0; item = 0
}

/* WorkStealingDeque::steal_batch(into, max): size the batch from size_approx(), then
 * claim one index per steal(), at most 2 * want attempts, stopping at empty. `into` is
 * the thief's own deque, with room reserved first: pushing there is not modelled. */
inline steal_batch() {
    b = mem[BOTTOM]; /* size_approx(): relaxed loads, bottom then top */
    t = mem[TOP];
    if
    :: b > t -> want = (b - t + 1) / 2
    :: else -> want = 0
    fi;
    moved = 0; attempts = 0;
    do
    :: moved < want && attempts < 2 * want ->
        attempts++;
        steal(status);
        if
        :: status == 0 -> break
        :: status == 1 -> moved++
        :: else -> skip
        fi
    :: else -> break
    od;
    want = 0; moved = 0; attempts = 0; status = 0
}

proctype thief() {
    short t, b;
    byte buf, item, status, want, moved, attempts;
    byte ops = 0;
    do
    :: ops < STEALS -> ops++; steal(status); status = 0
    :: ops < STEALS -> ops++; steal_batch()
    :: break
    od;
    thieves_done++
}

init {
    byte k = 0;
    atomic {
        do
        :: k < THIEVES -> run thief(); k++
        :: else -> break
        od
    }
}
