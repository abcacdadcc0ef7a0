// Devices: cpu and cuda:N.
#include "ir/device.h"

#include <charconv>

namespace keraunos {

std::string Device::to_string() const {
  if (is_cpu()) return "cpu";
  return "cuda:" + std::to_string(index);
}

std::optional<Device> Device::parse(std::string_view s) {
  if (s == "cpu") return cpu();
  if (s == "cuda") return cuda(0);
  if (s.substr(0, 5) == "cuda:") {
    int idx = 0;
    auto rest = s.substr(5);
    auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), idx);
    if (ec != std::errc() || p != rest.data() + rest.size() || idx < 0 || idx > 1024) return std::nullopt;
    return cuda(idx);
  }
  return std::nullopt;
}

}  // namespace keraunos
