#pragma once
// SHA-1 (FIPS 180-4), one-shot, written for the UTS splittable random number generator: the
// reference UTS derives each child's state as SHA-1(parent state || child index), so node
// counts match the published trees only with the real hash. Not for security use. Portable:
// the kernel (bench=sched) and the host benchmarks compile this same file.
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace lib {

using Sha1Digest = std::array<std::uint8_t, 20>;

Sha1Digest sha1(std::span<std::uint8_t const> message);

}  // namespace lib
