// VictimOrder::build (see victims.h).
#include "sched/model/victims.h"

namespace sched {

void VictimOrder::build(uint32_t self, std::span<const CpuPlace> places) {
    uint32_t count = uint32_t(places.size() < kMaxCpus ? places.size() : kMaxCpus);
    uint32_t n = 0;
    CpuPlace me = self < count ? places[self] : CpuPlace{};
    // One pass per level keeps each level in ascending CPU order (the random start does
    // the spreading).
    for (uint32_t level = 0; level < kLevels; ++level) {
        for (uint32_t cpu = 0; cpu < count; ++cpu) {
            if (cpu == self) continue;
            bool same_package = places[cpu].package == me.package;
            bool same_core = same_package && places[cpu].core == me.core;
            uint32_t cpu_level = same_core ? 0 : same_package ? 1 : 2;
            if (cpu_level == level) m_order[n++] = uint16_t(cpu);
        }
        m_end[level] = n;
    }
}

}  // namespace sched
