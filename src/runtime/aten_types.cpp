// Conversions between keraunos' dtypes/devices and ATen's.
#include "runtime/aten_types.h"

#include "support/error.h"

namespace keraunos {

at::ScalarType to_aten(DType t) {
  switch (t) {
    case DType::Bool:
      return at::kBool;
    case DType::UInt8:
      return at::kByte;
    case DType::Int8:
      return at::kChar;
    case DType::Int16:
      return at::kShort;
    case DType::Int32:
      return at::kInt;
    case DType::Int64:
      return at::kLong;
    case DType::Float16:
      return at::kHalf;
    case DType::BFloat16:
      return at::kBFloat16;
    case DType::Float32:
      return at::kFloat;
    case DType::Float64:
      return at::kDouble;
    case DType::Complex64:
      return at::kComplexFloat;
    case DType::Complex128:
      return at::kComplexDouble;
    case DType::Float8E4M3FN:
      return at::kFloat8_e4m3fn;
    case DType::Float8E5M2:
      return at::kFloat8_e5m2;
  }
  return at::kFloat;
}

DType from_aten(at::ScalarType t) {
  for (int i = 0; i < kNumDTypes; ++i)
    if (to_aten(static_cast<DType>(i)) == t) return static_cast<DType>(i);
  throw Error(str("keraunos does not support the dtype ", c10::toString(t)));
}

c10::Device to_aten(Device d) {
  return d.is_cpu() ? c10::Device(c10::kCPU) : c10::Device(c10::kCUDA, static_cast<c10::DeviceIndex>(d.index));
}

Device from_aten(c10::Device d) {
  if (d.is_cpu()) return Device::cpu();
  KERAUNOS_CHECK(d.is_cuda(), "keraunos supports cpu and cuda devices, got ", d.str());
  return Device::cuda(d.has_index() ? d.index() : 0);
}

}  // namespace keraunos
