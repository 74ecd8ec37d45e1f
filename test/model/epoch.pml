/* Epoch-based reclamation (src/core/epoch.h: EpochDomain, EpochParticipant) under x86-TSO.
 *
 * PARTS participants (2 or 3), one process each with its own store buffer. Each registers
 * (the constructor's CAS-max of m_scan_end), then runs any sequence of: go_online /
 * go_offline (QSBR), enter / exit (EBR sections, nestable with the online state),
 * quiescent, reading the shared pointer, try_reclaim (try_advance, then free what is due),
 * and leaving and re-joining the domain (the hotplug offline path: go_offline, the
 * destructor's unpin, then a new EpochParticipant and go_online, as handle_hotplug() and
 * join_scheduler() do). Participant 0 is also the writer: it unlinks the object the
 * shared pointer names (a release store, i.e. a plain mov) and retires it, OBJS - 1 times
 * (roles: see CAN_READ / CAN_RECLAIM).
 *
 * Checked: at every free, no participant holds the object. A participant holds every
 * object it read while pinned, until the API lets it go: its next quiescent() while
 * online outside a section, or the moment it stops being pinned (outermost exit() while
 * offline, go_offline() outside a section, leaving the domain).
 *
 * Bound: the global epoch starts at kFirstEpoch = 2 and try_advance() gives up at EMAX
 * (the model's only cut; two advances past the last stamp are enough to free it).
 *
 * retire() queues the object unstamped; the retiring participant's next try_reclaim() (or its
 * destructor) stamps every unstamped object at once (seal()): the pinned epoch + 1 with no
 * fence while pinned, else G after a full fence, never below the last stamp given.
 *
 * Twins: -DBREAK_FREE_EARLY frees at stamp + 1 instead of stamp + kGracePeriods (2);
 * -DBREAK_STAMP_PINNED stamps the pinned epoch itself instead of that epoch + 1;
 * -DBREAK_SEAL_NO_FENCE drops the unpinned seal's fence before its load of G.
 *
 * -DSYNC: participant 0 frees what it unlinks right after one synchronize() instead of
 * retiring it (begin_grace(), then rounds of quiescent() and grace_round() until nobody
 * is pinned at or below the stamp). Twins: -DBREAK_SYNC_NO_FENCE drops begin_grace()'s
 * heavy fence; -DBREAK_SYNC_HELD_BELOW lets a reader pinned at the stamp itself through.
 *
 * -DASYMMETRIC: the host's membarrier scheme. The pin's fence is a compiler barrier only
 * (no drain), and every heavy fence (try_advance(), begin_grace(), grace_round()) is
 * membarrier(PRIVATE_EXPEDITED): every CPU's store buffer drained in one step, the
 * caller's included. The seal's stamp() keeps its own fence. Twin:
 * -DBREAK_ADVANCE_NO_FENCE drops try_advance()'s heavy fence (with -DASYMMETRIC nothing
 * then orders a reader's pin store before its loads).
 */

#ifndef PARTS
#define PARTS 2
#endif
#ifndef OBJS
#define OBJS 3
#endif
#ifndef EMAX
#define EMAX 6
#endif

/* Roles, to keep the state space small: participant 0 writes and reclaims but does not
 * read the pointer, participant 1 reads but does not reclaim, participant 2 (if any)
 * does both. Every participant pins, unpins, goes on and offline and re-joins. */
#define CAN_READ(p) ((p) != 0)
#ifdef READER_RECLAIMS
/* -DREADER_RECLAIMS: participant 1 also reclaims (advances G), so someone other than the
 * writer can move G between the writer's unlink and its stamp. */
#define CAN_RECLAIM(p) 1
#else
#define CAN_RECLAIM(p) ((p) != 1)
#endif

#ifdef BREAK_FREE_EARLY
#define GRACE 1
#else
#define GRACE 2 /* EpochDomain::kGracePeriods */
#endif
#ifdef BREAK_STAMP_PINNED
#define PINNED_STAMP_OFFSET 0
#else
#define PINNED_STAMP_OFFSET 1 /* seal() while pinned at r: r + 1 */
#endif

/* Memory words: m_global, m_scan_end, the shared pointer, then each slot's state
 * (0 = not pinned, e = pinned at e: epochs start at 2, so a pin is never 0). */
#define GLOBAL 0
#define SCAN_END 1
#define POINTER 2
#define STATE(id) (3 + (id))

#ifdef BREAK_SYNC_HELD_BELOW
#define HELD_AT_OR_BELOW(e, st) ((e) < (st))
#else
#define HELD_AT_OR_BELOW(e, st) ((e) <= (st))
#endif

#define TSO_CPUS PARTS
#define TSO_MEM (3 + PARTS)
#define TSO_SB 3
#include "tso.pml"

/* Ghost state. */
byte held[PARTS];      /* bit o: participant holds object o */
bool retired[OBJS + 1];
bool stamped[OBJS + 1];
bool freed[OBJS + 1];
byte stamp[OBJS + 1];

/* EpochParticipant::pin(): g = G; loop { state = g; fence; now = G; if now == g break; g = now } */
inline pin(p) {
    tso_load(p, GLOBAL, g); /* acquire: mov */
    do
    :: tso_store(p, STATE(p), g); /* store_then_light_fence(state, g, release) */
#ifndef ASYMMETRIC
       tso_fence(p);
#endif
       tso_load(p, GLOBAL, now); /* load_after_full_fence(m_global, acquire) */
       if
       :: now == g -> announced = g; break
       :: else -> g = now
       fi
    od;
    g = 0; now = 0
}

/* platform::heavy_fence(): a full fence; with -DASYMMETRIC membarrier, which makes every
 * CPU running one of the process's threads drain its store buffer, the caller's too. */
inline heavy_fence(p) {
#ifdef ASYMMETRIC
    d_step {
        q = 0;
        do
        :: q < PARTS -> tso_drain_body(q); q++
        :: else -> break
        od;
        q = 0
    }
#else
    d_step { tso_drain_body(p); skip } /* the skip: the drain loop's exit stays inside the d_step */
#endif
}

/* EpochParticipant::unpin(): release store of 0 (a mov; no fence). The participant's
 * uses of what it read come before the store in program order (and x86 keeps a load
 * before a later store), so it lets go of them first. */
inline unpin(p) {
    held[p] = 0;
    tso_store(p, STATE(p), 0);
    announced = 0
}

/* EpochParticipant::seal(), the retiring participant only (0): stamps every retired and
 * unstamped object with one epoch. Pinned (announced != 0): announced + 1, no memory access;
 * not pinned: stamp() = full_fence_then_load(m_global). Raised to the last stamp given. */
inline seal(p) {
    if
    :: p == 0 && retired[current - 1] && !stamped[current - 1] ->
        if
        :: announced != 0 -> g = announced + PINNED_STAMP_OFFSET
        :: else ->
#ifndef BREAK_SEAL_NO_FENCE
            tso_fence(p); /* lock orq, then mov */
#endif
            tso_load(p, GLOBAL, g)
        fi;
        d_step {
            if
            :: g < last -> g = last
            :: else -> skip
            fi;
            last = g;
            i = 1;
            do
            :: i <= OBJS ->
                if
                :: retired[i] && !stamped[i] -> stamp[i] = g; stamped[i] = 1
                :: else -> skip
                fi;
                i++
            :: else -> break
            od;
            i = 0; g = 0
        }
    :: else -> skip
    fi
}

/* EpochDomain::try_advance(), then try_reclaim()'s frees: the participant's own list and
 * the shared list both free at stamp + kGracePeriods <= epoch(); the model lets any
 * participant free any retired object (a superset of who frees what in the code). */
/* EpochDomain::advance_fenced(): try_advance() after its look (the model leaves the look
 * out: it can only say no). */
inline advance_fenced(p) {
    /* load_then_heavy_fence(m_global, acquire): mov, then the heavy fence */
    tso_load(p, GLOBAL, g);
#ifndef BREAK_ADVANCE_NO_FENCE
    heavy_fence(p);
#endif
    tso_load(p, SCAN_END, end); /* load_after_full_fence(m_scan_end, relaxed) */
    ok = (g < EMAX);            /* the model's bound on the epoch */
    i = 0;
    do
    :: ok && i < end ->
        tso_load(p, STATE(i), s); /* acquire: mov */
        if
        :: s != 0 && s != g -> ok = 0
        :: else -> skip
        fi;
        i++
    :: else -> break
    od;
    if
    :: ok -> d_step { /* lock cmpxchg G: g -> g + 1 */
           tso_drain_body(p);
           if
           :: mem[GLOBAL] == g -> mem[GLOBAL] = g + 1
           :: else -> skip
           fi
       }
    :: else -> skip
    fi
}

inline try_reclaim(p) {
    seal(p);
    advance_fenced(p);
    /* epoch() (acquire), then free every retired object whose grace period is over. One
     * step: G only grows, and nobody can newly reach an object unlinked before its stamp,
     * so freeing later than this load (as the code does) frees nothing the load would not. */
    d_step {
        tso_load_body(p, GLOBAL, g);
        i = 1;
        do
        :: i <= OBJS ->
            if
            :: stamped[i] && !freed[i] && stamp[i] + GRACE <= g ->
                freed[i] = 1;
                tso_i = 0;
                do /* the property: nobody holds what is freed */
                :: tso_i < PARTS -> assert((held[tso_i] & (1 << i)) == 0); tso_i++
                :: else -> break
                od;
                tso_i = 0
            :: else -> skip
            fi;
            i++
        :: else -> break
        od;
        i = 0; g = 0; end = 0; s = 0; ok = 0
    }
}

/* Participant 0 only: the caller unlinks the object (store of the new pointer), then
 * retire() queues it unstamped (no fence, no shared access). The unstamped objects are
 * always the newest ones, so seal() tests the newest to know whether any is. */
inline unlink_and_retire(p) {
    current++;
    tso_store(p, POINTER, current); /* release: mov */
    retired[current - 1] = 1
}

#ifdef SYNC
/* Participant 0 only, outside any section: unlinks the object (release store), then
 * synchronize(), then frees the object at once. */
inline unlink_and_synchronize(p) {
    current++;
    tso_store(p, POINTER, current); /* release: mov */
    /* begin_grace(): G, the heavy fence, G again (the stamp) */
    tso_load(p, GLOBAL, before);
#ifndef BREAK_SYNC_NO_FENCE
    heavy_fence(p);
#endif
    tso_load(p, GLOBAL, st);
    fresh = 1;
    do
    :: /* wait_rounds(): quiescent() first (online, outside a section) */
        if
        :: depth == 1 ->
            tso_load(p, GLOBAL, g);
            if
            :: g != announced -> pin(p)
            :: else -> g = 0
            fi
        :: else -> skip
        fi;
        /* grace_round() */
        if
        :: fresh -> g = before
        :: else -> tso_load(p, GLOBAL, g) /* acquire: mov */
        fi;
        tso_load(p, SCAN_END, end);
        hold = 0;
        ok = 1;
        i = 0;
        do
        :: i < end ->
            tso_load(p, STATE(i), s); /* acquire: mov */
            if
            :: s != 0 && HELD_AT_OR_BELOW(s, st) -> hold = 1
            :: else -> skip
            fi;
            if
            :: s != 0 && s != g -> ok = 0
            :: else -> skip
            fi;
            i++
        :: else -> break
        od;
        if
        :: !hold -> break
        :: else ->
            if
            :: fresh && g == st && ok && g < EMAX -> d_step { /* advance_from(g): lock cmpxchg */
                   tso_drain_body(p);
                   if
                   :: mem[GLOBAL] == g -> mem[GLOBAL] = g + 1
                   :: else -> skip
                   fi
               }
            :: !fresh && g == st && ok -> advance_fenced(p) /* the scan was a look */
            :: else -> skip
            fi
        fi;
        fresh = 0
    od;
    skip; /* the loop's exit lands here, not inside the d_step */
    d_step { /* the caller frees what it unlinked: nobody may hold it */
        freed[current - 1] = 1;
        tso_i = 0;
        do
        :: tso_i < PARTS -> assert((held[tso_i] & (1 << (current - 1))) == 0); tso_i++
        :: else -> break
        od;
        tso_i = 0; i = 0; g = 0; end = 0; s = 0; ok = 0; hold = 0; before = 0; st = 0; fresh = 0
    }
}
#endif

proctype participant(byte p) {
    /* m_depth: 2 per open section, 1 while online; offline, the outermost section is not
     * counted: the state (announced != 0) is that section */
    byte depth = 0;
    byte announced = 0; /* announced(): the participant's own state, read back; 0 unpinned */
    byte g, now, end, s, i, o, q;
    bool ok;
#ifdef SYNC
    byte before, st;
    bool fresh, hold;
#endif
    bool registered = 0;
    byte current = 1;   /* participant 0: the object the pointer names now */
    byte joins = 0;
    byte last = 0;      /* m_last_stamp */

    /* The constructor: seq_cst CAS-max of m_scan_end (lock cmpxchg). */
register:
    skip;
    d_step {
        tso_drain_body(p);
        if
        :: mem[SCAN_END] < p + 1 -> mem[SCAN_END] = p + 1
        :: else -> skip
        fi;
        registered = 1
    };
    do
    /* go_online() */
    :: registered && !(depth & 1) ->
        if
        :: announced == 0 -> depth = 1; pin(p)
        :: else -> depth = depth + 3 /* inside sections: count the outermost too */
        fi
    /* go_offline() (inside a section it takes effect at the outermost exit) */
    :: (depth & 1) ->
        depth--;
        if
        :: depth == 0 -> unpin(p)
        :: else -> depth = depth - 2 /* the outermost section is the state again */
        fi
    /* enter(): nestable, one level modelled */
    :: registered && (depth == 1 || (depth == 0 && announced == 0)) ->
        if
        :: depth == 0 -> pin(p) /* offline, outermost: the pin is the count */
        :: else -> depth = depth + 2
        fi
    /* exit() */
    :: depth >= 2 || (depth == 0 && announced != 0) ->
        if
        :: depth == 0 -> unpin(p)
        :: else -> depth = depth - 2
        fi
    /* quiescent(): only online outside sections; the caller holds nothing from before */
    :: depth == 1 ->
        held[p] = 0;
        tso_load(p, GLOBAL, g); /* relaxed */
        if
        :: g != announced -> pin(p)
        :: else -> g = 0
        fi
    /* read the shared pointer while pinned, and hold what it names */
    :: CAN_READ(p) && announced != 0 ->
        tso_load(p, POINTER, o);
        held[p] = held[p] | (1 << o);
        o = 0
    :: CAN_RECLAIM(p) && registered -> try_reclaim(p)
#ifdef SYNC
    :: p == 0 && current < OBJS && (depth == 1 || (depth == 0 && announced == 0)) -> unlink_and_synchronize(p)
#else
    :: p == 0 && current < OBJS -> unlink_and_retire(p)
#endif
    /* hotplug: handle_hotplug() goes offline and resets the participant (its destructor
     * unpins and hands pending garbage to the shared list), join_scheduler() makes a new
     * one with the same id (registration again) and goes online. Idle task: no section. */
    :: (depth == 1 || (depth == 0 && announced == 0)) && registered && joins < 1 ->
        if
        :: depth == 1 -> depth = 0; unpin(p)
        :: else -> skip
        fi;
        seal(p);                   /* ~EpochParticipant: seal(), then unpin() */
        tso_store(p, STATE(p), 0);
        registered = 0;
        joins++;
        goto register
    :: break
    od
}

init {
    byte k = 0;
    atomic {
        mem[GLOBAL] = 2; /* kFirstEpoch */
        mem[POINTER] = 1;
        do
        :: k < PARTS -> run participant(k); run tso_flusher(k); k++
        :: else -> break
        od
    }
}
