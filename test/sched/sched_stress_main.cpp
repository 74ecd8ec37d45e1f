// sched_stress: the host scheduler stress for as long as asked.
//   sched_stress [--cpus N] [--tasks N] [--seconds S] [--seed N] [--spin-us N] [--backstop-ms N] [--max-live N] [--pinned-percent N]
//                [--queues lockfree|locked]
// Runs rounds with successive seeds (cpus cycling 2..8 unless --cpus) until the time is up
// or a round fails. Exit status 0 only if every round passed.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "stress/sched_stress.h"

int main(int argc, char** argv)
{
    uint32_t cpus = 0;
    uint64_t tasks = 20000, seed = 1, spin_us = 30, backstop_ms = 0, max_live = 0, pinned_percent = 10;
    double seconds = 10;
    bool locked_queues = false;
    for (int i = 1; i + 1 < argc; i += 2) {
        const char* key = argv[i];
        uint64_t value = std::strtoull(argv[i + 1], nullptr, 10);
        if (!std::strcmp(key, "--cpus"))
            cpus = uint32_t(value);
        else if (!std::strcmp(key, "--tasks"))
            tasks = value;
        else if (!std::strcmp(key, "--seconds"))
            seconds = std::atof(argv[i + 1]);
        else if (!std::strcmp(key, "--seed"))
            seed = value;
        else if (!std::strcmp(key, "--spin-us"))
            spin_us = value;
        else if (!std::strcmp(key, "--pinned-percent"))
            pinned_percent = value > 100 ? 100 : value;
        else if (!std::strcmp(key, "--max-live"))
            max_live = value;
        else if (!std::strcmp(key, "--backstop-ms"))
            backstop_ms = value;
        else if (!std::strcmp(key, "--queues") && !std::strcmp(argv[i + 1], "locked"))
            locked_queues = true;
        else if (!std::strcmp(key, "--queues") && !std::strcmp(argv[i + 1], "lockfree"))
            locked_queues = false;
        else {
            std::fprintf(stderr, "sched_stress: unknown option %s %s\n", key, argv[i + 1]);
            return 2;
        }
    }
    if (cpus > 64) {
        std::fprintf(stderr, "sched_stress: --cpus %u too large, using 8\n", cpus);
        cpus = 8;
    }
    auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    uint64_t rounds = 0;
    do {
        sched_stress::Config config;
        config.cpus = cpus ? cpus : 2 + uint32_t(rounds % 7);
        config.tasks = tasks;
        config.seed = seed + rounds;
        config.spin_us = spin_us;
        config.backstop_ms = backstop_ms;
        config.max_live = max_live;
        config.pinned_percent = uint32_t(pinned_percent);
        config.locked_queues = locked_queues;
        sched_stress::Result r = sched_stress::run(config);
        std::printf("round %llu cpus=%u seed=%llu %s\n", (unsigned long long)rounds, config.cpus,
            (unsigned long long)config.seed, r.summary().c_str());
        std::fflush(stdout);
        if (!r.ok)
            return 1;
        ++rounds;
    } while (std::chrono::steady_clock::now() < end);
    std::printf("sched_stress: %llu rounds passed\n", (unsigned long long)rounds);
    return 0;
}
