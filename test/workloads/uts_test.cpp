// The UTS trees the kernel's bench=sched and the host benchmarks both build: the shared
// SHA-1 against FIPS test vectors, the integer geometric draw against the reference's
// double-precision formula, and the published node counts of T1 and T3.
#include "workloads/sha1.h"
#include "workloads/uts.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace {

std::string hex(const lib::Sha1Digest& d)
{
    std::string out;
    char buf[3];
    for (uint8_t byte : d) {
        std::snprintf(buf, sizeof buf, "%02x", byte);
        out += buf;
    }
    return out;
}

lib::Sha1Digest sha1_of(const std::string& s)
{
    return lib::sha1(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

TEST(Sha1, FipsVectors)
{
    EXPECT_EQ(hex(sha1_of("")), "da39a3ee5e6b4b0d3255bfef95601890afd80709");
    EXPECT_EQ(hex(sha1_of("abc")), "a9993e364706816aba3e25717850c26c9cd0d89d");
    // 56 bytes: the length no longer fits in the first padding block.
    EXPECT_EQ(hex(sha1_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
        "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

// The reference draw, floor(log(1 - u) / log(1 - p)) with p = 1 / (1 + b), capped at 100.
uint32_t reference_geometric(uint32_t b, uint32_t r)
{
    double p = 1.0 / (1.0 + b);
    double u = double(r) / 2147483648.0;
    int k = int(std::floor(std::log(1.0 - u) / std::log(1.0 - p)));
    return k > 100 ? 100 : uint32_t(k);
}

// A node whose random number is r (the last four digest bytes, big-endian, low 31 bits).
lib::UtsNode node_with_random(uint32_t r)
{
    lib::UtsNode node{0, {}};
    node.state[16] = uint8_t(r >> 24);
    node.state[17] = uint8_t(r >> 16);
    node.state[18] = uint8_t(r >> 8);
    node.state[19] = uint8_t(r);
    return node;
}

TEST(Uts, IntegerGeometricDrawMatchesTheDoubleFormula)
{
    // Every r from a stride over [0, 2^31), plus both ends; b = 1..8. Any mismatch would
    // be a boundary where q^k is within double rounding of 1 - u: none is expected.
    for (uint32_t b = 1; b <= 8; ++b) {
        lib::UtsTree tree{"geo", lib::UtsShape::geometric, 0, b, 10, 0, 0, 1};
        uint32_t mismatches = 0;
        for (uint64_t r = 0; r < 0x80000000ull; r += 4099) {
            uint32_t got = lib::uts_child_count(tree, node_with_random(uint32_t(r)));
            mismatches += got != reference_geometric(b, uint32_t(r));
        }
        for (uint32_t r : {0u, 1u, 0x7ffffffeu, 0x7fffffffu})
            mismatches += lib::uts_child_count(tree, node_with_random(r)) != reference_geometric(b, r);
        EXPECT_EQ(mismatches, 0u) << "b = " << b;
    }
}

TEST(Uts, BinomialDrawIsExact)
{
    lib::UtsTree t3 = lib::kUtsT3;
    lib::UtsNode root = node_with_random(0);
    EXPECT_EQ(lib::uts_child_count(t3, root), 2000u) << "the root has b_0 children";
    // q = 0.124875: r / 2^31 < q exactly when r < q * 2^31 = 268,167,020.544.
    lib::UtsNode below = node_with_random(268167020), above = node_with_random(268167021);
    below.depth = above.depth = 1;
    EXPECT_EQ(lib::uts_child_count(t3, below), 8u);
    EXPECT_EQ(lib::uts_child_count(t3, above), 0u);
}

TEST(Uts, T1HasThePublishedNodeCount)
{
    std::vector<lib::UtsNode> stack(1 << 12);
    lib::UtsCount c;
    ASSERT_TRUE(lib::uts_count_sequential(lib::kUtsT1, c, stack.data(), uint32_t(stack.size())));
    EXPECT_EQ(c.nodes, lib::kUtsT1ReferenceNodes);
    EXPECT_EQ(c.leaves, 3'305'118u);
    EXPECT_EQ(c.depth, 10u);
}

TEST(Uts, T3HasThePublishedNodeCount)
{
    std::vector<lib::UtsNode> stack(1 << 16);
    lib::UtsCount c;
    ASSERT_TRUE(lib::uts_count_sequential(lib::kUtsT3, c, stack.data(), uint32_t(stack.size())));
    EXPECT_EQ(c.nodes, lib::kUtsT3ReferenceNodes);
    EXPECT_EQ(c.leaves, 3'599'034u);
    EXPECT_EQ(c.depth, 1572u);
}

TEST(Uts, TheKernelTreesHaveTheirStatedNodeCounts)
{
    std::vector<lib::UtsNode> stack(1 << 14);
    lib::UtsCount c;
    ASSERT_TRUE(lib::uts_count_sequential(lib::kUtsT1Small, c, stack.data(), uint32_t(stack.size())));
    EXPECT_EQ(c.nodes, lib::kUtsT1SmallNodes);
    EXPECT_EQ(c.depth, 7u);
    ASSERT_TRUE(lib::uts_count_sequential(lib::kUtsT3Small, c, stack.data(), uint32_t(stack.size())));
    EXPECT_EQ(c.nodes, lib::kUtsT3SmallNodes);
    EXPECT_EQ(c.depth, 333u);
}

TEST(Uts, TooSmallAStackIsReportedNotOverrun)
{
    std::vector<lib::UtsNode> stack(8);
    lib::UtsCount c;
    EXPECT_FALSE(lib::uts_count_sequential(lib::kUtsT3, c, stack.data(), uint32_t(stack.size())));
}

} // namespace
