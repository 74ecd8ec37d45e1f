#pragma once
// Unbalanced Tree Search (Olivier et al., LCPC 2006), geometric trees only: each node's child
// count is drawn from a geometric distribution whose mean follows a shape function of depth,
// using the reference SHA-1 splittable RNG, so the tree is the same on every machine and for
// every executor. T1 = "-t 1 -a 3 -d 10 -b 4 -r 19": fixed branching factor 4, depth 10,
// root seed 19; the reference implementation reports 4,130,071 nodes for it.
#include "forkjoin/sha1.h"

#include <cstdint>

namespace bench {

struct UtsTree {
    double root_branching = 4.0; // b_0
    int max_depth = 10;          // gen_mx: nodes at this depth are leaves
    int root_seed = 19;          // r
};

inline constexpr UtsTree kUtsT1 {};
inline constexpr std::uint64_t kUtsT1ReferenceNodes = 4'130'071;

struct UtsNode {
    int depth;
    Sha1Digest state;
};

UtsNode uts_root(UtsTree const&);

// Number of children of `node` (0..100; the reference caps at 100).
int uts_child_count(UtsTree const&, UtsNode const& node);

// The index-th child: state = SHA-1(parent state || index as 4 big-endian bytes).
UtsNode uts_child(UtsNode const& parent, int index);

struct UtsCount {
    std::uint64_t nodes = 0;
    std::uint64_t leaves = 0;
};

// Plain depth-first count; the reference for node counts and for sequential time.
UtsCount uts_count_sequential(UtsTree const&, UtsNode const& node);

}
