#include "workloads/sha1.h"

#include <bit>

namespace lib {

namespace {

constexpr std::size_t kBlockBytes = 64;

std::uint32_t load_be32(std::uint8_t const* bytes) {
    return (std::uint32_t(bytes[0]) << 24) | (std::uint32_t(bytes[1]) << 16) | (std::uint32_t(bytes[2]) << 8) |
           std::uint32_t(bytes[3]);
}

void compress(std::array<std::uint32_t, 5>& hash, std::uint8_t const* block) {
    std::uint32_t schedule[80];
    for (std::size_t i = 0; i < 16; ++i) schedule[i] = load_be32(block + 4 * i);
    for (std::size_t i = 16; i < 80; ++i)
        schedule[i] = std::rotl(schedule[i - 3] ^ schedule[i - 8] ^ schedule[i - 14] ^ schedule[i - 16], 1);

    std::uint32_t a = hash[0], b = hash[1], c = hash[2], d = hash[3], e = hash[4];
    for (std::size_t i = 0; i < 80; ++i) {
        std::uint32_t mix;
        std::uint32_t round_constant;
        if (i < 20) {
            mix = (b & c) | (~b & d);
            round_constant = 0x5a827999;
        } else if (i < 40) {
            mix = b ^ c ^ d;
            round_constant = 0x6ed9eba1;
        } else if (i < 60) {
            mix = (b & c) | (b & d) | (c & d);
            round_constant = 0x8f1bbcdc;
        } else {
            mix = b ^ c ^ d;
            round_constant = 0xca62c1d6;
        }
        std::uint32_t const next = std::rotl(a, 5) + mix + e + round_constant + schedule[i];
        e = d;
        d = c;
        c = std::rotl(b, 30);
        b = a;
        a = next;
    }
    hash[0] += a;
    hash[1] += b;
    hash[2] += c;
    hash[3] += d;
    hash[4] += e;
}

}  // namespace

Sha1Digest sha1(std::span<std::uint8_t const> message) {
    std::array<std::uint32_t, 5> hash{0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0};

    std::size_t offset = 0;
    for (; offset + kBlockBytes <= message.size(); offset += kBlockBytes) compress(hash, message.data() + offset);

    // Padding: the tail, a 1 bit, zeros, then the bit length as 64-bit big-endian; one or
    // two blocks depending on whether the length still fits after the tail.
    std::uint8_t tail[2 * kBlockBytes] = {};
    std::size_t const tail_bytes = message.size() - offset;
    for (std::size_t i = 0; i < tail_bytes; ++i) tail[i] = message[offset + i];
    tail[tail_bytes] = 0x80;
    std::size_t const padded = (tail_bytes + 1 + 8 <= kBlockBytes) ? kBlockBytes : 2 * kBlockBytes;
    std::uint64_t const bit_length = std::uint64_t(message.size()) * 8;
    for (std::size_t i = 0; i < 8; ++i) tail[padded - 1 - i] = std::uint8_t(bit_length >> (8 * i));
    for (std::size_t block = 0; block < padded; block += kBlockBytes) compress(hash, tail + block);

    Sha1Digest digest;
    for (std::size_t i = 0; i < 5; ++i) {
        digest[4 * i + 0] = std::uint8_t(hash[i] >> 24);
        digest[4 * i + 1] = std::uint8_t(hash[i] >> 16);
        digest[4 * i + 2] = std::uint8_t(hash[i] >> 8);
        digest[4 * i + 3] = std::uint8_t(hash[i]);
    }
    return digest;
}

}  // namespace lib
