// Devices: cpu and cuda:N.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keraunos {

struct Device {
  enum class Kind : uint8_t { CPU, CUDA };
  Kind kind = Kind::CPU;
  int16_t index = 0;  // always 0 for the CPU

  static Device cpu() { return {}; }
  static Device cuda(int i = 0) { return {Kind::CUDA, static_cast<int16_t>(i)}; }
  bool is_cpu() const { return kind == Kind::CPU; }
  bool is_cuda() const { return kind == Kind::CUDA; }
  bool operator==(const Device&) const = default;

  std::string to_string() const;                           // "cpu", "cuda:0"
  static std::optional<Device> parse(std::string_view s);  // "cpu", "cuda", "cuda:1"
};

}  // namespace keraunos
