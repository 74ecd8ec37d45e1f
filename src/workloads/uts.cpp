#include "workloads/uts.h"

namespace lib {
namespace {

constexpr uint32_t kMaxChildren = 100;
constexpr uint32_t kFixedBits = 60;  // Q60: (b / (1 + b))^k with b <= 15 never overflows x * b

// The node's own random number: the low 31 bits of the last four digest bytes, big-endian.
uint32_t node_random(const UtsNode& node) {
    uint32_t bits = (uint32_t(node.state[16]) << 24) | (uint32_t(node.state[17]) << 16) |
                    (uint32_t(node.state[18]) << 8) | uint32_t(node.state[19]);
    return bits & 0x7fffffffu;
}

void put_be32(uint8_t* out, uint32_t value) {
    out[0] = uint8_t(value >> 24);
    out[1] = uint8_t(value >> 16);
    out[2] = uint8_t(value >> 8);
    out[3] = uint8_t(value);
}

// max k <= 100 with q^k >= 1 - u, where q = b / (1 + b) and u = r / 2^31. Each step
// truncates, so x runs at most k ulps (2^-60 each) below the true q^k; the double-precision
// reference is off by more than that.
uint32_t geometric_children(uint32_t branching, uint32_t r) {
    const uint64_t one_minus_u = uint64_t(0x80000000u - r) << (kFixedBits - 31);
    uint64_t x = uint64_t(1) << kFixedBits;  // q^0
    uint32_t k = 0;
    while (k < kMaxChildren) {
        uint64_t next = x * branching / (branching + 1);
        if (next < one_minus_u) break;
        x = next;
        ++k;
    }
    return k;
}

}  // namespace

UtsNode uts_root(const UtsTree& tree) {
    // The root state is SHA-1 of 16 zero bytes followed by the seed, big-endian.
    uint8_t seed_block[20] = {};
    put_be32(seed_block + 16, tree.root_seed);
    return UtsNode{0, sha1(seed_block)};
}

uint32_t uts_child_count(const UtsTree& tree, const UtsNode& node) {
    if (tree.shape == UtsShape::binomial) {
        if (node.depth == 0) return tree.branching;
        // r / 2^31 < q_num / q_den, exactly.
        return uint64_t(node_random(node)) * tree.q_den < (tree.q_num << 31) ? tree.m : 0;
    }
    if (node.depth >= tree.max_depth || tree.branching == 0) return 0;
    return geometric_children(tree.branching, node_random(node));
}

UtsNode uts_child(const UtsNode& parent, uint32_t index) {
    uint8_t message[24];
    for (uint32_t i = 0; i < 20; ++i) message[i] = parent.state[i];
    put_be32(message + 20, index);
    return UtsNode{parent.depth + 1, sha1(message)};
}

bool uts_count_sequential(const UtsTree& tree, UtsCount& out, UtsNode* stack, uint32_t capacity) {
    // Children are pushed as they are generated, so the stack holds the pending siblings
    // of every level: at most depth * (max children - 1) + 1 nodes.
    out = UtsCount{};
    if (capacity == 0) return false;
    uint32_t top = 0;
    stack[top++] = uts_root(tree);
    while (top > 0) {
        UtsNode node = stack[--top];
        ++out.nodes;
        if (node.depth > out.depth) out.depth = node.depth;
        uint32_t children = uts_child_count(tree, node);
        if (children == 0) {
            ++out.leaves;
            continue;
        }
        for (uint32_t i = 0; i < children; ++i) {
            if (top == capacity) return false;
            stack[top++] = uts_child(node, i);
        }
    }
    return true;
}

}  // namespace lib
