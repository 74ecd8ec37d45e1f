#include "common/affinity.h"

#include <pthread.h>
#include <sched.h>
#include <cstdio>
#include <vector>

namespace bench {

namespace {

// The CPUs we were started on, in ascending order; captured once, before any pinning.
std::vector<int> const& startup_cpus()
{
    static std::vector<int> const cpus = [] {
        std::vector<int> list;
        cpu_set_t set;
        CPU_ZERO(&set);
        if (sched_getaffinity(0, sizeof(set), &set) == 0) {
            for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
                if (CPU_ISSET(cpu, &set))
                    list.push_back(cpu);
            }
        }
        if (list.empty())
            list.push_back(0);
        return list;
    }();
    return cpus;
}

}

std::size_t online_cpus() { return startup_cpus().size(); }

bool pin_current_thread(std::size_t worker_index)
{
    auto const& cpus = startup_cpus();
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpus[worker_index % cpus.size()], &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) {
        static bool warned = false;
        if (!warned) {
            warned = true;
            std::fprintf(stderr, "bench: warning: cannot pin threads; results will be noisier\n");
        }
        return false;
    }
    return true;
}

void unpin_current_thread()
{
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : startup_cpus())
        CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

}
