// core_stress: runs the deque, epoch and inbox stress harnesses (the same code as the
// tests) for as long as asked, with a progress line about once a second and a verdict.
//
//   core_stress [--threads N] [--items N] [--seconds S] [--seed N] [--only deque|epoch|inbox]
//
// --threads: thieves / readers / producers (default 3). --items: items per deque round
// and updates/messages per round elsewhere (default 100000). --seconds: time per part
// (default 10; split evenly when all three run). Exit status 0 only if every part passed.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "stress/deque_stress.h"
#include "stress/epoch_torture.h"
#include "stress/inbox_stress.h"

namespace {

struct Options {
    unsigned threads = 3;
    uint64_t items = 100'000;
    double seconds = 10;
    uint64_t seed = 1;
    std::string only;
};

void print_line(const std::string& line)
{
    std::printf("%s\n", line.c_str());
    std::fflush(stdout);
}

// Bad values get one warning line and the default.
bool parse_u64(const char* name, const char* text, uint64_t min, uint64_t max, uint64_t& out)
{
    char* end = nullptr;
    errno = 0;
    unsigned long long v = text ? std::strtoull(text, &end, 10) : 0;
    if (!text || end == text || *end != '\0' || errno || v < min || v > max || text[0] == '-') {
        std::fprintf(stderr, "core_stress: warning: %s '%s' is not a number in [%llu, %llu]; using %llu\n", name,
            text ? text : "", (unsigned long long)min, (unsigned long long)max, (unsigned long long)out);
        return false;
    }
    out = v;
    return true;
}

Options parse(int argc, char** argv)
{
    Options o;
    for (int i = 1; i < argc; ++i) {
        const char* arg = argv[i];
        const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
        if (!std::strcmp(arg, "--help") || !std::strcmp(arg, "-h")) {
            std::printf("usage: core_stress [--threads N] [--items N] [--seconds S] [--seed N] "
                        "[--only deque|epoch|inbox]\n");
            std::exit(0);
        }
        bool takes_value = !std::strcmp(arg, "--threads") || !std::strcmp(arg, "--items")
            || !std::strcmp(arg, "--seconds") || !std::strcmp(arg, "--seed") || !std::strcmp(arg, "--only");
        if (!takes_value) {
            std::fprintf(stderr, "core_stress: warning: unknown argument '%s' ignored\n", arg);
            continue;
        }
        ++i;
        if (!std::strcmp(arg, "--threads")) {
            uint64_t v = o.threads;
            parse_u64("--threads", value, 1, 200, v);
            o.threads = unsigned(v);
        } else if (!std::strcmp(arg, "--items")) {
            parse_u64("--items", value, 1, uint64_t(1) << 32, o.items);
        } else if (!std::strcmp(arg, "--seconds")) {
            uint64_t v = uint64_t(o.seconds);
            parse_u64("--seconds", value, 1, 7 * 24 * 3600, v);
            o.seconds = double(v);
        } else if (!std::strcmp(arg, "--seed")) {
            parse_u64("--seed", value, 0, UINT64_MAX, o.seed);
        } else if (!std::strcmp(arg, "--only")) {
            std::string what = value ? value : "";
            if (what == "deque" || what == "epoch" || what == "inbox")
                o.only = what;
            else
                std::fprintf(stderr, "core_stress: warning: --only '%s' is not deque|epoch|inbox; running all\n",
                    what.c_str());
        }
    }
    return o;
}

} // namespace

int main(int argc, char** argv)
{
    Options o = parse(argc, argv);
    bool all = o.only.empty();
    double part_seconds = all ? o.seconds / 3 : o.seconds;
    if (part_seconds < 1)
        part_seconds = 1;
    std::printf("core_stress: threads=%u items=%llu seconds=%.0f seed=%llu only=%s\n", o.threads,
        (unsigned long long)o.items, o.seconds, (unsigned long long)o.seed, all ? "all" : o.only.c_str());
    std::fflush(stdout);
    bool passed = true;

    if (all || o.only == "deque") {
        core_stress::DequeStressConfig c;
        c.thieves = o.threads;
        c.items_per_round = o.items;
        c.seconds = part_seconds;
        c.seed = o.seed;
        c.progress = print_line;
        auto r = core_stress::run_deque_stress(c);
        std::printf("deque verdict: %s rounds=%llu pushed=%llu taken=%llu (lifo=%llu fifo=%llu stolen=%llu "
                    "via_batch=%llu) lost_races=%llu duplicates=%llu lost=%llu corrupted=%llu stalled=%d "
                    "epoch_advances=%llu buffers freed/retired=%llu/%llu\n",
            r.ok() ? "PASS" : "FAIL", (unsigned long long)r.rounds, (unsigned long long)r.pushed,
            (unsigned long long)r.taken(), (unsigned long long)r.taken_lifo, (unsigned long long)r.taken_fifo,
            (unsigned long long)r.stolen, (unsigned long long)r.taken_by_thieves, (unsigned long long)r.lost_races,
            (unsigned long long)r.duplicates, (unsigned long long)r.lost, (unsigned long long)r.corrupted,
            int(r.stalled), (unsigned long long)r.epoch_advances, (unsigned long long)r.buffers_freed,
            (unsigned long long)r.buffers_retired);
        std::fflush(stdout);
        passed &= r.ok();
    }
    if (all || o.only == "epoch") {
        core_stress::TortureConfig c;
        c.readers = o.threads;
        c.seconds = part_seconds;
        c.seed = o.seed;
        c.progress = print_line;
        auto r = core_stress::run_torture<core_stress::CoreReclaimer>(c);
        std::printf("epoch verdict: %s updates=%llu reads=%llu max_age_seen=%u age_violations=%llu "
                    "poison_seen=%llu payload_mismatch=%llu epoch_advances=%llu freed/retired=%llu/%llu "
                    "writer_waits=%llu\n",
            r.ok() ? "PASS" : "FAIL", (unsigned long long)r.updates, (unsigned long long)r.reads, r.max_age_seen,
            (unsigned long long)r.age_violations, (unsigned long long)r.poison_seen,
            (unsigned long long)r.payload_mismatch, (unsigned long long)r.epoch_advances,
            (unsigned long long)r.freed, (unsigned long long)r.retired, (unsigned long long)r.writer_waits);
        std::fflush(stdout);
        passed &= r.ok();
    }
    if (all || o.only == "inbox") {
        core_stress::InboxStressConfig c;
        c.producers = o.threads;
        c.messages_per_producer = o.items;
        c.seconds = part_seconds;
        c.seed = o.seed;
        c.progress = print_line;
        auto r = core_stress::run_inbox_stress(c);
        std::printf("inbox verdict: %s rounds=%llu pushed=%llu popped=%llu duplicates=%llu lost=%llu "
                    "out_of_order=%llu stalled=%d\n",
            r.ok() ? "PASS" : "FAIL", (unsigned long long)r.rounds, (unsigned long long)r.pushed,
            (unsigned long long)r.popped, (unsigned long long)r.duplicates, (unsigned long long)r.lost,
            (unsigned long long)r.out_of_order, int(r.stalled));
        std::fflush(stdout);
        passed &= r.ok();
    }
    std::printf("core_stress: %s\n", passed ? "PASS" : "FAIL");
    return passed ? 0 : 1;
}
