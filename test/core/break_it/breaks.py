# Each break: (name, file, old, new). Applied to a fresh copy of src/core.
BREAKS = {
 "take_no_cas_on_last_item": ("deque.h",
  """            if (!m_top.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst, std::memory_order_relaxed))
                item = nullptr;
            // top is now""",
  """            m_top.store(t + 1, std::memory_order_relaxed);
            // top is now"""),
 "take_last_item_store_instead_of_cas": ("deque.h",
  """            if (m_top.compare_exchange_strong(seen_top, b + 1, std::memory_order_seq_cst, std::memory_order_relaxed))
                return item;
            return nullptr;""",
  """            m_top.store(b + 1, std::memory_order_relaxed);
            return item;"""),
 "take_no_full_fence": ("deque.h",
  """        store_then_full_fence(m_bottom, b, std::memory_order_release);
        int64_t t = load_after_full_fence(m_top, std::memory_order_relaxed);""",
  """        m_bottom.store(b, std::memory_order_relaxed);
        int64_t t = m_top.load(std::memory_order_relaxed);"""),
 "steal_reads_slot_after_cas": ("deque.h",
  """        T* item = buffer->at(t).load(std::memory_order_relaxed);
        // seq_cst: the claim, ordered against take()'s CAS on the last item.
        if (!m_top.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst, std::memory_order_relaxed))
            return {nullptr, StealStatus::lost_race};""",
  """        int64_t claimed = t;
        if (!m_top.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst, std::memory_order_relaxed))
            return { nullptr, StealStatus::lost_race };
        for (int spin = 0; spin < 50; ++spin) platform::cpu_relax();
        T* item = buffer->at(claimed).load(std::memory_order_relaxed);"""),
 # The same bug without the widening pause: the slot is read right after the CAS, as a
 # real mistake would be written (the delay build's comparison in docs/core.md).
 "steal_reads_slot_after_cas_tight": ("deque.h",
  """        T* item = buffer->at(t).load(std::memory_order_relaxed);
        // seq_cst: the claim, ordered against take()'s CAS on the last item.
        if (!m_top.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst, std::memory_order_relaxed))
            return {nullptr, StealStatus::lost_race};""",
  """        int64_t claimed = t;
        if (!m_top.compare_exchange_strong(t, t + 1, std::memory_order_seq_cst, std::memory_order_relaxed))
            return { nullptr, StealStatus::lost_race };
        T* item = buffer->at(claimed).load(std::memory_order_relaxed);"""),
 "push_relaxed_bottom_store": ("deque.h",
  """        // a relaxed store; a release store is the same guarantee and visible to TSan.)
        m_bottom.store(b + 1, std::memory_order_release);""",
  """        // a relaxed store; a release store is the same guarantee and visible to TSan.)
        m_bottom.store(b + 1, std::memory_order_relaxed);"""),
 "grow_frees_old_buffer_at_once": ("deque.h",
  """        if (old) m_domain.retire(&old->retire_node, &Buffer::destroy);
        return fresh;""",
  """        if (old) Buffer::destroy(&old->retire_node);
        return fresh;"""),
 "steal_batch_one_cas_over_a_range": ("deque.h",
  """        want = into.reserve(want);
        if (want == 0) return 0;""",
  """        want = into.reserve(want);
        if (want == 0) return 0;
        {
            int64_t t = m_top.load(std::memory_order_acquire);
            std::atomic_thread_fence(std::memory_order_seq_cst);
            int64_t b = m_bottom.load(std::memory_order_acquire);
            int64_t n = (b - t + 1) / 2;
            if (n > int64_t(want)) n = int64_t(want);
            if (n <= 0) return 0;
            Buffer* buffer = m_buffer.load(std::memory_order_acquire);
            T* items[64];
            if (n > 64) n = 64;
            for (int64_t i = 0; i < n; ++i) items[i] = buffer->at(t + i).load(std::memory_order_relaxed);
            if (!m_top.compare_exchange_strong(t, t + n, std::memory_order_seq_cst, std::memory_order_relaxed)) return 0;
            int64_t ib = into.m_bottom.load(std::memory_order_relaxed);
            Buffer* into_buffer = into.m_buffer.load(std::memory_order_relaxed);
            for (int64_t i = 0; i < n; ++i) into_buffer->at(ib + i).store(items[i], std::memory_order_relaxed);
            into.m_bottom.store(ib + n, std::memory_order_release);
            return size_t(n);
        }"""),
 "epoch_grace_of_one": ("epoch.h",
  """    static constexpr uint64_t kGracePeriods = 2;""",
  """    static constexpr uint64_t kGracePeriods = 1;"""),
 "epoch_pin_without_recheck_and_fence": ("epoch.h",
  """        store_then_light_fence(state, g, std::memory_order_release, light);""",
  """        state.store(g, std::memory_order_relaxed); (void)global; (void)light; return true;"""),
 "epoch_seal_pinned_without_margin": ("epoch.h",
  """        uint64_t e = pinned() ? announced() + 1 : domain().stamp();""",
  """        uint64_t e = pinned() ? announced() : domain().stamp();"""),
 "epoch_seal_unpinned_without_fence": ("epoch.h",
  """        uint64_t e = pinned() ? announced() + 1 : domain().stamp();""",
  """        uint64_t e = pinned() ? announced() + 1 : domain().epoch();"""),
 "epoch_advance_ignores_pinned": ("epoch.h",
  """            if (s != 0 && s != g) return false;""",
  """            if (s != 0 && s + 1 < g) return false;"""),
 "epoch_advance_without_heavy_fence": ("epoch.h",
  """        uint64_t g = load_then_heavy_fence(m_global, std::memory_order_acquire, m_light_pinners, own);""",
  """        uint64_t g = m_global.load(std::memory_order_acquire);"""),
 "epoch_synchronize_grace_of_one": ("epoch.h",
  """            held |= s <= wait.stamp;""",
  """            held |= s < wait.stamp;"""),
 "epoch_synchronize_scan_without_fence": ("epoch.h",
  """        uint64_t before = load_then_heavy_fence(m_global, std::memory_order_acquire, m_light_pinners, own);""",
  """        uint64_t before = m_global.load(std::memory_order_acquire);"""),
 "epoch_heavy_fence_skips_another_light_pinner": ("ordering.h",
  """        platform::heavy_fence(light_pinners.load(std::memory_order_seq_cst) > own);""",
  """        platform::heavy_fence(light_pinners.load(std::memory_order_seq_cst) > own + 1);"""),
 "inbox_link_store_relaxed": ("inbox.h",
  """        previous->m_next_in_inbox.store(node, std::memory_order_release);""",
  """        previous->m_next_in_inbox.store(node, std::memory_order_relaxed);"""),
}
import sys, shutil, os
if sys.argv[1] == "--check":
    # breaks.py --check <repo>: every pattern must still match its file exactly once, so
    # that a change to src/core cannot silently retire a break (make test runs this).
    stale = []
    for name, (f, old, new) in BREAKS.items():
        count = open(os.path.join(sys.argv[2], "src/core", f)).read().count(old)
        if count != 1:
            stale.append(f"{name}: its pattern matches {count} times in src/core/{f}")
    print("\n".join(stale) if stale else f"all {len(BREAKS)} break patterns apply")
    sys.exit(1 if stale else 0)
name = sys.argv[1]; dst = sys.argv[2]
f, old, new = BREAKS[name]
p = os.path.join(dst, "src/core", f)
s = open(p).read()
assert old in s, name
open(p, "w").write(s.replace(old, new))
