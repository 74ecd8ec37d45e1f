// Epoch-based reclamation (Fraser 2004, with QSBR's online/offline states from liburcu and
// Linux RCU). Shared by the kernel and the host tests; header-only so both build it from
// this one file.
//
// Model
// -----
// * A global 64-bit epoch G. Garbage is stamped with G (read after the object was unlinked)
//   and freed once G >= stamp + 2.
// * Each participant (one per CPU or thread, registered by a dense id) publishes one word:
//   0 ("not pinned") or e ("may hold references obtained while G was e"; epochs start at
//   kFirstEpoch = 2 and only grow, so a pinned state is never 0).
// * G advances from g to g+1 only when every pinned participant announces exactly g.
//   An offline participant outside a section publishes 0 and never blocks.
// * Two ways of being pinned, freely mixed:
//     - EBR: while offline, enter() pins at the current epoch and the outermost exit()
//       unpins. Each outermost enter() costs a store + the light fence (a compiler
//       barrier with membarrier, else a full fence).
//     - QSBR: go_online() pins; the participant stays pinned (enter()/exit() become
//       one private counter update, no shared access) and must call quiescent()
//       between sections to re-announce the current epoch. go_offline() before
//       halting or blocking, so an idle CPU never holds reclamation back. In the
//       kernel, the context switch is the natural quiescent() point.
// * retire() never allocates: the caller embeds a RetireNode in the object.
//
// Ordering argument (details in docs/core.md):
// * pin: r = G; state := r (release); LIGHT FENCE; re-check G == r (else repeat).
// * advance: g = G (acquire); HEAVY FENCE; end = scan end (relaxed); read the states of
//   ids [0, end) (acquire); CAS G g -> g+1. A registration the scan end misses is
//   sequenced before that participant's first pin fence, so it counts as a missed store.
//   If the scan misses a pin's store, the scanner's fence precedes the pinner's fence in
//   the fence order, so the pinner's re-check sees g (or later) and it re-pins; hence a
//   participant pinned at r with a successful re-check keeps G <= r + 1 while pinned.
// * The light/heavy pair is a full fence on each side, or, on the host with membarrier,
//   a compiler barrier in pin() and membarrier(PRIVATE_EXPEDITED) in advance: every
//   running reader then executes a full fence somewhere, and "the scan misses the store"
//   again means that fence came after the store's point, so the re-check sees g or later
//   (core_platform.h; docs/core.md, "Asymmetric fences").
// * retire: unlink (caller); append to the participant's list, unstamped. The stamp comes
//   later, once for all unstamped nodes (seal(), from try_reclaim() and the destructor):
//     - pinned at r (state r != 0): e = r + 1, no fence. While we are pinned at r, G <= r + 1
//       (above), so a reader that still saw the pointer pinned at most at r + 1. A reader
//       pinned at r + 2 or later read G from a CAS whose scan read our unpin or a later
//       re-announce (release stores after the unlink in program order, acquire loads), so
//       it sees the unlink: it cannot hold the object.
//     - not pinned: FULL FENCE; e = G. A reader that still saw the unlinked pointer pinned
//       at r with its fence before ours, so e >= r.
//   Either way the free at e + 2 needs every reader that may hold the object to have
//   unpinned first. A stamp taken later than the unlink is only larger (G never goes
//   back), i.e. later, safe; stamps are kept non-decreasing along the list.
// * unpin / re-announce are release stores read by the scanner's acquire loads, and G's
//   CAS is acq_rel, read with acquire before freeing: a reader's last access to an object
//   happens-before its free.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "core_platform.h"
#include "core/ordering.h"

namespace core {

// Intrusive link for retired objects: embed one in the object, recover the object in
// free_fn. No allocation on retire.
struct RetireNode {
    RetireNode* next = nullptr;
    uint64_t epoch = 0;
    void (*free_fn)(RetireNode*) = nullptr;
};

// Outcome of EpochParticipant::try_register().
enum class RegisterStatus {
    ok,
    id_out_of_range,  // id >= the domain's capacity()
    id_taken,  // another participant holds this id
};

// Outcome of EpochParticipant::barrier().
enum class BarrierStatus {
    completed,  // everything the participant retired before the call has been freed
    timed_out,  // max_rounds rounds passed with some of it still waiting: another participant
    // is online and not calling quiescent(), or inside a long section
    in_section,  // refused at once: the caller is inside its own section (it would wait for itself)
};

struct EpochStats {
    uint64_t retired = 0;
    uint64_t freed = 0;
    uint64_t pending = 0;
    uint64_t epoch_advances = 0;
};

class EpochParticipant;

class EpochDomain {
public:
    static constexpr uint32_t kMaxParticipants = 256;
    static constexpr uint64_t kFirstEpoch = 2;  // never 0: a slot's state is the epoch pinned at, 0 when not pinned
    // Garbage stamped e is freed once the global epoch reaches e + kGracePeriods.
    static constexpr uint64_t kGracePeriods = 2;

    // `max_participants` bounds the ids accepted and the scan of try_advance();
    // out-of-range values are clamped to [1, kMaxParticipants].
    explicit EpochDomain(uint32_t max_participants = kMaxParticipants)
        : m_limit(max_participants == 0                 ? 1
                  : max_participants > kMaxParticipants ? kMaxParticipants
                                                        : max_participants) {}
    // Precondition: no participant is registered any more (no reader can exist). Frees
    // whatever garbage is still waiting on the shared list.
    ~EpochDomain() {
        // acquire: pairs with the release CAS in push_shared_chain().
        RetireNode* node = m_shared.exchange(nullptr, std::memory_order_acquire);
        while (node) {
            RetireNode* next = node->next;
            node->free_fn(node);
            // relaxed: a statistic.
            m_shared_freed.fetch_add(1, std::memory_order_relaxed);
            node = next;
        }
    }
    EpochDomain(const EpochDomain&) = delete;
    EpochDomain& operator=(const EpochDomain&) = delete;

    uint32_t capacity() const { return m_limit; }

    // acquire: pairs with the acq_rel CAS in try_advance(), so a caller that sees epoch e
    // also sees every state the scanner observed before publishing e.
    uint64_t epoch() const { return m_global.load(std::memory_order_acquire); }

    // Advances G by one if every pinned participant has announced the current epoch.
    // Returns true when G is past the value this call started from (by us or another).
    bool try_advance() { return try_advance_as(0); }

    // Retires an object that no particular participant owns (e.g. a deque buffer replaced
    // by its owner). Callable from any thread, no participant needed, never allocates.
    // Freed by any participant's try_reclaim()/barrier(), or by ~EpochDomain.
    void retire(RetireNode* node, void (*free_fn)(RetireNode*)) {
        node->free_fn = free_fn;
        node->epoch = stamp();
        node->next = nullptr;
        // relaxed: a statistic.
        m_shared_retired.fetch_add(1, std::memory_order_relaxed);
        push_shared_chain(node, node);
    }

    // Frees the shared garbage whose grace period is over. Returns the number freed.
    size_t reclaim_shared() {
        // relaxed: only a hint to skip the exchange; the exchange below is the real read.
        if (!m_shared.load(std::memory_order_relaxed)) return 0;
        // acquire: pairs with the release CAS in push_shared_chain(), so the node fields
        // written by the retiring thread are visible.
        RetireNode* node = m_shared.exchange(nullptr, std::memory_order_acquire);
        uint64_t g = epoch();
        RetireNode* keep_head = nullptr;
        RetireNode* keep_tail = nullptr;
        size_t freed = 0;
        while (node) {
            RetireNode* next = node->next;
            if (node->epoch + kGracePeriods <= g) {
                node->free_fn(node);
                ++freed;
            } else {
                node->next = keep_head;
                keep_head = node;
                if (!keep_tail) keep_tail = node;
            }
            node = next;
        }
        if (keep_head) push_shared_chain(keep_head, keep_tail);
        if (freed) m_shared_freed.fetch_add(freed, std::memory_order_relaxed);  // relaxed: a statistic.
        return freed;
    }

    // Totals over every participant (past and present) and the shared list. Approximate
    // while others run.
    EpochStats stats() const {
        EpochStats st;
        for (uint32_t i = 0; i < m_limit; ++i) {
            // relaxed: statistics only.
            st.retired += m_slots[i].retired.load(std::memory_order_relaxed);
            st.freed += m_slots[i].freed.load(std::memory_order_relaxed);
        }
        st.retired += m_shared_retired.load(std::memory_order_relaxed);
        st.freed += m_shared_freed.load(std::memory_order_relaxed);
        st.pending = st.retired >= st.freed ? st.retired - st.freed : 0;
        st.epoch_advances = advances();
        return st;
    }

private:
    // try_advance() for a caller of whom `own` (0 or 1) is counted among the light
    // pinners: a participant need not send itself membarrier (ordering.h,
    // load_then_heavy_fence()), so a domain whose only light pinner is the caller advances
    // with a plain full fence.
    bool try_advance_as(uint32_t own) {
        // A look without the fence first: if a pinned participant visibly announces
        // another epoch, the advance below would fail anyway, and not advancing is always
        // safe. So the heavy fence (a membarrier system call on the host) is paid only by
        // scans that may succeed. acquire: as in advance_fenced().
        if (!all_pinned_at(m_global.load(std::memory_order_acquire), /*after_fence=*/false)) return false;
        return advance_fenced(own);
    }

    // The rest of try_advance() once a look found nothing against it: G read before a
    // heavy fence, the scan after it, and the CAS. Returns whether every pinned
    // participant announced that G. `own`: as in try_advance_as().
    bool advance_fenced(uint32_t own) {
        // acquire + heavy fence: the heavy fence pairs with the light fence in
        // EpochParticipant::pin() (membarrier on the host while some registered participant
        // pins with a compiler barrier, m_light_pinners != 0; else both are full fences);
        // see the header comment. acquire pairs with the CAS that wrote g.
        // m_light_pinners is read after g: a participant whose increment that read misses
        // did it (a locked instruction, a full barrier on x86) after our load of g, so its
        // first pin's re-check sees g or later, as for a missed state store; one advance
        // past it is what any pin tolerates (G <= r + 1), and the next scan counts it.
        uint64_t g = load_then_heavy_fence(m_global, std::memory_order_acquire, m_light_pinners, own);
        if (!all_pinned_at(g, /*after_fence=*/true)) return false;
        advance_from(g);
        return true;
    }

    // G from g to g + 1, unless someone moved it first (then it is past g all the same).
    void advance_from(uint64_t g) {
        // acq_rel: release publishes the scan to whoever reads g + 1 (epoch(), reclaim);
        // acquire keeps the chain of earlier advances.
        m_global.compare_exchange_strong(g, g + 1, std::memory_order_acq_rel, std::memory_order_relaxed);
    }
    // Every advance moves G by exactly one and nothing else writes it, so the count of
    // advances is G's distance from where it started: no counter of its own (it was a
    // locked add beside every successful CAS). relaxed: a statistic.
    uint64_t advances() const { return m_global.load(std::memory_order_relaxed) - kFirstEpoch; }

    // Whether every pinned participant announces g. Only the scan after the heavy fence
    // (after_fence) may let an advance happen; the one before it can only say no.
    bool all_pinned_at(uint64_t g, bool after_fence) const {
        // relaxed after the fence (seq_cst under TSan): ids at or past the value read hold
        // state 0 or belong to a participant whose registration we missed. Its registration
        // is sequenced before its first pin's fence, so missing it puts our fence first in
        // S ([atomics.order]/4.4) exactly like missing its state store: its pin's re-check
        // sees g or later. Partner: the seq_cst CAS-max in claim(). (With the asymmetric
        // pair, that CAS is a locked instruction, a full barrier of its own on x86.)
        uint32_t end = after_fence ? load_after_full_fence(m_scan_end, std::memory_order_relaxed)
                                   : m_scan_end.load(std::memory_order_relaxed);
        for (uint32_t i = 0; i < end; ++i) {
            // acquire: pairs with the release stores in pin()/unpin(), so everything a
            // participant did before announcing happens-before our CAS in try_advance().
            uint64_t s = after_fence ? load_after_full_fence(m_slots[i].state, std::memory_order_acquire)
                                     : m_slots[i].state.load(std::memory_order_acquire);
            if (s != 0 && s != g) return false;
        }
        return true;
    }

    friend class EpochParticipant;

    // The state of one synchronize(): the stamp of what its caller unlinked, the epoch read
    // just before the latest heavy fence while no scan has used it yet (what an advance may
    // CAS from, as in try_advance()), and the answer.
    struct GraceWait {
        uint64_t stamp;
        uint64_t before_fence;
        uint32_t own;  // as in try_advance_as()
        bool fresh = true;
        bool over = false;
    };

    // synchronize()'s start. One heavy fence serves twice: it is a full fence on the
    // caller (core_platform.h), so G read after it is the stamp of what the caller
    // unlinked (stamp()); and G read before it lets the first round advance.
    GraceWait begin_grace(uint32_t own) {
        // acquire + heavy fence: as in try_advance().
        uint64_t before = load_then_heavy_fence(m_global, std::memory_order_acquire, m_light_pinners, own);
        // acquire: as in stamp().
        return GraceWait{load_after_full_fence(m_global, std::memory_order_acquire), before, own};
    }

    // One round of synchronize(). A reader that can still see what the caller unlinked
    // before the stamp is pinned at r <= stamp (header comment, "retire": e >= r). So the
    // grace period is over once a scan that follows a heavy fence of ours finds every
    // participant either
    //   - unpinned: the 0 is its unpin (release, read with acquire: its section's reads
    //     happen-before our return), or a 0 from before a pin whose store the scan missed
    //     (then our fence precedes that pin's fence in S, so the section it opens sees the
    //     unlink, which precedes our fence; as in try_advance()), or
    //   - pinned past the stamp: a new pin (its release store read with acquire orders the
    //     section it ended before it) that cannot see the unlinked object.
    // A reader seen pinned at the stamp twice may be two sections (leave and re-enter at
    // the same epoch), so while G is still at the stamp the round advances it the way
    // try_advance() does (G read before a heavy fence, every pinned participant at G),
    // and readers that re-enter pin past it. The scans themselves need no fence of their
    // own: begin_grace()'s precedes every one of them in program order, which is all the
    // argument above uses. So the first round advances from the G read before that fence,
    // and a later round pays a fence only when its scan (a look, as in try_advance())
    // found everyone pinned at a G still equal to the stamp: a round that waits for a
    // participant lagging below G, or for one still pinned after G moved, costs a scan
    // and no system call. Sets wait.over when done.
    void grace_round(GraceWait& wait) {
        bool first = wait.fresh;
        wait.fresh = false;
        // acquire: pairs with the CAS that wrote g.
        uint64_t g = first ? wait.before_fence : m_global.load(std::memory_order_acquire);
        // relaxed / acquire after the fence: as in all_pinned_at().
        uint32_t end = load_after_full_fence(m_scan_end, std::memory_order_relaxed);
        bool held = false;
        bool all_at_g = true;
        for (uint32_t i = 0; i < end; ++i) {
            uint64_t s = load_after_full_fence(m_slots[i].state, std::memory_order_acquire);
            if (s == 0) continue;
            held |= s <= wait.stamp;
            all_at_g &= s == g;
        }
        if (!held) {
            wait.over = true;
            return;
        }
        if (g != wait.stamp || !all_at_g) return;
        if (first)
            advance_from(g);  // g was read before begin_grace()'s heavy fence
        else
            advance_fenced(wait.own);
    }

    // Claims id `id` for a new participant and makes the scanners cover it.
    RegisterStatus claim(uint32_t id) {
        if (id >= m_limit) return RegisterStatus::id_out_of_range;
        bool expected = false;
        // acquire: pairs with the release store of `claimed = false` in the previous
        // owner's destructor, so its final state (0) and counters are visible to us.
        if (!m_slots[id].claimed.compare_exchange_strong(expected, true, std::memory_order_acquire,
                                                         std::memory_order_relaxed))
            return RegisterStatus::id_taken;
        // seq_cst CAS-max: partner of the load of m_scan_end in try_advance(); it happens
        // before the participant's first pin, which is what the argument there needs
        // (seq_cst so the same holds under TSan through S).
        uint32_t end = m_scan_end.load(std::memory_order_relaxed);  // relaxed: the CAS re-reads
        while (end < id + 1 &&
               !m_scan_end.compare_exchange_weak(end, id + 1, std::memory_order_seq_cst, std::memory_order_relaxed)) {}
        return RegisterStatus::ok;
    }

    // The stamp for garbage unlinked by the caller just before: full fence, then G. A
    // reader that still saw the object read G = r, then the object (acquire, so in that
    // order); our fence puts the unlink before our load of G, so that load cannot read an
    // epoch older than r (on x86-TSO: the cycle unlink -> fence -> load G, fr the CAS that
    // wrote r, rf the reader's load of G, po its load of the object, fr the unlink is
    // forbidden). This holds with either fence scheme: the reader's pin fence is not needed
    // here, only its load order.
    uint64_t stamp() { return full_fence_then_load(m_global, std::memory_order_acquire); }

    // Pushes the chain first..last (already linked) on the shared Treiber stack.
    void push_shared_chain(RetireNode* first, RetireNode* last) {
        // relaxed: the CAS below re-reads it.
        RetireNode* head = m_shared.load(std::memory_order_relaxed);
        do {
            last->next = head;
            // release: publishes the nodes' fields to the acquire exchange in
            // reclaim_shared() / ~EpochDomain.
        } while (!m_shared.compare_exchange_weak(head, first, std::memory_order_release, std::memory_order_relaxed));
    }

    // One cache line per participant: the state is written by its owner on every pin and
    // read by every scanner.
    struct alignas(64) Slot {
        Atomic<uint64_t> state{0};  // 0 (not pinned) or the epoch pinned at (>= kFirstEpoch)
        Atomic<bool> claimed{false};  // id in use
        Atomic<uint64_t> retired{0};  // cumulative, written by the owner only
        Atomic<uint64_t> freed{0};  // cumulative, written by the owner only
    };

    Slot m_slots[kMaxParticipants];
    uint32_t m_limit;
    // One past the highest id ever claimed (only grows): try_advance() scans [0, end), so
    // a scan costs O(registered ids), not O(max_participants).
    Atomic<uint32_t> m_scan_end{0};
    // Registered participants that pin with the light fence alone (asymmetric): while
    // there are none, the heavy fence is a plain full fence, not membarrier.
    Atomic<uint32_t> m_light_pinners{0};
    alignas(64) Atomic<uint64_t> m_global{kFirstEpoch};
    alignas(64) Atomic<RetireNode*> m_shared{nullptr};
    Atomic<uint64_t> m_shared_retired{0};
    Atomic<uint64_t> m_shared_freed{0};
};

// One per CPU/thread, used only by its owner (not copyable, not movable). Every
// EpochParticipant object is registered: there is no detached state that would protect
// nothing, so enter()/pin() need no "am I registered" test.
class EpochParticipant {
public:
    // Proof that an id was claimed for a new participant; only EpochParticipant can make
    // one, so the constructor that takes it cannot be used to skip the claim.
    class ClaimedId {
        friend class EpochParticipant;
        ClaimedId(EpochDomain& domain, uint32_t id) : domain(domain), id(id) {}
        EpochDomain& domain;
        uint32_t id;
    };

    // barrier()'s default bound. A grace period normally takes a handful of rounds; 2^20
    // is about 1 s on an idle host (a round past the first 256 is a sched_yield; longer
    // when the CPU is shared) and less in the kernel (a round is a scan and a pause).
    static constexpr uint64_t kDefaultBarrierRounds = uint64_t(1) << 20;

    // Registers id `id`, which the caller owns (a CPU's index, a worker's number). An id
    // out of range or already taken is a contract violation; use try_register() when the
    // id may legitimately be unavailable.
    EpochParticipant(EpochDomain& domain, uint32_t id) : EpochParticipant(claim_or_violate(domain, id)) {}
    // Only reachable with a ClaimedId, i.e. from the constructor above and from
    // try_register() (through std::optional::emplace, which needs it public).
    explicit EpochParticipant(ClaimedId claimed)
        : m_domain_and_mode(reinterpret_cast<uintptr_t>(&claimed.domain) |
                            (platform::asymmetric_fences() ? 0 : kFullFencesTag)),
          m_slot(&claimed.domain.m_slots[claimed.id]),
          m_id(claimed.id) {
        if (light_pins()) count_light_pins(+1);
    }

    // Registers id `id` into `into`, which must be empty (else a contract violation).
    // Constructs the participant only on RegisterStatus::ok; otherwise `into` stays empty.
    [[nodiscard]] static RegisterStatus try_register(std::optional<EpochParticipant>& into, EpochDomain& domain,
                                                     uint32_t id) {
        if (into)
            platform::contract_violation("EpochParticipant::try_register: the optional already holds a participant");
        RegisterStatus status = domain.claim(id);
        if (status == RegisterStatus::ok) into.emplace(ClaimedId(domain, id));
        return status;
    }

    // Leaves the domain: unpins, and hands garbage still waiting to the domain's shared
    // list (freed later by the other participants or by ~EpochDomain).
    ~EpochParticipant() {
        seal();  // the shared list frees by stamp
        unpin();
        if (m_head) {
            // Counted as retired in our slot, counted as freed by the shared list later.
            domain().push_shared_chain(m_head, m_tail);
            m_head = m_tail = nullptr;
            m_pending = 0;
        }
        if (light_pins()) count_light_pins(-1);
        // release: pairs with the acquire claim of the next owner of this id.
        m_slot->claimed.store(false, std::memory_order_release);
    }
    EpochParticipant(const EpochParticipant&) = delete;
    EpochParticipant& operator=(const EpochParticipant&) = delete;

    // How this participant's pins fence. By default as platform::asymmetric_fences() said
    // when it was made: on the host with membarrier, a compiler barrier, and the scanners
    // pay membarrier (a system call per advance that may succeed) while any such
    // participant is registered. set_full_fence_pins(true) makes its pins full fences, so
    // it no longer needs membarrier from anyone: right for a QSBR participant, which pins
    // only at go_online() and at a quiescent() after the epoch moved (liburcu's qsbr
    // flavour fences its quiescent states for the same reason). A domain whose
    // participants all pin with full fences advances without a system call. Precondition:
    // not pinned (offline and outside sections); a contract violation otherwise.
    void set_full_fence_pins(bool full) {
        if (pinned()) platform::contract_violation("EpochParticipant::set_full_fence_pins: the participant is pinned");
        bool light = !full && platform::asymmetric_fences();
        if (light == light_pins()) return;
        m_domain_and_mode = (m_domain_and_mode & ~kFullFencesTag) | (light ? 0 : kFullFencesTag);
        count_light_pins(light ? +1 : -1);
    }
    bool full_fence_pins() const { return !light_pins(); }

    uint32_t id() const { return m_id; }
    EpochDomain& domain() const { return *reinterpret_cast<EpochDomain*>(m_domain_and_mode & ~kFullFencesTag); }
    bool online() const { return (m_depth & kOnlineRef) != 0; }
    // Offline, the participant is pinned only inside a section (the outermost one is
    // the state itself, see m_depth); online, every open section is counted.
    bool in_section() const { return refs() >= kSectionRef || (!online() && pinned()); }

    // Critical section: shared pointers read between enter() and the matching exit() stay
    // valid until that exit(). Nestable.
    //
    // Layout: the EBR path (offline, outermost) is the one marked likely, so that it runs
    // straight through with no taken branch; an online (QSBR) participant's enter()/exit()
    // is a counter update and one taken branch each. Measured: taken branches bounded this
    // read side at first, then, at 19 instructions, memory operations (three per cycle, at
    // most two stores; docs/benchmarks.md, "the EBR read side"). Hence:
    //
    // - An offline participant's outermost section is not counted in m_depth: the slot's
    //   state says it (pinned exactly while non-zero, and offline it is pinned exactly
    //   inside a section). So the EBR pair stores nothing but the state. enter() reads its
    //   own state back (a line it owns, for the store it is about to make): 0 is the
    //   outermost section, anything else a nested or online one, which is counted. exit()
    //   unpins when m_depth holds no reference.
    // - The fence mode is the low bit of the domain pointer (kFullFencesTag), which the pin
    //   loads anyway for G's address: the light path tests that bit and uses the pointer
    //   as it is (the bit is 0 there), so telling the modes apart costs no load of its own.
    //   A participant with full fences takes the other branch (it pays a fence anyway).
    void enter() {
        // Our own slot, read once for the test and the pin (the test's atomic load would
        // otherwise make the compiler load m_slot again).
        Atomic<uint64_t>& state = m_slot->state;
        // relaxed: as in announced().
        if (state.load(std::memory_order_relaxed) == 0) [[likely]] {  // offline, outermost
            uintptr_t domain_and_mode = m_domain_and_mode;
            // Without a tag (the kernel) this is the only branch, and light_fence() is a
            // full fence there whatever it is told.
            if ((domain_and_mode & kFullFencesTag) == 0) [[likely]]
                pin_state(state, reinterpret_cast<EpochDomain*>(domain_and_mode)->m_global, /*light=*/true);
            else
                pin_state(state, domain().m_global, /*light=*/false);
            return;
        }
        uint32_t depth = m_depth;
#ifdef CORE_EPOCH_CHECKS
        if (depth > kMaxRefs - kSectionRef)
            platform::contract_violation("EpochParticipant::enter: sections nested deeper than 32,768");
#endif
        m_depth = depth + kSectionRef;  // nested, or online: pinned already
    }
    void exit() {
        uint32_t depth = m_depth;
        // No counted reference: offline and outermost (either fence mode), so unpin. An
        // unbalanced exit() here stores the 0 that is already there.
        if (depth == 0) [[likely]] {
            unpin();
            return;
        }
        if (depth < kSectionRef) [[unlikely]]
            return;  // unbalanced exit of an online participant: ignore rather than unpin
        m_depth = depth - kSectionRef;  // nested, or online: still pinned
    }

    // The QSBR read side as liburcu-qsbr has it. An online participant is pinned from
    // go_online() to go_offline(), and what it reads stays valid until its next
    // quiescent(), so a read needs no count at all (urcu-qsbr's rcu_read_lock() compiles to
    // nothing). enter_online()/exit_online() (or OnlineSection) mark such a read: nothing
    // at all unless CORE_EPOCH_CHECKS is defined (the host's test trees); then they check that the participant is online and count the open
    // marks, and quiescent() or go_offline() (so also barrier() and synchronize()) inside
    // one is a contract violation instead of a silent end of the protection. Use enter()/
    // exit() where the participant may be offline.
    void enter_online() {
#ifdef CORE_EPOCH_CHECKS
        if (!online()) platform::contract_violation("EpochParticipant::enter_online: the participant is offline");
        ++m_online_marks;
#endif
    }
    void exit_online() {
#ifdef CORE_EPOCH_CHECKS
        if (m_online_marks == 0)
            platform::contract_violation("EpochParticipant::exit_online: no enter_online() open");
        --m_online_marks;
#endif
    }

    // Online (QSBR) participants call this between sections: "I hold no references from
    // before this point". No effect inside a section or while offline.
    void quiescent() {
#ifdef CORE_EPOCH_CHECKS
        if (m_online_marks != 0)
            platform::contract_violation("EpochParticipant::quiescent: inside enter_online()/exit_online()");
#endif
        // G first: while it equals what we announced there is nothing to do whatever our
        // state, so the common call reads G and our slot and nothing else (a load of
        // m_depth fewer; the loop is bound by loads, docs/benchmarks.md). relaxed: a stale
        // value only delays the re-announce to the next call; pin() reads G again with the
        // full protocol. announced(): our own slot, read back (0 while not pinned).
        if (domain().m_global.load(std::memory_order_relaxed) == announced()) [[likely]]
            return;
        if (refs() == kOnlineRef)  // online and outside sections (else: no effect)
            pin(light_pins());
    }

    // While offline the participant is invisible to reclamation except inside enter()/
    // exit() sections. go_offline() inside a section takes effect at the outermost exit().
    void go_online() {
        if (online()) return;
        if (pinned()) {
            // Inside sections: online, every section is counted, so count the outermost.
            m_depth += kOnlineRef + kSectionRef;
            return;
        }
        m_depth += kOnlineRef;
        pin(light_pins());
    }
    void go_offline() {
#ifdef CORE_EPOCH_CHECKS
        if (m_online_marks != 0)
            platform::contract_violation("EpochParticipant::go_offline: inside enter_online()/exit_online()");
#endif
        if (!online()) return;
        m_depth -= kOnlineRef;
        if (refs() == 0)
            unpin();
        else
            m_depth -= kSectionRef;  // offline, the outermost open section is the state
    }

    // Queues `node` to be freed with free_fn(node) once no reader can hold it. The caller
    // has already unlinked the object. Never allocates, never frees synchronously, never
    // fences: the node waits unstamped until the next try_reclaim() stamps every unstamped
    // node at once (seal(); header comment, "retire").
    void retire(RetireNode* node, void (*free_fn)(RetireNode*)) {
        node->free_fn = free_fn;
        node->epoch = kUnstamped;
        node->next = nullptr;
        // Own list in retire order: the stamped nodes first, stamps non-decreasing (seal()),
        // so the reclaimable nodes are always a prefix; the unstamped ones follow.
        if (m_tail)
            m_tail->next = node;
        else
            m_head = node;
        m_tail = node;
        if (!m_unstamped) m_unstamped = node;
        ++m_pending;
        // relaxed: single-writer statistic.
        m_slot->retired.store(m_slot->retired.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    }

    // Tries to advance the epoch, then frees this participant's garbage whose grace period
    // is over, and the domain's shared garbage. Returns the number of objects freed.
    // With an advance interval above 1 (set_advance_interval()) the advance is attempted
    // only as that says.
    size_t try_reclaim() { return reclaim(/*force_advance=*/false); }

    // An advance that may succeed costs a heavy fence: a membarrier system call when the
    // host registered it (hundreds of nanoseconds with nobody else running, an IPI per
    // running reader otherwise), a full fence else. A writer that retires in long bursts
    // can amortise it: with an interval of n, try_reclaim() attempts the advance only once
    // n nodes were retired since its last attempt, or when nothing was retired since the
    // previous call (the burst is over, so the backlog still drains by polling alone).
    // Garbage then waits about 2n retires longer while advances succeed (a failed attempt
    // restarts the count too). 0 and 1 mean every call attempts (1 is the default);
    // barrier() and synchronize() always attempt.
    void set_advance_interval(uint32_t retires) { m_advance_interval = retires ? retires : 1; }

    // Waits until everything this participant retired before the call has been freed
    // (not other participants' garbage, not the shared list). Offline participants do not
    // hold it up; an online one that never calls quiescent() or a stalled section does,
    // hence the bound: after `max_rounds` unsuccessful rounds it gives up with timed_out
    // (pass UINT64_MAX to wait as long as it takes). in_section without waiting when
    // called inside a section.
    [[nodiscard]] BarrierStatus barrier(uint64_t max_rounds = kDefaultBarrierRounds) {
        if (in_section()) return BarrierStatus::in_section;
        return wait_rounds(
            max_rounds, [&] { return m_pending == 0; }, [&] { reclaim(/*force_advance=*/true); });
    }

    // Waits one grace period without retiring anything (Linux's synchronize_rcu(), ck's
    // ck_epoch_synchronize()): on `completed`, every section that was open anywhere in the
    // domain when the call began has ended, and its reads happen-before our return, so an
    // object the caller unlinked before the call may be freed or reused at once. It waits
    // for the readers themselves, not for two advances: a reader that could still see what
    // the caller unlinked is pinned at or below the fenced stamp, so the wait is over once a
    // fenced scan finds nobody pinned there (EpochDomain::grace_round()). Like ck's, it
    // completes at once when nobody is pinned, and advances G only to move readers that
    // leave and re-enter off the stamp. Bounded like barrier(): timed_out after
    // `max_rounds` rounds without reaching it; in_section when called inside a section
    // (it would wait for itself).
    [[nodiscard]] BarrierStatus synchronize(uint64_t max_rounds = kDefaultBarrierRounds) {
        if (in_section()) return BarrierStatus::in_section;
        EpochDomain::GraceWait wait = domain().begin_grace(own_light_pins());
        return wait_rounds(
            max_rounds, [&] { return wait.over; }, [&] { domain().grace_round(wait); });
    }

    EpochStats stats() const {
        EpochStats st;
        st.retired = m_slot->retired.load(std::memory_order_relaxed);  // relaxed: statistic
        st.freed = m_slot->freed.load(std::memory_order_relaxed);
        st.pending = m_pending;
        st.epoch_advances = domain().advances();
        return st;
    }
    uint64_t pending() const { return m_pending; }

private:
    // The wait of barrier() and synchronize(): rounds of quiescent() and `step` (an
    // advance) until `done`, at most `max_rounds` of them. After a round that moved the
    // epoch it goes again at once: the next advance may already be possible (an online
    // caller's own stale announcement is what blocked it, and quiescent() fixes that).
    // Otherwise someone else holds the epoch: spin first (a grace period is normally a few
    // microseconds), hand the CPU away only for long waits.
    template <typename Done, typename Step>
    BarrierStatus wait_rounds(uint64_t max_rounds, Done done, Step step) {
        for (uint64_t round = 0;; ++round) {
            if (done()) return BarrierStatus::completed;
            if (round >= max_rounds) return BarrierStatus::timed_out;
            uint64_t before = domain().epoch();
            quiescent();
            step();
            if (done()) return BarrierStatus::completed;
            if (domain().epoch() != before) continue;
            if (round < kBarrierSpinRounds)
                platform::cpu_relax();
            else
                platform::yield();
        }
    }

    // try_reclaim(), and barrier()'s rounds with force_advance.
    size_t reclaim(bool force_advance) {
        seal();
        // The owner's own retire count (a single-writer statistic in its slot): no extra
        // store on retire() for the interval's sake. relaxed: we wrote it.
        uint64_t retired = m_slot->retired.load(std::memory_order_relaxed);
        if (force_advance || m_advance_interval == 1 || retired - m_retired_at_advance >= m_advance_interval ||
            retired == m_retired_at_poll) {
            m_retired_at_advance = retired;
            domain().try_advance_as(own_light_pins());
        }
        m_retired_at_poll = retired;
        uint64_t g = domain().epoch();  // >= kFirstEpoch = kGracePeriods: no wrap below
        size_t freed = 0;
        // Written as stamp <= g - grace so that a node free_fn retires meanwhile (stamp
        // kUnstamped) never passes.
        while (m_head && m_head->epoch <= g - EpochDomain::kGracePeriods) {
            // Unlink before calling free_fn: it may retire again (e.g. a torture test
            // re-queueing its object for another grace period).
            RetireNode* node = m_head;
            m_head = node->next;
            if (!m_head) m_tail = nullptr;
            --m_pending;
            node->free_fn(node);
            ++freed;
        }
        // Counted once per call, after the frees: a reader of the statistics may see pending
        // one batch too high for a moment, never too low (the kernel waits for pending == 0).
        add_freed(freed);
        return freed + domain().reclaim_shared();
    }

    static ClaimedId claim_or_violate(EpochDomain& domain, uint32_t id) {
        RegisterStatus status = domain.claim(id);
        if (status == RegisterStatus::id_out_of_range)
            platform::contract_violation("EpochParticipant: id out of the domain's range (try_register reports it)");
        if (status == RegisterStatus::id_taken)
            platform::contract_violation("EpochParticipant: id already taken (try_register reports it)");
        return ClaimedId(domain, id);
    }

    // `light`: whether this pin fences with the light fence alone (light_pins()). enter()
    // calls pin_state() itself, with the slot and G it already holds and the mode it has
    // just tested.
    void pin(bool light) { pin_state(m_slot->state, domain().m_global, light); }
    // `state`: our slot's, and `global`: the domain's G, as the caller already holds them;
    // both stay in registers across the fence below (a compiler barrier in light mode,
    // which would otherwise make the compiler load them again).
    void pin_state(Atomic<uint64_t>& state, Atomic<uint64_t>& global, bool light) {
        // acquire: pairs with the CAS that wrote g (see EpochDomain::epoch()).
        uint64_t g = global.load(std::memory_order_acquire);
        // The first try inline and straight-line; a re-pin (G moved meanwhile) out of line.
        if (!try_pin_at(state, global, g, light)) [[unlikely]]
            repin();
    }
    // Announces g; true if G was still g after the fence.
    bool try_pin_at(Atomic<uint64_t>& state, Atomic<uint64_t>& global, uint64_t g, bool light) {
        // release: a scanner that reads this announcement also sees everything we did
        // before it (QSBR re-announce ends the previous reader phase). The light fence
        // pairs with the heavy fence in try_advance(): a compiler barrier when the
        // scanner issues membarrier, else a full fence (core_platform.h).
        store_then_light_fence(state, g, std::memory_order_release, light);
        // The re-check after the fence: a scanner that missed our store has its fence
        // before ours, so we see the epoch it read (or later) here and re-pin.
        // acquire: as in pin().
        return load_after_full_fence(global, std::memory_order_acquire) == g;
    }
    // The epoch of our current pin, 0 while not pinned: read back from our own slot, which
    // only we write, instead of a private copy that every pin would have to store as well
    // (one store fewer on the EBR read side). relaxed: our own latest store, read in
    // program order.
    uint64_t announced() const { return m_slot->state.load(std::memory_order_relaxed); }
    bool pinned() const { return announced() != 0; }
    [[gnu::noinline]] void repin() {
        // acquire: as in pin().
        Atomic<uint64_t>& global = domain().m_global;
        while (!try_pin_at(m_slot->state, global, load_after_full_fence(global, std::memory_order_acquire), light_pins())) {}
    }
    void unpin() {
        // announced() reads 0 from here on: not pinned.
        // release: our reads inside the section happen-before the scanner's acquire load
        // of this 0, hence before any free that follows its advance.
        m_slot->state.store(0, std::memory_order_release);
    }
    // Stamps every unstamped node (retire() left them so) with one epoch: the pinned epoch
    // + 1 while pinned, without a fence; otherwise G read after a full fence. Never below
    // the last stamp given, so stamps stay non-decreasing along the list (raising a stamp
    // only delays the free). Header comment, "retire", says why both are safe.
    void seal() {
        if (!m_unstamped) return;
        uint64_t e = pinned() ? announced() + 1 : domain().stamp();
        if (e < m_last_stamp) e = m_last_stamp;
        m_last_stamp = e;
        for (RetireNode* node = m_unstamped; node; node = node->next) node->epoch = e;
        m_unstamped = nullptr;
    }
    void count_light_pins(int delta) {
        if (delta > 0)
            // seq_cst: before our first light pin, and a locked instruction: the scanner's
            // seq_cst load of the count after its load of G is the partner (try_advance()).
            domain().m_light_pinners.fetch_add(1, std::memory_order_seq_cst);
        else
            // release: after our last light pin (we are unpinned here), so a scanner that
            // sees the smaller count and fences plainly has nothing of ours to miss.
            domain().m_light_pinners.fetch_sub(1, std::memory_order_release);
    }
    void add_freed(uint64_t n) {
        if (n == 0) return;
        // relaxed: single-writer statistic.
        m_slot->freed.store(m_slot->freed.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
    }

    // The domain, with the fence mode in its low bit (kFullFencesTag, set while the
    // participant pins with full fences, set_full_fence_pins()); the pointer's own low
    // bit is always 0 (EpochDomain is 64-byte aligned). domain() and light_pins() read it.
    // No tag where no participant can pin lightly (the kernel): there both fences are full
    // fences, light_pins() is false, and domain() masks nothing.
    static constexpr uintptr_t kFullFencesTag = platform::kAsymmetricFencesPossible ? 1 : 0;
    static_assert(alignof(EpochDomain) > 1, "the tag needs a free low bit");
    uintptr_t m_domain_and_mode;
    EpochDomain::Slot* m_slot;  // ours, claimed: never null
    // m_depth, owner-only: the pin references the slot's state does not already show,
    // kSectionRef per open section (but an offline participant's outermost one, which is
    // the state itself) plus kOnlineRef while online. Pinned exactly while the state is
    // non-zero (pinned()); m_depth == 0 with the participant pinned is one offline section.
    static constexpr uint32_t kOnlineRef = 1;
    static constexpr uint32_t kSectionRef = 2;
    // A bound on nesting, so that a runaway recursion or a lost exit() is reported rather
    // than carried on: more than 32,767 counted sections (32,768 with the outermost) is a
    // contract violation, checked with CORE_EPOCH_CHECKS.
    static constexpr uint32_t kMaxRefs = 0xFFFF;
    uint32_t refs() const { return m_depth; }
    // Our pins fence with a compiler barrier alone (set_full_fence_pins()).
    bool light_pins() const {
        return platform::kAsymmetricFencesPossible && (m_domain_and_mode & kFullFencesTag) == 0;
    }
    // How many of the domain's light pinners we are (0 or 1): we count ourselves exactly
    // while light_pins() (constructor, set_full_fence_pins(), destructor).
    uint32_t own_light_pins() const { return light_pins() ? 1 : 0; }
    // barrier() rounds that spin with cpu_relax() before it starts yielding the CPU.
    static constexpr uint64_t kBarrierSpinRounds = 256;

    uint32_t m_id;
    uint32_t m_depth = 0;
    // Open enter_online() marks; counted only with CORE_EPOCH_CHECKS (the member is always
    // there, so the layout does not depend on the build).
    uint32_t m_online_marks = 0;
    // The stamp of a node retire() queued and seal() has not stamped yet: never reclaimable.
    static constexpr uint64_t kUnstamped = UINT64_MAX;
    RetireNode* m_head = nullptr;
    RetireNode* m_tail = nullptr;
    RetireNode* m_unstamped = nullptr;  // the first unstamped node; all after it are too
    uint64_t m_last_stamp = 0;          // what seal() last gave
    uint64_t m_pending = 0;
    uint32_t m_advance_interval = 1;    // set_advance_interval()
    uint64_t m_retired_at_advance = 0;  // our retire count at the last advance attempt
    uint64_t m_retired_at_poll = 0;     // ... and at the last try_reclaim()
};

// RAII marker of an online participant's read (EpochParticipant::enter_online()).
class OnlineSection {
public:
    explicit OnlineSection(EpochParticipant& participant) : m_participant(participant) { m_participant.enter_online(); }
    ~OnlineSection() { m_participant.exit_online(); }
    OnlineSection(const OnlineSection&) = delete;
    OnlineSection& operator=(const OnlineSection&) = delete;

private:
    EpochParticipant& m_participant;
};

// RAII critical section.
class EpochGuard {
public:
    explicit EpochGuard(EpochParticipant& participant) : m_participant(participant) { m_participant.enter(); }
    ~EpochGuard() { m_participant.exit(); }
    EpochGuard(const EpochGuard&) = delete;
    EpochGuard& operator=(const EpochGuard&) = delete;

private:
    EpochParticipant& m_participant;
};

}  // namespace core
