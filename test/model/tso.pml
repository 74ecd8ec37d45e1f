/* x86-TSO for the Promela models (Sewell, Sarkar, Owens, Zappa Nardelli, Myreen:
 * "x86-TSO: a rigorous and usable programmer's model for x86 multiprocessors", CACM 2010).
 *
 * Each CPU has a FIFO store buffer. A plain store (`mov`) enters the buffer; a flusher
 * process writes the oldest entry to memory at any moment. A load reads the newest
 * buffered store to its address, else memory. A locked instruction (`lock or`,
 * `lock cmpxchg`, `lock btr`, `xchg`) and `mfence` first drain the buffer, then act on
 * memory in one step. That is all x86 allows: stores are not reordered with stores,
 * loads not with loads, and the only reordering is a load passing an earlier store to
 * another address (store -> load), which is what every full fence in the code prevents.
 *
 * How the C++ orderings of src/core and src/sched become instructions (g++ 12 -O2, both
 * the host and the kernel flags, checked with objdump -d; docs/verification.md):
 *   load of any order (relaxed, acquire, seq_cst)   mov           -> tso_load
 *   store relaxed / release                         mov           -> tso_store
 *   atomic_thread_fence(seq_cst)                    lock orq $0,(%rsp) -> tso_fence
 *   compare_exchange, exchange, fetch_or/and/sub    lock cmpxchg / lock or / lock btr /
 *                                                   xchg / lock xadd -> d_step { drain; op }
 *
 * Users define TSO_CPUS (number of store buffers), TSO_MEM (words of memory), TSO_SB
 * (buffer depth) and TSO_VAL (the type of a memory word). A store to a full buffer waits
 * for the flusher, as a real CPU stalls at its buffer's depth: the models explore up to
 * TSO_SB stores in flight per CPU, more than any of the store -> load windows they check
 * needs (one or two stores). */

#ifndef TSO_SB
#define TSO_SB 4
#endif
#ifndef TSO_VAL
#define TSO_VAL byte
#endif

#ifdef TSO_RMW
#define TSO_OR 1  /* op kinds of a buffered RMW (tso_buffered_rmw) */
#define TSO_ADD 2
#endif

typedef StoreBuffer {
    byte addr[TSO_SB];
    TSO_VAL val[TSO_SB];
#ifdef TSO_RMW
    byte op[TSO_SB]; /* 0 store, TSO_OR, TSO_ADD: see tso_buffered_rmw() */
#endif
    byte n
};

TSO_VAL mem[TSO_MEM];
StoreBuffer sb[TSO_CPUS];
byte tso_i; /* scratch, used only inside d_step and always left at 0 */

/* The bodies below contain no d_step of their own so that a locked instruction can be
 * written as one d_step { tso_drain_body(p); <its read-modify-write on mem> }. */

/* Writes the oldest buffered store of CPU p to memory. */
inline tso_flush_one_body(p) {
#ifdef TSO_RMW
    if
    :: sb[p].op[0] == TSO_OR -> mem[sb[p].addr[0]] = mem[sb[p].addr[0]] | sb[p].val[0]
    :: sb[p].op[0] == TSO_ADD -> mem[sb[p].addr[0]] = mem[sb[p].addr[0]] + sb[p].val[0]
    :: else -> mem[sb[p].addr[0]] = sb[p].val[0]
    fi;
#else
    mem[sb[p].addr[0]] = sb[p].val[0];
#endif
    tso_i = 1;
    do
    :: tso_i < sb[p].n ->
        sb[p].addr[tso_i - 1] = sb[p].addr[tso_i];
        sb[p].val[tso_i - 1] = sb[p].val[tso_i];
#ifdef TSO_RMW
        sb[p].op[tso_i - 1] = sb[p].op[tso_i];
#endif
        tso_i++
    :: else -> break
    od;
    sb[p].n--;
    sb[p].addr[sb[p].n] = 0;
    sb[p].val[sb[p].n] = 0;
#ifdef TSO_RMW
    sb[p].op[sb[p].n] = 0;
#endif
    tso_i = 0
}

/* Drains CPU p's whole buffer in order (what a locked instruction or a fence waits for). */
inline tso_drain_body(p) {
    do
    :: sb[p].n > 0 -> tso_flush_one_body(p)
    :: else -> break
    od
}

/* r := value of address a as CPU p sees it (store forwarding from its own buffer). */
inline tso_load_body(p, a, r) {
    r = mem[a];
    tso_i = 0;
    do
    :: tso_i < sb[p].n ->
        if
#ifdef TSO_RMW
        :: sb[p].addr[tso_i] == a && sb[p].op[tso_i] == TSO_OR -> r = r | sb[p].val[tso_i]
        :: sb[p].addr[tso_i] == a && sb[p].op[tso_i] == TSO_ADD -> r = r + sb[p].val[tso_i]
        :: sb[p].addr[tso_i] == a && sb[p].op[tso_i] == 0 -> r = sb[p].val[tso_i]
#else
        :: sb[p].addr[tso_i] == a -> r = sb[p].val[tso_i]
#endif
        :: else -> skip
        fi;
        tso_i++
    :: else -> break
    od;
    tso_i = 0
}

inline tso_load(p, a, r) { d_step { tso_load_body(p, a, r) } }

inline tso_store(p, a, v) {
    d_step {
        sb[p].n < TSO_SB; /* a full buffer stalls the store until the flusher drains one */
        sb[p].addr[sb[p].n] = a;
        sb[p].val[sb[p].n] = v;
        sb[p].n++
    }
}

#ifdef TSO_RMW
/* Not an x86 instruction: an atomic OR / ADD whose write reaches memory later, in order
 * with the CPU's other stores, while the CPU's own later loads do not wait for it. This is
 * what C++ allows for an acq_rel (or relaxed) RMW whose result is unused and which is
 * followed by relaxed loads, and what a weakly ordered CPU does (ARMv8: ldaxr/stlxr, then
 * ldr). Used only by a break twin, to show what the seq_cst fence after such RMWs is for;
 * on x86 every RMW is a locked instruction, itself a full barrier. */
inline tso_buffered_rmw(p, a, v, kind) {
    d_step {
        sb[p].n < TSO_SB;
        sb[p].addr[sb[p].n] = a;
        sb[p].val[sb[p].n] = v;
        sb[p].op[sb[p].n] = kind;
        sb[p].n++
    }
}
#endif

/* mfence, or the `lock orq $0,(%rsp)` g++ emits for atomic_thread_fence(seq_cst). */
inline tso_fence(p) { d_step { tso_drain_body(p) } }

/* The store buffer of CPU p drains at any moment, one store at a time, oldest first. */
proctype tso_flusher(byte p) {
end_flush:
    do
    :: d_step { sb[p].n > 0 -> tso_flush_one_body(p) }
    od
}
