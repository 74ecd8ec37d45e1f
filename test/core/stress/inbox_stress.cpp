#include "stress/inbox_stress.h"

#include <atomic>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "core/inbox.h"

namespace core_stress {
namespace {

struct Message : core::MpscNode {
    uint32_t producer = 0;
    uint64_t sequence = 0;
    std::atomic<uint32_t> times_popped { 0 };
};

} // namespace

InboxStressResult run_inbox_stress(const InboxStressConfig& config)
{
    InboxStressResult result;
    auto start = Clock::now();
    auto next_report = start + std::chrono::seconds(1);
    const unsigned producers = config.producers ? config.producers : 1;
    const uint64_t per_producer = config.messages_per_producer ? config.messages_per_producer : 1;

    do {
        const uint64_t total = producers * per_producer;
        auto messages = std::make_unique<Message[]>(total);
        core::MpscInbox<Message> inbox;
        std::atomic<bool> go { false };
        std::vector<std::thread> threads;
        for (unsigned p = 0; p < producers; ++p) {
            threads.emplace_back([&, p] {
                Rng rng(mix_seed(config.seed, result.rounds * 100 + p));
                // acquire: pairs with the release store of go, so all start together.
                while (!go.load(std::memory_order_acquire))
                    std::this_thread::yield();
                for (uint64_t s = 0; s < per_producer; ++s) {
                    Message& m = messages[p * per_producer + s];
                    m.producer = p; // plain: published by push()'s release
                    m.sequence = s;
                    inbox.push(&m);
                    if (rng.below(256) == 0)
                        std::this_thread::yield();
                }
            });
        }
        go.store(true, std::memory_order_release);

        std::vector<uint64_t> next_expected(producers, 0);
        uint64_t popped = 0;
        auto last_progress = Clock::now();
        while (popped < total) {
            Message* m = inbox.pop();
            if (!m) {
                ++result.empty_pops;
                if (Clock::now() - last_progress > config.stall_timeout) {
                    result.stalled = true;
                    break;
                }
                std::this_thread::yield();
                continue;
            }
            last_progress = Clock::now();
            ++popped;
            if (m->times_popped.fetch_add(1, std::memory_order_relaxed) != 0)
                ++result.duplicates;
            if (m->producer >= producers || m->sequence != next_expected[m->producer])
                ++result.out_of_order;
            if (m->producer < producers)
                next_expected[m->producer] = m->sequence + 1;
            if (config.progress && (popped & 0xffff) == 0 && Clock::now() >= next_report) {
                next_report += std::chrono::seconds(1);
                char line[200];
                std::snprintf(line, sizeof line, "inbox: %.0fs popped=%llu dup=%llu out_of_order=%llu",
                    std::chrono::duration<double>(Clock::now() - start).count(),
                    (unsigned long long)(result.popped + popped), (unsigned long long)result.duplicates,
                    (unsigned long long)result.out_of_order);
                config.progress(line);
            }
        }
        for (auto& t : threads)
            t.join();
        // After a complete round anything left over was delivered twice.
        while (Message* extra = inbox.pop()) {
            if (!result.stalled)
                ++result.duplicates;
            else
                extra->times_popped.fetch_add(1, std::memory_order_relaxed);
        }
        for (uint64_t i = 0; i < total; ++i)
            result.lost += messages[i].times_popped.load(std::memory_order_relaxed) == 0;
        result.pushed += total;
        result.popped += popped;
        ++result.rounds;
    } while (!result.stalled && config.seconds > 0
        && std::chrono::duration<double>(Clock::now() - start).count() < config.seconds);
    return result;
}

} // namespace core_stress
