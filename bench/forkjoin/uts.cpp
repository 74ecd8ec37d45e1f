#include "forkjoin/uts.h"

#include <cmath>

namespace bench {

namespace {

constexpr int kMaxChildren = 100;

// The node's own random number: the low 31 bits of the last four digest bytes, big-endian.
std::uint32_t node_random(UtsNode const& node)
{
    std::uint32_t const bits = (std::uint32_t(node.state[16]) << 24) | (std::uint32_t(node.state[17]) << 16)
        | (std::uint32_t(node.state[18]) << 8) | std::uint32_t(node.state[19]);
    return bits & 0x7fffffffu;
}

void put_be32(std::uint8_t* out, std::uint32_t value)
{
    out[0] = std::uint8_t(value >> 24);
    out[1] = std::uint8_t(value >> 16);
    out[2] = std::uint8_t(value >> 8);
    out[3] = std::uint8_t(value);
}

}

UtsNode uts_root(UtsTree const& tree)
{
    // The root state is SHA-1 of 16 zero bytes followed by the seed, big-endian.
    std::uint8_t seed_block[20] = {};
    put_be32(seed_block + 16, std::uint32_t(tree.root_seed));
    return UtsNode { 0, sha1(seed_block) };
}

int uts_child_count(UtsTree const& tree, UtsNode const& node)
{
    // Shape "fixed": the same mean branching factor at every depth below the limit.
    double const mean_children = node.depth < tree.max_depth ? tree.root_branching : 0.0;
    if (mean_children <= 0.0)
        return 0;
    // Inverse CDF of the geometric distribution with mean b: P(success) = 1 / (1 + b).
    double const success = 1.0 / (1.0 + mean_children);
    double const uniform = double(node_random(node)) / 2147483648.0;
    int const children = int(std::floor(std::log(1.0 - uniform) / std::log(1.0 - success)));
    return children > kMaxChildren ? kMaxChildren : children;
}

UtsNode uts_child(UtsNode const& parent, int index)
{
    std::uint8_t message[24];
    for (std::size_t i = 0; i < 20; ++i)
        message[i] = parent.state[i];
    put_be32(message + 20, std::uint32_t(index));
    return UtsNode { parent.depth + 1, sha1(message) };
}

UtsCount uts_count_sequential(UtsTree const& tree, UtsNode const& node)
{
    UtsCount count { 1, 0 };
    int const children = uts_child_count(tree, node);
    if (children == 0)
        count.leaves = 1;
    for (int i = 0; i < children; ++i) {
        UtsCount const below = uts_count_sequential(tree, uts_child(node, i));
        count.nodes += below.nodes;
        count.leaves += below.leaves;
    }
    return count;
}

}
