// The op table: every prim once, with what each layer needs to know about it. The PrimId enum,
// the prims' registration, the torch-level elementwise ops built one-to-one on them, the fuser's
// claims and code, and the ATen executor's kernels are all read from these rows; a prim's name is
// spelled here and nowhere else. Header-only (X-macros and constexpr data): no layer links
// anything to read it. docs/dev/adding-ops.md shows how to add a row.
#pragma once

#include <cstdint>
#include <string_view>

namespace keraunos::ops {

// -- the elementwise prims -------------------------------------------------------------------------
// X(name, arity, inputs, output, fuser, kernel, aten, torch, promotion, operands, cpp, python)
//   name      prims.<name>
//   inputs    the dtypes it accepts (PrimIn)        output   its dtype rule (PrimOut)
//   fuser     what the fuser knows (PrimFlag bits; 0: it does not fuse the prim)
//   kernel    the shape of the ATen executor's kernel for the prim (AtenShape), calling at::<aten>
//   torch     the torch-level op torch.<torch> built on it one-to-one (`_`: none, or written by hand),
//             with its type promotion and whether Python numbers are accepted (TorchOperands)
//   cpp       the fuser's C++ expression: "" when the code generator writes it (a case of its switch),
//             else a template: {0} {1} {2} the operands, {T} the computation type, {f} "f" for float
//             ("" for double); a prim with a template needs nothing else from the fuser
//   python    the torch-level op's Python facts (ops::python_facts): operators, aliases, autocast
// clang-format off
#define KERAUNOS_ELEMENTWISE_PRIMS(X)                                                                                                                                                                                                                                  \
  /* unary */                                                                                                                                                                                                                                                          \
  X(abs,         1, NotBool,     ComplexToFloat, kFuse | kCheap | kNanProp | kLanes,     Unary,   abs,                 abs,                 ComplexToFloat, Tensors, "",                                               "__abs__ torch.absolute")                       \
  X(neg,         1, NotBool,     Same,           kFuse | kCheap | kNanProp | kLanes,     Unary,   neg,                 neg,                 Default,        Tensors, "",                                               "__neg__ torch.negative")                       \
  X(exp,         1, Float,       Same,           kFuse | kFloatCode | kLibm | kNanProp,  Unary,   exp,                 exp,                 IntToFloat,     Tensors, "",                                               "autocast_cuda=fp32")                           \
  X(exp2,        1, Float,       Same,           kFuse | kFloatCode | kLibm,             Unary,   exp2,                exp2,                IntToFloat,     Tensors, "",                                               "")                                             \
  X(expm1,       1, Float,       Same,           kFuse | kFloatCode | kLibm,             Unary,   expm1,               expm1,               IntToFloat,     Tensors, "",                                               "torch.special.expm1")                          \
  X(log,         1, Float,       Same,           kFuse | kFloatCode | kLibm | kNanProp,  Unary,   log,                 log,                 IntToFloat,     Tensors, "",                                               "autocast_cuda=fp32")                           \
  X(log1p,       1, Float,       Same,           kFuse | kFloatCode | kLibm,             Unary,   log1p,               log1p,               IntToFloat,     Tensors, "",                                               "")                                             \
  X(log2,        1, Float,       Same,           kFuse | kFloatCode | kLibm,             Unary,   log2,                log2,                IntToFloat,     Tensors, "",                                               "")                                             \
  X(log10,       1, Float,       Same,           kFuse | kFloatCode | kLibm,             Unary,   log10,               log10,               IntToFloat,     Tensors, "",                                               "")                                             \
  X(sqrt,        1, Float,       Same,           kFuse | kFloatCode | kNanProp | kLanes, Unary,   sqrt,                sqrt,                IntToFloat,     Tensors, "",                                               "")                                             \
  X(rsqrt,       1, Float,       Same,           kFuse | kFloatCode | kNanProp | kLanes, Unary,   rsqrt,               rsqrt,               IntToFloat,     Tensors, "",                                               "")                                             \
  X(reciprocal,  1, Float,       Same,           kFuse | kFloatCode | kNanProp | kLanes, Unary,   reciprocal,          reciprocal,          IntToFloat,     Tensors, "",                                               "")                                             \
  X(sin,         1, Float,       Same,           kFuse | kFloatCode | kLibm,             Unary,   sin,                 sin,                 IntToFloat,     Tensors, "",                                               "")                                             \
  X(cos,         1, Float,       Same,           kFuse | kFloatCode | kLibm,             Unary,   cos,                 cos,                 IntToFloat,     Tensors, "",                                               "")                                             \
  X(tan,         1, Float,       Same,           kFuse | kFloatCode | kLibm,             Unary,   tan,                 tan,                 IntToFloat,     Tensors, "",                                               "")                                             \
  X(asin,        1, Float,       Same,           kFuse | kFloatCode | kLibm,             Unary,   asin,                asin,                IntToFloat,     Tensors, "",                                               "")                                             \
  X(acos,        1, Float,       Same,           kFuse | kFloatCode | kLibm,             Unary,   acos,                acos,                IntToFloat,     Tensors, "",                                               "")                                             \
  X(atan,        1, Float,       Same,           kFuse | kFloatCode | kLibm,             Unary,   atan,                atan,                IntToFloat,     Tensors, "",                                               "")                                             \
  X(sinh,        1, Float,       Same,           kFuse | kFloatCode | kLibm,             Unary,   sinh,                sinh,                IntToFloat,     Tensors, "",                                               "")                                             \
  X(cosh,        1, Float,       Same,           kFuse | kFloatCode | kLibm,             Unary,   cosh,                cosh,                IntToFloat,     Tensors, "",                                               "")                                             \
  X(tanh,        1, Float,       Same,           kFuse | kFloatCode | kLibm,             Unary,   tanh,                tanh,                IntToFloat,     Tensors, "",                                               "torch.nn.functional.tanh")                     \
  X(asinh,       1, Float,       Same,           kFuse | kFloatCode | kLibm,             Unary,   asinh,               asinh,               IntToFloat,     Tensors, "",                                               "")                                             \
  X(acosh,       1, Float,       Same,           kFuse | kFloatCode | kLibm,             Unary,   acosh,               acosh,               IntToFloat,     Tensors, "",                                               "")                                             \
  X(atanh,       1, Float,       Same,           kFuse | kFloatCode | kLibm,             Unary,   atanh,               atanh,               IntToFloat,     Tensors, "",                                               "")                                             \
  X(erf,         1, FloatReal,   Same,           kFuse | kFloatCode | kLibm,             Unary,   erf,                 erf,                 IntToFloat,     Tensors, "",                                               "torch.special.erf")                            \
  X(erfc,        1, FloatReal,   Same,           kFuse | kFloatCode | kLibm,             Unary,   erfc,                erfc,                IntToFloat,     Tensors, "",                                               "")                                             \
  X(erfinv,      1, FloatReal,   Same,           0,                                      Unary,   erfinv,              erfinv,              IntToFloat,     Tensors, "",                                               "")                                             \
  X(lgamma,      1, FloatReal,   Same,           0,                                      Unary,   lgamma,              lgamma,              IntToFloat,     Tensors, "",                                               "")                                             \
  X(digamma,     1, FloatReal,   Same,           0,                                      Unary,   digamma,             digamma,             IntToFloat,     Tensors, "",                                               "")                                             \
  X(sign,        1, Real,        Same,           kFuse | kCheap,                         Unary,   sign,                sign,                Default,        Tensors, "",                                               "")                                             \
  X(signbit,     1, Real,        Bool,           0,                                      Unary,   signbit,             signbit,             AlwaysBool,     Tensors, "",                                               "")                                             \
  X(floor,       1, RealNotBool, Same,           kFuse | kCheap,                         Unary,   floor,               floor,               Default,        Tensors, "",                                               "")                                             \
  X(ceil,        1, RealNotBool, Same,           kFuse | kCheap,                         Unary,   ceil,                ceil,                Default,        Tensors, "",                                               "")                                             \
  X(round,       1, RealNotBool, Same,           kFuse | kCheap,                         Unary,   round,               round,               Default,        Tensors, "",                                               "")                                             \
  X(trunc,       1, RealNotBool, Same,           kFuse | kCheap,                         Unary,   trunc,               trunc,               Default,        Tensors, "",                                               "")                                             \
  X(isfinite,    1, Any,         Bool,           kFuse | kCheap,                         Unary,   isfinite,            isfinite,            AlwaysBool,     Tensors, "",                                               "")                                             \
  X(isnan,       1, Any,         Bool,           kFuse | kCheap,                         Unary,   isnan,               isnan,               AlwaysBool,     Tensors, "",                                               "")                                             \
  X(isinf,       1, Any,         Bool,           kFuse | kCheap,                         Unary,   isinf,               isinf,               AlwaysBool,     Tensors, "",                                               "")                                             \
  X(logical_not, 1, Any,         Bool,           kFuse | kCheap | kLogic,                Unary,   logical_not,         logical_not,         AlwaysBool,     Tensors, "",                                               "")                                             \
  X(bitwise_not, 1, IntOrBool,   Same,           kFuse | kCheap | kLogic,                Unary,   bitwise_not,         bitwise_not,         NoOpmath,       Tensors, "",                                               "__invert__")                                   \
  X(real,        1, Any,         ComplexToFloat, 0,                                      Custom,  real,                real,                ComplexToFloat, Tensors, "",                                               "view")                                         \
  X(imag,        1, Complex,     ComplexToFloat, 0,                                      Unary,   imag,                imag,                ComplexToFloat, Tensors, "",                                               "view")                                         \
  X(rad2deg,     1, FloatReal,   Same,           kFuse | kFloatCode | kCheap,            Unary,   rad2deg,             rad2deg,             IntToFloat,     Tensors, "{0} * ({T})57.295779513082320876798154814105",   "")                                             \
  X(deg2rad,     1, FloatReal,   Same,           kFuse | kFloatCode | kCheap,            Unary,   deg2rad,             deg2rad,             IntToFloat,     Tensors, "{0} * ({T})0.017453292519943295769236907684886", "")                                             \
  /* binary */                                                                                                                                                                                                                                                         \
  X(add,         2, Any,         Same,           kFuse | kCheap | kNanProp | kLanes,     BinaryS, add,                 _,                   Default,        Numbers, "",                                               "")                                             \
  X(sub,         2, NotBool,     Same,           kFuse | kCheap | kNanProp | kLanes,     BinaryS, sub,                 _,                   Default,        Numbers, "",                                               "")                                             \
  X(mul,         2, Any,         Same,           kFuse | kCheap | kNanProp | kLanes,     BinaryS, mul,                 mul,                 Default,        Numbers, "",                                               "__mul__ r:__rmul__ i:__imul__ torch.multiply") \
  X(div,         2, NotBool,     Same,           kFuse | kFloatCode | kNanProp | kLanes, Custom,  div,                 _,                   Default,        Numbers, "",                                               "")                                             \
  X(pow,         2, NotBool,     Same,           kFuse | kFloatCode,                     BinaryS, pow,                 pow,                 Default,        Numbers, "",                                               "__pow__ r:__rpow__ autocast_cuda=fp32")        \
  X(fmod,        2, RealNotBool, Same,           kFuse | kFloatCode,                     BinaryS, fmod,                fmod,                Default,        Numbers, "",                                               "")                                             \
  X(remainder,   2, RealNotBool, Same,           kFuse | kFloatCode,                     BinaryS, remainder,           remainder,           Default,        Numbers, "",                                               "__mod__ r:__rmod__")                           \
  X(maximum,     2, Real,        Same,           kFuse | kCheap | kNanProp | kLanes,     Binary,  maximum,             maximum,             Default,        Tensors, "",                                               "")                                             \
  X(minimum,     2, Real,        Same,           kFuse | kCheap | kNanProp | kLanes,     Binary,  minimum,             minimum,             Default,        Tensors, "",                                               "")                                             \
  X(eq,          2, Any,         Bool,           kFuse | kCheap | kCompare,              BinaryS, eq,                  eq,                  AlwaysBool,     Numbers, "",                                               "__eq__")                                       \
  X(ne,          2, Any,         Bool,           kFuse | kCheap | kCompare,              BinaryS, ne,                  ne,                  AlwaysBool,     Numbers, "",                                               "__ne__ torch.not_equal")                       \
  X(lt,          2, Real,        Bool,           kFuse | kCheap | kCompare,              BinaryS, lt,                  lt,                  AlwaysBool,     Numbers, "",                                               "__lt__ torch.less")                            \
  X(le,          2, Real,        Bool,           kFuse | kCheap | kCompare,              BinaryS, le,                  le,                  AlwaysBool,     Numbers, "",                                               "__le__ torch.less_equal")                      \
  X(gt,          2, Real,        Bool,           kFuse | kCheap | kCompare,              BinaryS, gt,                  gt,                  AlwaysBool,     Numbers, "",                                               "__gt__ torch.greater")                         \
  X(ge,          2, Real,        Bool,           kFuse | kCheap | kCompare,              BinaryS, ge,                  ge,                  AlwaysBool,     Numbers, "",                                               "__ge__ torch.greater_equal")                   \
  X(logical_and, 2, Any,         Bool,           kFuse | kCheap | kLogic,                Binary,  logical_and,         logical_and,         AlwaysBool,     Tensors, "",                                               "")                                             \
  X(logical_or,  2, Any,         Bool,           kFuse | kCheap | kLogic,                Binary,  logical_or,          logical_or,          AlwaysBool,     Tensors, "",                                               "")                                             \
  X(logical_xor, 2, Any,         Bool,           kFuse | kCheap,                         Binary,  logical_xor,         logical_xor,         AlwaysBool,     Tensors, "",                                               "")                                             \
  X(bitwise_and, 2, IntOrBool,   Same,           kFuse | kCheap | kLogic,                BinaryS, bitwise_and,         bitwise_and,         NoOpmath,       Numbers, "",                                               "__and__ r:__rand__")                           \
  X(bitwise_or,  2, IntOrBool,   Same,           kFuse | kCheap | kLogic,                BinaryS, bitwise_or,          bitwise_or,          NoOpmath,       Numbers, "",                                               "__or__ r:__ror__")                             \
  X(bitwise_xor, 2, IntOrBool,   Same,           kFuse | kCheap,                         BinaryS, bitwise_xor,         bitwise_xor,         NoOpmath,       Numbers, "",                                               "__xor__ r:__rxor__")                           \
  X(shift_left,  2, Int,         Same,           0,                                      Binary,  bitwise_left_shift,  bitwise_left_shift,  NoOpmath,       Numbers, "",                                               "__lshift__")                                   \
  X(shift_right, 2, Int,         Same,           0,                                      Binary,  bitwise_right_shift, bitwise_right_shift, NoOpmath,       Numbers, "",                                               "__rshift__")                                   \
  X(atan2,       2, FloatReal,   Same,           kFuse | kFloatCode,                     Binary,  atan2,               atan2,               IntToFloat,     Tensors, "",                                               "")                                             \
  X(copysign,    2, FloatReal,   Same,           kFuse | kFloatCode | kCheap,            Binary,  copysign,            copysign,            IntToFloat,     Numbers, "",                                               "")                                             \
  X(nextafter,   2, FloatReal,   Same,           0,                                      Binary,  nextafter,           nextafter,           NoOpmath,       Tensors, "",                                               "")                                             \
  /* ternary (where's first operand is the bool predicate) */                                                                                                                                                                                                          \
  X(lerp,        3, Float,       Same,           kFuse | kFloatCode | kCheap,            Custom,  lerp,                _,                   Default,        Numbers, "",                                               "")                                             \
  X(where,       3, Any,         Same,           kFuse | kCheap,                         Custom,  where,               _,                   Default,        Numbers, "",                                               "")
// clang-format on

// -- the other prims (their signatures and metas live in ops/prims/<family>.cpp) -------------------
// X(name)
// clang-format off
#define KERAUNOS_OTHER_PRIMS(X)                                                                                   \
  X(broadcast_in_dim) X(reshape) X(transpose) X(slice) X(squeeze) X(cat) X(pad) X(flip) X(shallow_copy)            \
  X(sum) X(prod) X(amax) X(amin) X(var) X(var_mean) X(argmax) X(argmin) X(cumsum) X(cumprod) X(topk) X(sort)       \
  X(full) X(iota) X(empty) X(uniform_philox) X(rng_seed_offset) X(convert_element_type) X(item) X(device_put)      \
  X(print) X(matmul) X(linear) X(embedding) X(embedding_backward) X(take) X(gather) X(take_along_axis) X(scatter) \
  X(scatter_add) X(index_add) X(index_copy) X(index_put)
// clang-format on

enum class PrimId : uint16_t {
#define KERAUNOS_ENUM_EW(name, ...) name,
#define KERAUNOS_ENUM(name) name,
  KERAUNOS_ELEMENTWISE_PRIMS(KERAUNOS_ENUM_EW) KERAUNOS_OTHER_PRIMS(KERAUNOS_ENUM)
#undef KERAUNOS_ENUM_EW
#undef KERAUNOS_ENUM
};

// Which dtypes an elementwise prim accepts.
enum class PrimIn : uint8_t { Any, NotBool, Real, RealNotBool, Float, FloatReal, IntOrBool, Int, Complex };
// An elementwise prim's output dtype.
enum class PrimOut : uint8_t { Same, Bool, ComplexToFloat };
// What the fuser knows about an elementwise prim.
enum PrimFlag : uint16_t {
  kFuse = 1u << 0,       // the fuser claims it
  kFloatCode = 1u << 1,  // generated code only for floating operands (integer division by zero is left to ATen)
  kLibm = 1u << 2,       // a libm function with a vector variant in glibc's libmvec
  kNanProp = 1u << 3,    // a NaN operand gives a NaN result (a row max needs no NaN flag through it)
  kCheap = 1u << 4,      // not worth keeping in a row buffer between loops (no transcendental call)
  kLanes = 1u << 5,      // has code on float vector lanes
  kCompare = 1u << 6,    // a comparison (on lanes when its operands are floats)
  kLogic = 1u << 7,      // a logical/bitwise op on masks (on lanes when its operands are bools)
};
// The shape of the ATen executor's kernel for an elementwise prim.
enum class AtenShape : uint8_t { Unary, Binary, BinaryS /* with a Scalar overload */, Custom };
// How a torch-level op promotes (Thunder's ELEMENTWISE_TYPE_PROMOTION_KIND), and whether it takes
// Python numbers as operands.
enum class Promotion { Default, IntToFloat, AlwaysBool, ComplexToFloat, BoolToLong, NoOpmath };
enum class TorchOperands : uint8_t { Tensors, Numbers };

struct ElementwiseInfo {
  PrimId id;
  std::string_view name;       // "abs"
  std::string_view qualified;  // "prims.abs"
  int arity;
  PrimIn in;
  PrimOut out;
  uint16_t fuser;
  AtenShape kernel;
  std::string_view torch;  // "torch.abs", or empty
  Promotion promotion;
  TorchOperands operands;
  std::string_view cpp;     // the fuser's C++ template, or empty
  std::string_view python;  // the torch-level op's Python facts

  constexpr bool has(PrimFlag f) const { return (fuser & f) != 0; }
};

inline constexpr ElementwiseInfo kElementwisePrims[] = {
#define KERAUNOS_INFO(name, arity, in, out, fuser, kernel, aten, torch, promotion, operands, cpp, python) \
  {PrimId::name,                                                                                          \
   #name,                                                                                                 \
   "prims." #name,                                                                                        \
   arity,                                                                                                 \
   PrimIn::in,                                                                                            \
   PrimOut::out,                                                                                          \
   static_cast<uint16_t>(fuser),                                                                          \
   AtenShape::kernel,                                                                                     \
   std::string_view(#torch) == "_" ? std::string_view() : std::string_view("torch." #torch),              \
   Promotion::promotion,                                                                                  \
   TorchOperands::operands,                                                                               \
   cpp,                                                                                                   \
   python},
    KERAUNOS_ELEMENTWISE_PRIMS(KERAUNOS_INFO)
#undef KERAUNOS_INFO
};
inline constexpr size_t kNumElementwisePrims = sizeof(kElementwisePrims) / sizeof(kElementwisePrims[0]);

inline constexpr std::string_view kPrimNames[] = {
#define KERAUNOS_NAME_EW(name, ...) #name,
#define KERAUNOS_NAME(name) #name,
    KERAUNOS_ELEMENTWISE_PRIMS(KERAUNOS_NAME_EW) KERAUNOS_OTHER_PRIMS(KERAUNOS_NAME)
#undef KERAUNOS_NAME_EW
#undef KERAUNOS_NAME
};
inline constexpr size_t kNumPrims = sizeof(kPrimNames) / sizeof(kPrimNames[0]);

// "abs" for PrimId::abs.
constexpr std::string_view prim_name(PrimId p) { return kPrimNames[static_cast<size_t>(p)]; }
constexpr bool is_elementwise(PrimId p) { return static_cast<size_t>(p) < kNumElementwisePrims; }
// The row of an elementwise prim (is_elementwise(p) must hold).
constexpr const ElementwiseInfo& elementwise_info(PrimId p) { return kElementwisePrims[static_cast<size_t>(p)]; }

}  // namespace keraunos::ops
