// 64-bit hashing helpers used by CSE keys, cache keys and signatures.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace keraunos {

inline uint64_t hash_mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

inline uint64_t hash_combine(uint64_t seed, uint64_t v) { return hash_mix(seed ^ (v + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2))); }

inline uint64_t hash_bytes(const void* data, size_t n, uint64_t seed = 0xcbf29ce484222325ULL) {
  const auto* p = static_cast<const unsigned char*>(data);
  uint64_t h = seed;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = hash_combine(h, w);
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p + i, n - i);
  return hash_combine(h, tail ^ (static_cast<uint64_t>(n) << 56));
}

inline uint64_t hash_string(std::string_view s, uint64_t seed = 0xcbf29ce484222325ULL) { return hash_bytes(s.data(), s.size(), seed); }

}  // namespace keraunos
