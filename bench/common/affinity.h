#pragma once
// Thread placement shared by every benchmark, so each implementation runs on the same CPUs:
// logical worker i goes to CPU i mod online_cpus(). The benchmark's main thread is worker 0.
#include <cstddef>

namespace bench {

// Number of CPUs this process may run on (the affinity mask at start-up, at least 1).
std::size_t online_cpus();

// Pins the calling thread to CPU (worker_index mod online_cpus()). Returns false (and the
// thread keeps running unpinned) if the kernel refuses; a benchmark then only gets noisier.
bool pin_current_thread(std::size_t worker_index);

// Undoes pin_current_thread for the calling thread (allows every CPU of the start-up mask).
void unpin_current_thread();

}
