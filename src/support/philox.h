// Philox4x32-10, the counter-based generator behind prims.uniform_philox: value i of a draw at
// (seed, offset) depends only on (seed, offset + i), on every device and every executor.
#pragma once

#include <cstdint>

namespace keraunos::philox {

struct U32x4 {
  uint32_t x[4];
};

inline U32x4 round(U32x4 c, uint32_t k0, uint32_t k1) {
  constexpr uint64_t M0 = 0xD2511F53ull, M1 = 0xCD9E8D57ull;
  uint64_t p0 = M0 * c.x[0], p1 = M1 * c.x[2];
  return {{static_cast<uint32_t>(p1 >> 32) ^ c.x[1] ^ k0, static_cast<uint32_t>(p1), static_cast<uint32_t>(p0 >> 32) ^ c.x[3] ^ k1,
           static_cast<uint32_t>(p0)}};
}

// Four 32-bit random numbers for counter block `block` of stream (seed, subsequence 0).
inline U32x4 block(uint64_t seed, uint64_t block_index) {
  U32x4 c{{static_cast<uint32_t>(block_index), static_cast<uint32_t>(block_index >> 32), 0u, 0u}};
  uint32_t k0 = static_cast<uint32_t>(seed), k1 = static_cast<uint32_t>(seed >> 32);
  for (int r = 0; r < 10; ++r) {
    c = round(c, k0, k1);
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return c;
}

// The 32 random bits for element `i` of a draw at `offset` (offset counts elements).
inline uint32_t bits(uint64_t seed, uint64_t offset, uint64_t i) {
  uint64_t n = offset + i;
  return block(seed, n >> 2).x[n & 3];
}

// A uniform float in [0, 1) from 32 bits: 24 bits of mantissa.
inline float to_unit_float(uint32_t b) { return static_cast<float>(b >> 8) * (1.0f / 16777216.0f); }
// A uniform double in [0, 1) from two draws: 53 bits.
inline double to_unit_double(uint32_t hi, uint32_t lo) {
  uint64_t v = (static_cast<uint64_t>(hi) << 21) ^ (lo >> 11);
  return static_cast<double>(v & ((1ull << 53) - 1)) * (1.0 / 9007199254740992.0);
}

}  // namespace keraunos::philox
