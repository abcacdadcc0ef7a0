// Element types, their short names and torch's promotion categories.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace keraunos {

enum class DType : uint8_t {
  Bool,
  UInt8,
  Int8,
  Int16,
  Int32,
  Int64,
  Float16,
  BFloat16,
  Float32,
  Float64,
  Complex64,
  Complex128,
  Float8E4M3FN,
  Float8E5M2,
};
constexpr int kNumDTypes = 14;

// torch's promotion categories, ordered: a higher category wins in type promotion.
enum class DTypeCategory : uint8_t { Bool = 0, Integer = 1, Floating = 2, Complex = 3 };

DTypeCategory category(DType t);
int itemsize(DType t);
inline bool is_floating(DType t) { return category(t) == DTypeCategory::Floating; }
inline bool is_complex(DType t) { return category(t) == DTypeCategory::Complex; }
inline bool is_integer(DType t) { return category(t) == DTypeCategory::Integer; }  // excludes bool
inline bool is_bool(DType t) { return t == DType::Bool; }
inline bool is_exact(DType t) { return category(t) <= DTypeCategory::Integer; }  // bool or integer
inline bool is_float8(DType t) { return t == DType::Float8E4M3FN || t == DType::Float8E5M2; }
// Computed in float32 inside kernels and rounded once on store.
inline bool is_low_precision(DType t) { return t == DType::Float16 || t == DType::BFloat16 || is_float8(t); }
// complex64 -> float32, complex128 -> float64; others unchanged.
DType to_real(DType t);
DType to_complex(DType t);

std::string_view short_name(DType t);  // "f32"
std::string_view torch_name(DType t);  // "float32"
std::optional<DType> dtype_from_short_name(std::string_view s);
std::optional<DType> dtype_from_torch_name(std::string_view s);

}  // namespace keraunos
