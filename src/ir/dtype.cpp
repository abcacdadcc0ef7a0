// Element types, their short names and torch's promotion categories.
#include "ir/dtype.h"

namespace keraunos {
namespace {

struct DTypeInfo {
  DType t;
  const char* short_name;
  const char* torch_name;
  int itemsize;
  DTypeCategory cat;
};

constexpr DTypeInfo kInfo[kNumDTypes] = {
    {DType::Bool, "b8", "bool", 1, DTypeCategory::Bool},
    {DType::UInt8, "u8", "uint8", 1, DTypeCategory::Integer},
    {DType::Int8, "i8", "int8", 1, DTypeCategory::Integer},
    {DType::Int16, "i16", "int16", 2, DTypeCategory::Integer},
    {DType::Int32, "i32", "int32", 4, DTypeCategory::Integer},
    {DType::Int64, "i64", "int64", 8, DTypeCategory::Integer},
    {DType::Float16, "f16", "float16", 2, DTypeCategory::Floating},
    {DType::BFloat16, "bf16", "bfloat16", 2, DTypeCategory::Floating},
    {DType::Float32, "f32", "float32", 4, DTypeCategory::Floating},
    {DType::Float64, "f64", "float64", 8, DTypeCategory::Floating},
    {DType::Complex64, "c64", "complex64", 8, DTypeCategory::Complex},
    {DType::Complex128, "c128", "complex128", 16, DTypeCategory::Complex},
    {DType::Float8E4M3FN, "f8e4m3", "float8_e4m3fn", 1, DTypeCategory::Floating},
    {DType::Float8E5M2, "f8e5m2", "float8_e5m2", 1, DTypeCategory::Floating},
};

const DTypeInfo& info(DType t) { return kInfo[static_cast<int>(t)]; }

}  // namespace

DTypeCategory category(DType t) { return info(t).cat; }
int itemsize(DType t) { return info(t).itemsize; }
std::string_view short_name(DType t) { return info(t).short_name; }
std::string_view torch_name(DType t) { return info(t).torch_name; }

DType to_real(DType t) {
  if (t == DType::Complex64) return DType::Float32;
  if (t == DType::Complex128) return DType::Float64;
  return t;
}

DType to_complex(DType t) {
  if (t == DType::Float64) return DType::Complex128;
  if (is_complex(t)) return t;
  return DType::Complex64;
}

std::optional<DType> dtype_from_short_name(std::string_view s) {
  for (const auto& i : kInfo)
    if (s == i.short_name) return i.t;
  return std::nullopt;
}

std::optional<DType> dtype_from_torch_name(std::string_view s) {
  for (const auto& i : kInfo)
    if (s == i.torch_name) return i.t;
  // torch's aliases
  if (s == "float") return DType::Float32;
  if (s == "double") return DType::Float64;
  if (s == "half") return DType::Float16;
  if (s == "long") return DType::Int64;
  if (s == "int") return DType::Int32;
  if (s == "short") return DType::Int16;
  if (s == "cfloat") return DType::Complex64;
  if (s == "cdouble") return DType::Complex128;
  return std::nullopt;
}

}  // namespace keraunos
