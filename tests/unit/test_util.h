// Helpers for unit tests: building small traces quickly.
#pragma once

#include "ir/parser.h"
#include "ir/printer.h"
#include "ir/recorder.h"
#include "ops/builtins.h"

namespace keraunos::testing {

inline TensorType f32(std::vector<int64_t> dims, DType dt = DType::Float32) {
  TensorType t;
  for (auto d : dims) t.shape.push_back(Dim::constant(d));
  t.dtype = dt;
  return t;
}

inline Trace parse(const std::string& text) { return parse_trace(text, ops::register_builtins()); }

}  // namespace keraunos::testing
