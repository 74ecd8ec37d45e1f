#pragma once
// Unbalanced Tree Search (Olivier et al., LCPC 2006): trees whose shape comes from the
// reference SHA-1 splittable random number generator, so a tree is the same on every
// machine, for every executor, in the kernel and on the host. Two shapes:
//
//   geometric ("-t 1 -a 3", the fixed shape function): every node above max_depth has a
//     geometric number of children with mean `branching`; nodes at max_depth are leaves.
//   binomial ("-t 0"): the root has `branching` children; every other node has `m`
//     children with probability q_num / q_den, else none.
//
// Integer arithmetic only: the kernel is built with -mgeneral-regs-only. The reference
// draws the geometric count as floor(log(1 - u) / log(1 - p)) in doubles; here it is the
// same number, max k with (b / (1 + b))^k >= 1 - u, in 60-bit fixed point. The host test
// checks that both give the published node counts of T1 and T3.
#include "workloads/sha1.h"

#include <cstdint>

namespace lib {

enum class UtsShape : uint8_t { geometric, binomial };

struct UtsTree {
    const char* name;
    UtsShape shape;
    uint32_t root_seed;  // r
    uint32_t branching;  // b_0: geometric mean (1..15), or the binomial root's children
    uint32_t max_depth;  // geometric: gen_mx
    uint32_t m;  // binomial: children of a non-leaf
    uint64_t q_num, q_den;  // binomial: probability of being a non-leaf
};

// The published sample trees ("T1: -t 1 -a 3 -d 10 -b 4 -r 19", "T3: -t 0 -b 2000 -q
// 0.124875 -m 8 -r 42") and their reference node counts.
inline constexpr UtsTree kUtsT1{"T1", UtsShape::geometric, 19, 4, 10, 0, 0, 1};
inline constexpr uint64_t kUtsT1ReferenceNodes = 4'130'071;
inline constexpr UtsTree kUtsT3{"T3", UtsShape::binomial, 42, 2000, 0, 8, 124'875, 1'000'000};
inline constexpr uint64_t kUtsT3ReferenceNodes = 4'112'897;

// Smaller trees of the same two shapes for the kernel under TCG, where T1 and T3 would take
// tens of seconds per run: T1 cut at depth 7 ("-t 1 -a 3 -d 7 -b 4 -r 19"), and T3 with 200
// root children and q = 0.12375 ("-t 0 -b 200 -q 0.12375 -m 8 -r 42", 333 levels deep).
// Their node counts come from uts_count_sequential and are checked by the host test.
inline constexpr UtsTree kUtsT1Small{"T1-d7", UtsShape::geometric, 19, 4, 7, 0, 0, 1};
inline constexpr uint64_t kUtsT1SmallNodes = 63'914;
inline constexpr UtsTree kUtsT3Small{"T3-b200", UtsShape::binomial, 42, 200, 0, 8, 123'750, 1'000'000};
inline constexpr uint64_t kUtsT3SmallNodes = 185'913;

struct UtsNode {
    uint32_t depth;
    Sha1Digest state;
};

UtsNode uts_root(const UtsTree& tree);

// Number of children of `node` (0..100; the reference caps geometric draws at 100).
uint32_t uts_child_count(const UtsTree& tree, const UtsNode& node);

// The index-th child: state = SHA-1(parent state || index as 4 big-endian bytes).
UtsNode uts_child(const UtsNode& parent, uint32_t index);

struct UtsCount {
    uint64_t nodes = 0;
    uint64_t leaves = 0;
    uint32_t depth = 0;  // deepest node
};

// Depth-first count with an explicit stack (T3 is 1,572 levels deep), the reference for
// node counts and for sequential time. `stack` must hold `capacity` nodes; returns false
// when the tree is deeper than that (the count is then incomplete).
bool uts_count_sequential(const UtsTree& tree, UtsCount& out, UtsNode* stack, uint32_t capacity);

}  // namespace lib
