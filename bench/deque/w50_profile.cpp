// w50_profile: where the round of BM_deque_owner_thief/.../burst:64/work:50/thieves:N goes.
// Runs the same round as bench_deque (owner_round and thief_run of deque_shapes.h: 64 items,
// consume() with 50 units, owner on CPU 0, thieves on CPUs 1, 0, 1, one item per steal)
// over ours, crossbeam-deque and two splits without a deque (w50_loops.h), each row in up
// to three ways:
//   plain    the unchanged loops, one `lfence; rdtsc` per round: the round as the benchmark
//            sees it (its time per iteration is the mean period), and the share of the wall
//            time the owner's thread was on its CPU;
//   pushes   one more stamp, after the pushes: the pushes timed in place;
//   stamped  a stamp after the pushes, after each take that got an item, after each
//            consume() and after the take that found nothing; the thieves stamp each
//            successful steal and its consume(). Consecutive stamps leave no gap, so the
//            segment means add up to the mean period (which the stamps themselves inflate).
// counter: the items claimed with one fetch_add each, no pushes. free (thieves:1 only): the
// split decided in advance, 32 items each, and a handshake per round: consume() under the
// real contention and nothing else. Every row checks that owner + thieves consumed exactly
// rounds x 64 items. Each repetition first times a line's hand-off between CPU 0 and CPU 1
// (this host has phases where its CPUs are farther apart), and consume() alone and beside
// a busy CPU 1.
// Not part of `make bench` or `make test`: build/bench/bench/w50_profile [--rounds R]
// [--thieves 123] [--only ours|crossbeam|counter|free|consume] [--mode plain|pushes|stamped|
// both|all] (both: plain and stamped) [--capacity C (ours)] [--miss-pauses K] [--repeat K].
#include "common/affinity.h"
#include "common/spin.h"
#include "deque/crossbeam_deque.h"
#include "deque/deque_shapes.h"
#include "deque/ours_deque.h"
#include "deque/w50_loops.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <span>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include <time.h>

namespace bench {
namespace {

using namespace w50;

// --------------------------------------------------------------- statistics

double tsc_per_ns = 0;

struct Summary {
    double median = 0;
    double mean = 0;
};

template<class T>
Summary summarize(std::vector<T> values)
{
    if (values.empty())
        return {};
    double sum = 0;
    for (T value : values)
        sum += double(value);
    auto middle = values.begin() + std::ptrdiff_t(values.size() / 2);
    std::nth_element(values.begin(), middle, values.end());
    return { double(*middle), sum / double(values.size()) };
}

double thread_cpu_ns()
{
    timespec now {};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return double(now.tv_sec) * 1e9 + double(now.tv_nsec);
}

void measure_tsc()
{
    auto const t0 = std::chrono::steady_clock::now();
    std::uint64_t const c0 = stamp();
    while (std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(100)) { }
    auto const t1 = std::chrono::steady_clock::now();
    std::uint64_t const c1 = stamp();
    tsc_per_ns = double(c1 - c0) / double(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count());
}

void print(char const* what, Summary s)
{
    std::printf("  %-26s median %7.0f  mean %7.0f cycles  (mean %6.0f ns)\n", what, s.median, s.mean,
                s.mean / tsc_per_ns);
}

// A count, not a time: no cycles, no nanoseconds.
void print_count(char const* what, Summary s)
{
    std::printf("  %-26s median %7.0f  mean %7.1f\n", what, s.median, s.mean);
}

// Per-round segments from the owner's stamps: [start, pushed, (taken, consumed)*, empty].
struct OwnerRounds {
    std::vector<std::uint64_t> period, pushes, takes, consumes, last_take, between, items;
    std::vector<std::uint32_t> each_take, each_consume;
};

OwnerRounds split_rounds(std::vector<std::uint64_t> const& stamps, std::vector<std::uint32_t> const& counts)
{
    OwnerRounds out;
    std::size_t at = 0;
    for (std::size_t r = 0; r + 1 < counts.size(); ++r) {
        std::uint64_t const* s = &stamps[at];
        std::size_t const k = counts[r];
        std::uint64_t takes = 0, consumes = 0;
        for (std::size_t i = 0; i < k; ++i) {
            std::uint64_t const take = s[2 + 2 * i] - s[1 + 2 * i];
            std::uint64_t const work = s[3 + 2 * i] - s[2 + 2 * i];
            takes += take;
            consumes += work;
            out.each_take.push_back(std::uint32_t(take));
            out.each_consume.push_back(std::uint32_t(work));
        }
        std::uint64_t const end = s[2 + 2 * k];
        std::uint64_t const next_start = stamps[at + 3 + 2 * k];
        out.period.push_back(next_start - s[0]);
        out.pushes.push_back(s[1] - s[0]);
        out.takes.push_back(takes);
        out.consumes.push_back(consumes);
        out.last_take.push_back(end - s[1 + 2 * k]);
        out.between.push_back(next_start - end);
        out.items.push_back(k);
        at += 3 + 2 * k;
    }
    return out;
}

// --------------------------------------------------------------- one row

// Capacity of the deques that take one (ours): bench_deque's kDequeCapacity unless
// --capacity says otherwise (crossbeam's Worker sits at its 64-slot minimum in this row).
std::size_t deque_capacity = kDequeCapacity;

// --miss-pauses K (diagnostic; ours and counter): a thief pauses K times after a steal that
// got nothing instead of once, so it reads the deque's index line less often while idle.
std::size_t miss_pauses = 1;

template<class Deque>
std::uint64_t slow_polling_thief_run(typename Deque::Thief& thief, std::atomic<bool> const& stop)
{
    std::uint64_t count = 0;
    while (!stop.load(std::memory_order_relaxed)) { // relaxed: as in DequeLoops::thief_run
        if (Item* item = thief.steal()) {
            count += consume(item, kWork);
        } else {
            for (std::size_t i = 0; i < miss_pauses; ++i)
                spin_pause();
        }
    }
    return count;
}

enum class Mode { plain, pushes, stamped };
char const* const mode_names[] = { "plain", "pushes", "stamped" };

template<class Deque>
void run_row(std::size_t thieves, std::size_t rounds, Mode mode)
{
    bool const stamped = mode == Mode::stamped;
    pin_current_thread(0);
    Deque deque(deque_capacity);
    std::vector<Item> items(kItems, Item { 1 });
    std::size_t const log_capacity = stamped ? rounds * kItems : 0;
    std::vector<std::vector<std::uint32_t>> steal_cycles(thieves, std::vector<std::uint32_t>(log_capacity));
    std::vector<std::vector<std::uint32_t>> consume_cycles(thieves, std::vector<std::uint32_t>(log_capacity));
    std::vector<ThiefLog> logs(thieves);
    for (std::size_t i = 0; i < thieves; ++i)
        logs[i] = { steal_cycles[i].data(), consume_cycles[i].data(), log_capacity, 0, 0 };

    std::atomic<bool> stop { false };
    std::atomic<std::size_t> ready { 0 };
    std::vector<std::uint64_t> stolen(thieves, 0);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < thieves; ++i) {
        threads.emplace_back([&, i] {
            pin_current_thread(i + 1);
            typename Deque::Thief thief(deque, i);
            // release: pairs with the owner's acquire spin, as in bm_owner_thief.
            ready.fetch_add(1, std::memory_order_release);
            if (stamped)
                stolen[i] = StampedLoops<Deque>::thief_run(thief, stop, logs[i]);
            else if constexpr (!std::is_same_v<Deque, CrossbeamDeque> && !std::is_same_v<Deque, FreeSplit>)
                stolen[i] = miss_pauses > 1 ? slow_polling_thief_run<Deque>(thief, stop)
                                            : DequeLoops<Deque>::thief_run(thief, stop, kWork, StealMode::per_item);
            else
                stolen[i] = DequeLoops<Deque>::thief_run(thief, stop, kWork, StealMode::per_item);
        });
    }
    while (ready.load(std::memory_order_acquire) != thieves)
        spin_pause();

    std::uint64_t taken = 0;
    std::size_t const warmup = rounds / 10;
    for (std::size_t r = 0; r < warmup; ++r)
        taken += DequeLoops<Deque>::owner_round(deque, items, kWork);

    // One extra round, so that every measured round has the next one's start.
    std::vector<std::uint64_t> stamps(stamped ? (rounds + 1) * kMaxStamps : 3 * (rounds + 1));
    std::vector<std::uint32_t> counts(rounds + 1);
    std::size_t at = 0;
    double const owner_cpu_start = thread_cpu_ns();
    for (std::size_t r = 0; r <= rounds; ++r) {
        std::uint64_t got;
        if (stamped) {
            got = StampedLoops<Deque>::owner_round(deque, items, &stamps[at]);
            at += 3 + 2 * std::size_t(got);
        } else if (mode == Mode::pushes) {
            got = StampedLoops<Deque>::owner_round_pushes(deque, items, &stamps[3 * r]);
        } else {
            stamps[r] = stamp();
            got = DequeLoops<Deque>::owner_round(deque, items, kWork);
        }
        counts[r] = std::uint32_t(got);
        taken += got;
    }
    if (mode == Mode::plain)
        stamps[rounds + 1] = stamp();
    double const owner_cpu_ns = thread_cpu_ns() - owner_cpu_start;
    std::uint64_t const wall_cycles = mode == Mode::plain ? stamps[rounds + 1] - stamps[0] : 0;
    stop.store(true, std::memory_order_relaxed); // relaxed: see thief_run
    std::uint64_t stolen_total = 0;
    for (std::size_t i = 0; i < thieves; ++i) {
        threads[i].join();
        stolen_total += stolen[i];
    }
    std::uint64_t const pushed = (warmup + rounds + 1) * kItems;
    std::printf("%s thieves:%zu %s: %zu rounds, items %s (owner %llu + thieves %llu of %llu)\n", Deque::name,
                thieves, mode_names[int(mode)], rounds, taken + stolen_total == pushed ? "all counted" : "LOST OR DUPLICATED",
                (unsigned long long)taken, (unsigned long long)stolen_total, (unsigned long long)pushed);
    if (taken + stolen_total != pushed)
        std::exit(1);

    if (mode == Mode::pushes) {
        std::vector<std::uint64_t> period(rounds), pushes(rounds), rest(rounds);
        for (std::size_t r = 0; r < rounds; ++r) {
            period[r] = stamps[3 * r + 3] - stamps[3 * r];
            pushes[r] = stamps[3 * r + 1] - stamps[3 * r];
            rest[r] = stamps[3 * r + 3] - stamps[3 * r + 1];
        }
        print("round period", summarize(period));
        print("  pushes", summarize(pushes));
        print("  the rest of the round", summarize(rest));
        return;
    }
    if (mode == Mode::plain) {
        std::vector<std::uint64_t> period(rounds);
        for (std::size_t r = 0; r < rounds; ++r)
            period[r] = stamps[r + 1] - stamps[r];
        print("round period", summarize(period));
        std::printf("  owner on its CPU %.0f%% of the wall time (thread CPU time / wall)\n",
                    100.0 * owner_cpu_ns * tsc_per_ns / double(wall_cycles));
        print_count("owner's items per round", summarize(std::vector<std::uint32_t>(counts.begin(), counts.end() - 1)));
        return;
    }
    OwnerRounds const owner = split_rounds(stamps, counts);
    Summary const period = summarize(owner.period);
    print("round period", period);
    auto share = [&](char const* what, std::vector<std::uint64_t> const& v) {
        Summary const s = summarize(v);
        std::printf("  %-26s median %7.0f  mean %7.0f cycles  (mean %6.0f ns, %4.1f%% of the period)\n", what,
                    s.median, s.mean, s.mean / tsc_per_ns, 100.0 * s.mean / period.mean);
    };
    share("  pushes", owner.pushes);
    share("  takes that got an item", owner.takes);
    share("  consume() of those", owner.consumes);
    share("  the take that got none", owner.last_take);
    share("  between rounds", owner.between);
    print_count("owner's items per round", summarize(owner.items));
    print("one take (got an item)", summarize(owner.each_take));
    print("one consume() (owner)", summarize(owner.each_consume));
    for (std::size_t i = 0; i < thieves; ++i) {
        std::size_t const n = std::size_t(std::min(logs[i].successes, logs[i].capacity));
        steal_cycles[i].resize(n);
        consume_cycles[i].resize(n);
        std::printf("  thief %zu (CPU %zu): %llu items, %llu empty or lost attempts\n", i, (i + 1) % online_cpus(),
                    (unsigned long long)logs[i].successes, (unsigned long long)logs[i].misses);
        print("  one steal (got an item)", summarize(steal_cycles[i]));
        print("  one consume() (thief)", summarize(consume_cycles[i]));
    }
}

// consume() timed alone on CPU 0, then while CPU 1 runs consume() in a loop, then while it
// spins on pause (an idle thief without the deque).
void run_consume(std::size_t samples)
{
    pin_current_thread(0);
    Item item { 1 };
    auto timed = [&] {
        std::vector<std::uint64_t> cycles(samples);
        for (std::size_t i = 0; i < samples; ++i) {
            std::uint64_t const before = stamp();
            benchmark::DoNotOptimize(consume(&item, kWork));
            cycles[i] = stamp() - before;
        }
        return summarize(cycles);
    };
    auto with_neighbour = [&](bool works) {
        std::atomic<bool> stop { false };
        std::atomic<bool> started { false };
        std::thread neighbour([&] {
            pin_current_thread(1);
            Item own { 1 };
            started.store(true, std::memory_order_release); // release/acquire: only a start signal
            while (!stop.load(std::memory_order_relaxed)) { // relaxed: stop guards no data
                if (works)
                    benchmark::DoNotOptimize(consume(&own, kWork));
                else
                    spin_pause();
            }
        });
        while (!started.load(std::memory_order_acquire))
            spin_pause();
        Summary const s = timed();
        stop.store(true, std::memory_order_relaxed);
        neighbour.join();
        return s;
    };
    std::vector<std::uint64_t> empty(samples);
    for (std::size_t i = 0; i < samples; ++i) {
        std::uint64_t const before = stamp();
        empty[i] = stamp() - before;
    }
    std::printf("consume(): %zu samples each, work %lld\n", samples, (long long)kWork);
    print("stamp pair alone", summarize(empty));
    print("consume() alone", timed());
    print("consume(), CPU 1 consumes", with_neighbour(true));
    print("consume(), CPU 1 pauses", with_neighbour(false));
}

// One line handed back and forth between CPU 0 and CPU 1 (spinning without pause), each side waiting for the
// other's write before its own: a round trip is two transfers of a modified line, the
// least a claim pays when the other CPU wrote the index line since this one last did.
void run_ping_pong(std::size_t round_trips)
{
    pin_current_thread(0);
    alignas(64) std::atomic<std::uint64_t> line { 0 };
    std::thread other([&] {
        pin_current_thread(1);
        for (std::uint64_t i = 0; i < round_trips; ++i) {
            // acquire/release: the hand-off is the measurement; no data rides on it.
            while (line.load(std::memory_order_acquire) != 2 * i + 1) { }
            line.store(2 * i + 2, std::memory_order_release);
        }
    });
    std::vector<std::uint64_t> cycles(round_trips);
    for (std::uint64_t i = 0; i < round_trips; ++i) {
        std::uint64_t const before = stamp();
        line.store(2 * i + 1, std::memory_order_release); // release/acquire: as above
        while (line.load(std::memory_order_acquire) != 2 * i + 2) { }
        cycles[i] = stamp() - before;
    }
    other.join();
    Summary const s = summarize(cycles);
    std::printf("line ping-pong CPU 0 <-> CPU 1: %zu round trips\n", round_trips);
    print("round trip", s);
    std::printf("  one transfer (half)          median %7.0f cycles  (%4.0f ns)\n", s.median / 2, s.median / 2 / tsc_per_ns);
}

}
}

int main(int argc, char** argv)
{
    using namespace bench;
    std::size_t rounds = 50000;
    std::size_t repeat = 1;
    std::string only;
    std::string mode = "both";
    std::vector<std::size_t> thieves { 1, 2, 3 };
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string const flag = argv[i];
        if (flag == "--rounds")
            rounds = std::size_t(std::atoll(argv[i + 1]));
        else if (flag == "--repeat")
            repeat = std::size_t(std::atoll(argv[i + 1]));
        else if (flag == "--only")
            only = argv[i + 1];
        else if (flag == "--mode")
            mode = argv[i + 1];
        else if (flag == "--miss-pauses")
            miss_pauses = std::size_t(std::atoll(argv[i + 1]));
        else if (flag == "--capacity")
            deque_capacity = std::size_t(std::atoll(argv[i + 1]));
        else if (flag == "--thieves") {
            thieves.clear();
            for (char const* p = argv[i + 1]; *p; ++p)
                if (*p >= '1' && *p <= '9')
                    thieves.push_back(std::size_t(*p - '0'));
        } else {
            std::fprintf(stderr, "usage: %s [--rounds R] [--thieves 1,2,3] [--only ours|crossbeam|counter|free|consume] [--mode plain|pushes|stamped|both|all] [--capacity C] [--miss-pauses K] [--repeat K]\n", argv[0]);
            return 2;
        }
    }
    std::thread([] { }).join(); // a multi-threaded process from the start, as bench_deque
    measure_tsc();
    std::printf("TSC %.3f GHz; %zu CPUs\n", tsc_per_ns, online_cpus());
    auto wanted = [&](char const* name) { return only.empty() || only == name; };
    for (std::size_t k = 0; k < repeat; ++k) {
        // Every repetition starts with the hand-off time: this host's CPUs change distance
        // (its slow phases), and the rows of a repetition are read against it.
        run_ping_pong(10000);
        if (wanted("consume"))
            run_consume(rounds);
        for (std::size_t n : thieves) {
            for (Mode row_mode : { Mode::plain, Mode::pushes, Mode::stamped }) {
                std::string const name = mode_names[int(row_mode)];
                if (mode != name && !(mode == "both" && row_mode != Mode::pushes) && mode != "all")
                    continue;
                if (wanted("ours"))
                    run_row<OursDeque>(n, rounds, row_mode);
                if (wanted("crossbeam"))
                    run_row<CrossbeamDeque>(n, rounds, row_mode);
                if (wanted("counter"))
                    run_row<CounterSplit>(n, rounds, row_mode);
                if (wanted("free") && n == 1)
                    run_row<FreeSplit>(n, rounds, row_mode);
            }
        }
    }
    return 0;
}
