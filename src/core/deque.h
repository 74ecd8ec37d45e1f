// Chase-Lev work-stealing deque of T* (Chase & Lev, SPAA 2005), with the C11 orderings of
// Le, Pop, Cohen and Zappa Nardelli (PPoPP 2013). Shared by the kernel's per-CPU ready
// queues and the host tests.
//
// One owner pushes and takes at the bottom (LIFO) and may also take from the top (FIFO,
// with a CAS like a thief). Any number of thieves steal from the top. Indices are signed
// 64-bit: on a fresh deque `bottom - 1` is -1, not 2^64 - 1.
//
// Who may call what is carried by types, as crossbeam-deque's Worker/Stealer do:
//   WorkStealingDeque<T>  the storage. Neither copyable nor movable; it has no operations
//                         of its own. owner() hands out its one owner handle (a second
//                         call is a contract violation); stealer() any number of views.
//   DequeOwner<T>         push, take, take_fifo, reserve, capacity, size_approx, stealer.
//                         Move-only: it can be handed to the owning thread/CPU once, never
//                         copied to a second one.
//   DequeStealer<T>       steal, steal_batch (into a DequeOwner: the caller must own the
//                         destination), size_approx. Copyable; has no owner operations.
// Both handles point at the storage, which must outlive them.
// Thieves must be inside an epoch section (EpochGuard, or an online participant between
// quiescent points) of the deque's EpochDomain while they steal: a buffer replaced by
// growth is retired through that domain and freed only after every such section ended.
// The owner needs no section: it never reads a buffer it has replaced.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>

#include "core_platform.h"
#include "core/epoch.h"
#include "core/ordering.h"

namespace core {

enum class PushResult {
    ok,
    out_of_memory,  // the deque needed to grow and could not; the item was not pushed
};

enum class StealStatus {
    success,
    empty,  // nothing to steal at the time of the look
    lost_race,  // there was an item, but another thief (or the owner) claimed it first
};

template <typename T>
struct StealResult {
    T* item = nullptr;
    StealStatus status = StealStatus::empty;
};

template <typename T>
class DequeOwner;
template <typename T>
class DequeStealer;

template <typename T>
class WorkStealingDeque {
public:
    static constexpr int64_t kMinCapacity = 2;
    static constexpr int64_t kMaxCapacity = int64_t(1) << 40;
    // Valid range of `first_index`. Indices only grow, by one per push, and take() computes
    // bottom - 1: starting in [-2^62, 2^62] keeps bottom - 1 far above INT64_MIN and leaves
    // at least 2^62 pushes (a century at 10^9 a second) before bottom could pass INT64_MAX.
    static constexpr int64_t kMinFirstIndex = -(int64_t(1) << 62);
    static constexpr int64_t kMaxFirstIndex = int64_t(1) << 62;

    // `initial_capacity` is rounded up to a power of two in [kMinCapacity, kMaxCapacity].
    // `first_index` is a test seam: indices start there (e.g. just below 2^32 to check
    // nothing truncates them); outside [kMinFirstIndex, kMaxFirstIndex] it is a contract
    // violation. If the first buffer cannot be allocated, the deque starts empty-handed and
    // the first push() retries the allocation.
    WorkStealingDeque(EpochDomain& domain, size_t initial_capacity = 64, int64_t first_index = 0)
        : m_domain(domain),
          m_initial_capacity(round_capacity(initial_capacity)),
          m_top(first_index),
          m_bottom(first_index) {
        if (first_index < kMinFirstIndex || first_index > kMaxFirstIndex)
            platform::contract_violation("WorkStealingDeque: first_index outside [kMinFirstIndex, kMaxFirstIndex]");
        // relaxed: no other thread can know this deque yet.
        m_buffer.store(Buffer::create(m_initial_capacity), std::memory_order_relaxed);
    }

    // Precondition: no push/take runs any more. Thieves still inside a section may hold
    // the buffer, so it goes through the epoch domain (which must outlive the deque).
    ~WorkStealingDeque() {
        Buffer* buffer = m_buffer.load(std::memory_order_relaxed);  // relaxed: owner's own field
        if (buffer) m_domain.retire(&buffer->retire_node, &Buffer::destroy);
    }
    // Handles point here: the storage never moves.
    WorkStealingDeque(const WorkStealingDeque&) = delete;
    WorkStealingDeque& operator=(const WorkStealingDeque&) = delete;

    // The one owner handle; a second call is a contract violation.
    DequeOwner<T> owner() {
        // relaxed: only the flag's own modification order matters (one winner); the handle
        // reaches the owning thread through whatever hands it over (thread start, per-CPU
        // structures filled before the CPU runs), which carries its own happens-before.
        if (m_owner_handed_out.exchange(true, std::memory_order_relaxed))
            platform::contract_violation("WorkStealingDeque::owner: the owner handle was already handed out");
        return DequeOwner<T>(*this);
    }

    // A thief view. Any number, from any thread.
    DequeStealer<T> stealer() { return DequeStealer<T>(*this); }

private:
    friend class DequeOwner<T>;
    friend class DequeStealer<T>;

    // ------------------------------------------------------------------ owner side

    // Pushes at the bottom, growing the buffer when full. On allocation failure nothing
    // changes and out_of_memory is returned: the caller still holds `item`.
    PushResult push(T* item) {
        int64_t b = m_bottom.load(std::memory_order_relaxed);  // relaxed: only the owner writes bottom
        // acquire: pairs with the seq_cst CAS in steal()/take_fifo(): a thief's read of
        // slot t happens-before we reuse that slot for index t + capacity.
        int64_t t = m_top.load(std::memory_order_acquire);
        Buffer* buffer = m_buffer.load(std::memory_order_relaxed);  // relaxed: only the owner writes it
        if (!buffer || b - t >= buffer->capacity) {
            buffer = grow(buffer, t, b, b - t + 1);
            if (!buffer) return PushResult::out_of_memory;
        }
        publish(buffer, b, item);
        return PushResult::ok;
    }

    // Takes from the bottom (LIFO). nullptr when empty or when a thief won the last item.
    // The last item is claimed with one CAS; more items, without a CAS behind the fence.
    T* take() {
        Buffer* buffer = m_buffer.load(std::memory_order_relaxed);  // relaxed: owner's own field
        int64_t b = m_bottom.load(std::memory_order_relaxed) - 1;  // relaxed: owner's own field
        // A look at top without the fence. relaxed: top only grows and only the owner writes
        // bottom, so the value read is <= the current top; nothing is claimed on its
        // strength alone. Partner: none.
        int64_t seen_top = m_top.load(std::memory_order_relaxed);
        // "read top > b" proves "top > b now": empty. An idle owner polling its empty deque
        // thus executes no locked instruction.
        if (seen_top > b) return nullptr;
        if (seen_top == b) {
            // One item left, index b: claim it as take_fifo() and the thieves do, with the
            // CAS on top alone (no bottom store, no fence, no restore). This is take_fifo()
            // on a one-item deque. Why that is enough:
            // - Every claim of index b while we are here is a CAS moving top from b to b + 1
            //   (steal, steal_batch, this one): the owner's claim without a CAS, below, is
            //   not running. RMW atomicity lets exactly one CAS succeed.
            // - Our CAS reads top no earlier in its modification order than seen_top
            //   (coherence), so top >= b. And top <= bottom = b + 1: bottom is lowered only
            //   inside take(), and a thief claims only indices below bottom. So a failed
            //   CAS means top == b + 1: a thief has the item, and the deque is empty.
            // - A thief between its loads and its CAS read top == b (it races this CAS) or
            //   an older top (its CAS fails). Bottom does not change, so what it read of
            //   bottom stays true.
            // - A stale seen_top < b with one item really left goes down the full protocol
            //   below, whose last-item CAS is this same claim.
            // - Later takes keep their Dekker argument: this CAS is sequenced before their
            //   fence, exactly as an earlier take_fifo() would be.
            // Read before the CAS, as a thief does (DESIGN §3). relaxed: our own earlier store.
            T* item = buffer->at(b).load(std::memory_order_relaxed);
            // seq_cst: the thieves' claim, as in steal()/take_fifo(). Exclusivity comes from
            // RMW atomicity; on x86 any CAS is one locked instruction.
            if (m_top.compare_exchange_strong(seen_top, b + 1, std::memory_order_seq_cst, std::memory_order_relaxed))
                return item;
            return nullptr;
        }
        // Two or more items (or a stale top): reserve index b, then look at top. The full
        // fence pairs with steal()'s seq_cst load of bottom: either the thief sees our
        // smaller bottom, or we see the top written by its earlier CAS (Dekker; C++20
        // [atomics.order]/4.2-4.3).
        // release: a thief that reads this bottom also sees the slots of earlier pushes
        // (a later plain store does not extend a release sequence in C++20).
        store_then_full_fence(m_bottom, b, std::memory_order_release);
        int64_t t = load_after_full_fence(m_top, std::memory_order_relaxed);
        if (t > b) {
            // Was empty: undo the reservation. release: as above.
            m_bottom.store(b + 1, std::memory_order_release);
            return nullptr;
        }
        // Read before the CAS, as a thief does: once top moves past b the index belongs
        // to whoever moved it.
        T* item = buffer->at(b).load(std::memory_order_relaxed);  // relaxed: our own earlier store
        if (t == b) {
            // Last item: thieves may be claiming the same index through top.
            // seq_cst: races the thieves' seq_cst CAS for index t; RMW atomicity lets exactly
            // one of them move top from t (Le et al.).
            if (!m_top.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst, std::memory_order_relaxed))
                item = nullptr;
            // top is now b + 1 either way; bottom back to b + 1 = empty. release: as above.
            m_bottom.store(b + 1, std::memory_order_release);
        }
        return item;
    }

    // Takes from the top (FIFO), racing the thieves with the same CAS they use. Retries
    // after losing a race while items remain. nullptr when empty.
    T* take_fifo() {
        int64_t b = m_bottom.load(std::memory_order_relaxed);  // relaxed: owner's own field
        // relaxed: the CAS below validates t; a stale t only makes the CAS fail.
        int64_t t = m_top.load(std::memory_order_relaxed);
        Buffer* buffer = m_buffer.load(std::memory_order_relaxed);  // relaxed: owner's own field
        while (t < b) {
            // Slot t of our current buffer holds index t: the owner does not overwrite it
            // before top has passed t (push checks b - top < capacity).
            T* item = buffer->at(t).load(std::memory_order_relaxed);
            // seq_cst: same CAS as steal(); the winner alone owns index t.
            if (m_top.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst, std::memory_order_relaxed))
                return item;
            // Lost to a thief; t now holds the current top.
        }
        return nullptr;
    }

    // Makes room so that the next `count` pushes cannot fail (thieves only free room).
    // Returns how many pushes are guaranteed: `count`, or, when growing failed or no
    // buffer (at most kMaxCapacity) could hold `count` more, the room there is now.
    [[nodiscard]] size_t reserve(size_t count) {
        int64_t b = m_bottom.load(std::memory_order_relaxed);  // relaxed: owner's own field
        int64_t t = m_top.load(std::memory_order_acquire);  // acquire: as in push()
        Buffer* buffer = m_buffer.load(std::memory_order_relaxed);  // relaxed: owner's own field
        // 0 <= used <= capacity <= kMaxCapacity: top never passes bottom at rest, and push
        // keeps b - top within the buffer. So every comparison below is in range; `count`
        // itself is compared unsigned, never converted to int64_t (2^63 and up would go
        // negative and look satisfied).
        int64_t used = b - t;
        int64_t room = buffer ? buffer->capacity - used : 0;
        if (count <= uint64_t(room)) return count;
        if (count <= uint64_t(kMaxCapacity - used) && grow(buffer, t, b, used + int64_t(count))) return count;
        return size_t(room);
    }

    // Current buffer capacity (0 before the first successful allocation). Owner only.
    int64_t capacity() const {
        Buffer* buffer = m_buffer.load(std::memory_order_relaxed);  // relaxed: owner's own field
        return buffer ? buffer->capacity : 0;
    }

    // ------------------------------------------------------------------ thief side

    // Steals the oldest item. Caller is inside an epoch section of the deque's domain.
    StealResult<T> steal() {
        // seq_cst (acquire part): pairs with the CAS of the previous thief so its claim is
        // complete. Read before bottom (a seq_cst load is not reordered with the next one).
        int64_t t = m_top.load(std::memory_order_seq_cst);
        // seq_cst: the Dekker partner of take()'s `bottom store; seq_cst fence; top load`.
        // No fence is needed here in C++20 ([atomics.order]/4.2): if this load misses the
        // owner's smaller bottom, it precedes the owner's fence in S, and so does the CAS
        // of any earlier steal (sequenced before us); the owner's top load after its fence
        // therefore sees that CAS (docs/core.md, "steal without a fence"). acquire part:
        // pairs with the release store of bottom in push(): slot t is written.
        // On x86 both loads are plain movs: an empty steal costs two loads, no locked op.
        int64_t b = m_bottom.load(std::memory_order_seq_cst);
        if (t >= b) return {nullptr, StealStatus::empty};
        // acquire: pairs with the release store in grow(): a new buffer's slots are
        // copied before we can see it. An older buffer is fine too: it still holds every
        // index in [top, bottom) as of its replacement, and it is not freed while we are
        // in our section.
        Buffer* buffer = m_buffer.load(std::memory_order_acquire);
        // Read the item atomically BEFORE the CAS: after the CAS the slot may be reused.
        T* item = buffer->at(t).load(std::memory_order_relaxed);
        // seq_cst: the claim, ordered against take()'s CAS on the last item.
        if (!m_top.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst, std::memory_order_relaxed))
            return {nullptr, StealStatus::lost_race};
        return {item, StealStatus::success};
    }

    // Steals up to half of this deque (rounded up), at most `max`, into `into`, which the
    // caller owns. Items are claimed one CAS at a time with the full steal() protocol: a
    // single CAS of top over a range [t, t+n) would be wrong, because the owner's take()
    // claims indices above top without any CAS once it has seen top < bottom - 1, so while
    // the thief prepares its range the owner may already have taken t+1 .. t+n-1. Room in
    // `into` is reserved first, so every claimed item has a place. The claimed items are
    // written straight into `into`'s buffer above its bottom, where nobody reads, and
    // published with one store of its bottom at the end (as crossbeam's steal_batch does):
    // `into`'s thieves see the whole batch at once or none of it. Returns the count moved.
    // `into` is the deque of the caller's own DequeOwner (DequeStealer::steal_batch).
    size_t steal_batch(WorkStealingDeque& into, size_t max) {
        if (&into == this || max == 0) return 0;
        // relaxed: only sizes the batch; each claim below re-reads both with the protocol.
        int64_t available = size_approx();
        if (available <= 0) return 0;
        size_t want = size_t((available + 1) / 2);
        if (want > max) want = max;
        want = into.reserve(want);
        if (want == 0) return 0;
        // relaxed: into's owner is the caller; reserve() above may have replaced the buffer,
        // and we read our own latest store.
        int64_t into_bottom = into.m_bottom.load(std::memory_order_relaxed);
        Buffer* into_buffer = into.m_buffer.load(std::memory_order_relaxed);
        size_t moved = 0;
        for (size_t attempts = 0; moved < want && attempts < 2 * want; ++attempts) {
            StealResult<T> r = steal();
            if (r.status == StealStatus::empty) break;
            if (r.status == StealStatus::success) {
                // relaxed: index into_bottom + moved is above into's published bottom, so no
                // thief of `into` reads it before the release store below; reserve() made
                // room, so it overwrites no live index.
                into_buffer->at(into_bottom + int64_t(moved)).store(r.item, std::memory_order_relaxed);
                ++moved;
            }
        }
        // release: pairs with the acquire load of bottom in steal() on `into`, as publish()
        // does for a single push: every slot written above is visible to a thief that sees it.
        if (moved > 0) into.m_bottom.store(into_bottom + int64_t(moved), std::memory_order_release);
        return moved;
    }

    // bottom - top at some recent moment, never negative.
    int64_t size_approx() const {
        // relaxed: a hint; nothing is read on its strength.
        int64_t b = m_bottom.load(std::memory_order_relaxed);
        int64_t t = m_top.load(std::memory_order_relaxed);
        return b > t ? b - t : 0;
    }

    // ------------------------------------------------------------------ internals

    struct Buffer {
        RetireNode retire_node;  // first member: destroy() casts back from it
        int64_t capacity;  // power of two

        Atomic<T*>* slots() { return reinterpret_cast<Atomic<T*>*>(this + 1); }
        Atomic<T*>& at(int64_t index) { return slots()[uint64_t(index) & uint64_t(capacity - 1)]; }

        static Buffer* create(int64_t capacity) {
            size_t bytes = sizeof(Buffer) + size_t(capacity) * sizeof(Atomic<T*>);
            void* memory = platform::alloc(bytes, 64);
            if (!memory) return nullptr;
            Buffer* buffer = new (memory) Buffer{RetireNode{}, capacity};
            for (int64_t i = 0; i < capacity; ++i) new (&buffer->slots()[i]) Atomic<T*>(nullptr);
            return buffer;
        }
        static void destroy(RetireNode* node) {
            // Atomic<T*> and Buffer are trivially destructible: just free.
            platform::free(reinterpret_cast<Buffer*>(node));
        }
    };
    static_assert(sizeof(Atomic<T*>) == sizeof(T*) && Atomic<T*>::is_always_lock_free);

    static int64_t round_capacity(size_t requested) {
        int64_t capacity = kMinCapacity;
        while (capacity < kMaxCapacity && size_t(capacity) < requested) capacity *= 2;
        return capacity;
    }

    // Owner: writes `item` at index b of `buffer` (which has room) and publishes it.
    void publish(Buffer* buffer, int64_t b, T* item) {
        buffer->at(b).store(item, std::memory_order_relaxed);  // relaxed: published by the release below
        // release: pairs with the acquire load of bottom in steal(); the slot store above
        // is visible to any thief that sees b + 1. (Le et al. write a release fence and
        // a relaxed store; a release store is the same guarantee and visible to TSan.)
        m_bottom.store(b + 1, std::memory_order_release);
    }

    // Owner: replaces `old` (may be null) by a buffer holding at least `needed` items with
    // indices [t, b) copied over, and retires `old`. nullptr (nothing changed) on failure.
    Buffer* grow(Buffer* old, int64_t t, int64_t b, int64_t needed) {
        int64_t capacity = old ? old->capacity : m_initial_capacity;
        while (capacity < needed && capacity < kMaxCapacity) capacity *= 2;
        if (capacity < needed) return nullptr;
        Buffer* fresh = Buffer::create(capacity);
        if (!fresh) return nullptr;
        // relaxed: the slots are published by the release store of m_buffer below.
        // Indices below a concurrent thief's top are copied too; harmless, never read.
        for (int64_t i = t; old && i < b; ++i)
            fresh->at(i).store(old->at(i).load(std::memory_order_relaxed), std::memory_order_relaxed);
        // release: pairs with the acquire load of m_buffer in steal().
        m_buffer.store(fresh, std::memory_order_release);
        // A thief that loaded `old` may still read it: free it only after a grace period
        // (crossbeam-deque's CVE-2021-32810 came from a buffer swap racing a steal).
        if (old) m_domain.retire(&old->retire_node, &Buffer::destroy);
        return fresh;
    }

    // Layout (measured, docs/core.md "performance notes"): top and bottom share one line,
    // as in xenium, so a thief gets both with one miss and its steal() is short enough to
    // win contended items; the fields the owner reads on every call and that change
    // rarely (buffer pointer, domain, capacity) sit on a line of their own that thieves
    // only read, so the thieves' CAS on top does not evict them.
    EpochDomain& m_domain;
    int64_t m_initial_capacity;
    Atomic<Buffer*> m_buffer{nullptr};
    Atomic<bool> m_owner_handed_out{false};  // set by the first owner()
    alignas(64) Atomic<int64_t> m_top;
    Atomic<int64_t> m_bottom;
    // alignas(64) above also rounds the object size up to a line: nothing else shares
    // the index line.
};

// The owner's rights over one deque: push and take at the bottom, take at the top. Not
// copyable, so no second thread or CPU can hold them; movable, so the one handle can be
// handed to its thread. A moved-from handle may only be destroyed or assigned to.
template <typename T>
class DequeOwner {
public:
    DequeOwner(DequeOwner&& other) noexcept : m_deque(other.m_deque) { other.m_deque = nullptr; }
    DequeOwner& operator=(DequeOwner&& other) noexcept {
        m_deque = other.m_deque;
        other.m_deque = nullptr;
        return *this;
    }
    DequeOwner(const DequeOwner&) = delete;
    DequeOwner& operator=(const DequeOwner&) = delete;

    // Pushes at the bottom, growing the buffer when full. On out_of_memory nothing changed:
    // the caller still holds `item`.
    [[nodiscard]] PushResult push(T* item) { return m_deque->push(item); }
    // Takes from the bottom (LIFO). nullptr when empty or when a thief won the last item.
    T* take() { return m_deque->take(); }
    // Takes from the top (FIFO), racing the thieves with their CAS. nullptr when empty.
    T* take_fifo() { return m_deque->take_fifo(); }
    // Makes room so that the next `count` pushes cannot fail; returns how many are
    // guaranteed (`count`, or the room there is when growing failed or cannot help).
    [[nodiscard]] size_t reserve(size_t count) { return m_deque->reserve(count); }
    // Current buffer capacity (0 before the first successful allocation).
    int64_t capacity() const { return m_deque->capacity(); }
    // bottom - top at some recent moment, never negative.
    int64_t size_approx() const { return m_deque->size_approx(); }
    // A thief view of this deque, for other threads.
    DequeStealer<T> stealer() const { return DequeStealer<T>(*m_deque); }

private:
    friend class WorkStealingDeque<T>;
    friend class DequeStealer<T>;  // steal_batch() pushes into the caller's own deque

    explicit DequeOwner(WorkStealingDeque<T>& deque) : m_deque(&deque) {}

    WorkStealingDeque<T>* m_deque;
};

// A thief's view of one deque: steal from the top. Copyable; its operations are const (the
// view does not change, the shared deque does) and none of them is an owner operation.
// The caller is inside an epoch section of the deque's domain (see the top of this file).
template <typename T>
class DequeStealer {
public:
    // Steals the oldest item.
    StealResult<T> steal() const { return m_deque->steal(); }
    // Moves up to half of this deque (rounded up), at most `max`, into the caller's own
    // deque, oldest first. Returns the count moved; 0 when `into` is this same deque.
    size_t steal_batch(DequeOwner<T>& into, size_t max) const { return m_deque->steal_batch(*into.m_deque, max); }
    // bottom - top at some recent moment, never negative. A hint.
    int64_t size_approx() const { return m_deque->size_approx(); }

private:
    friend class WorkStealingDeque<T>;
    friend class DequeOwner<T>;

    explicit DequeStealer(WorkStealingDeque<T>& deque) : m_deque(&deque) {}

    WorkStealingDeque<T>* m_deque;
};

}  // namespace core
