// SHA-256 (FIPS 180-4), for cache keys that must not collide: a kernel loaded under another
// source's key would compute the wrong thing silently.
#pragma once

#include <string>
#include <string_view>

namespace keraunos {

// The digest of `data` as 64 lower-case hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace keraunos
