// Conversions between keraunos' dtypes/devices and ATen's.
#pragma once

#include <c10/core/Device.h>
#include <c10/core/ScalarType.h>

#include "ir/device.h"
#include "ir/dtype.h"

namespace keraunos {

at::ScalarType to_aten(DType t);
DType from_aten(at::ScalarType t);  // throws for dtypes keraunos does not have
c10::Device to_aten(Device d);
Device from_aten(c10::Device d);

}  // namespace keraunos
