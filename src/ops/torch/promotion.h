// torch's type promotion (result_type with Python scalars as weak types) and the common
// preparation of elementwise operands: promote, broadcast, convert to the computation dtype.
#pragma once

#include <vector>

#include "ir/recorder.h"
#include "ops/prim_table.h"

namespace keraunos::ops {

DType promote_types(DType a, DType b);  // torch.promote_types; throws for float8 mixes
DType default_float_dtype();            // float32 (the front end may change it per trace)
void set_default_float_dtype(DType t);

struct PromotedTypes {
  DType computation;  // what the prim computes in (f32 for f16/bf16)
  DType result;
  // What torch's TensorIterator casts tensor operands to before computing in `computation`: a
  // float64 0-d tensor next to a float16 one is rounded to float16 first.
  DType common = computation;
};

// torch.result_type over tensors and numbers (numbers are weak; 0-d tensors rank below others).
DType result_type(const Trace& t, const std::vector<Value>& operands);
// torch's dtype for a Python number (a literal or a number proxy): bool, int64, the default float
// (or its complex).
DType number_dtype(const Trace& t, const Value& v);
PromotedTypes promote(const Trace& t, const std::vector<Value>& operands, Promotion kind);

// Helpers for decompositions.
const TensorType& tensor_type(const Trace& t, const Value& v);
bool is_tensor(const Trace& t, const Value& v);
Value to_dtype(Recorder& r, const Value& v, DType dt);  // no-op when already that dtype; numbers pass through
Value broadcast_to(Recorder& r, const Value& v, const Shape& shape);
// Broadcasts tensors to a common shape and converts them to the computation dtype (numbers stay
// weak); returns the promoted types.
PromotedTypes prepare_operands(Recorder& r, std::string_view op, std::vector<Value>& operands, Promotion kind);
// prepare_operands, then the prim, then the conversion to the result dtype.
Value elementwise(Recorder& r, PrimId prim, std::vector<Value> operands, Promotion kind);

// Converting a Python number to a dtype, as torch's fills do (c10::overflows).
double max_finite(DType dt);  // the largest finite value of a floating dtype
struct IntRange {
  int64_t lo, hi;
};
IntRange int_range(DType dt);  // the values of an integer (or bool) dtype
// A constant that does not fit the dtype is an error naming the op. Integers may wrap into unsigned
// types (-1 -> 255); infinities fit floating types; bool takes anything.
void check_fill(std::string_view op, const Value& v, DType dt);

}  // namespace keraunos::ops
