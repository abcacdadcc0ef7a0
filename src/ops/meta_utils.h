// Helpers shared by meta functions: shape printing, dim canonicalization, broadcasting and the
// checks every op makes, with errors that name the op, the shapes and dtypes, and what was expected.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ir/symbol.h"
#include "ir/trace.h"
#include "ops/prim_table.h"
#include "support/error.h"

namespace keraunos::ops {

std::string shape_str(const Trace& t, const Shape& s);       // [s0, 4]
std::string type_str(const Trace& t, const TensorType& tt);  // cpu f32[s0, 4]

// Wraps a possibly negative dim into [0, rank); throws "op: dim d out of range for a tensor of rank r".
int64_t canonical_dim(std::string_view op, int64_t dim, int64_t rank);
std::vector<int64_t> canonical_dims(std::string_view op, const std::vector<int64_t>& dims, int64_t rank);

// Two dims are known equal (same constant or same symbol).
bool same_dim(const Dim& a, const Dim& b);
bool same_shape(const Shape& a, const Shape& b);
// Number of elements when every dim is constant.
std::optional<int64_t> static_numel(const Shape& s);

// torch-style broadcasting of several shapes; throws naming the op and the shapes.
Shape broadcast_shapes(const Trace& t, std::string_view op, const std::vector<Shape>& shapes);

// Reads an int argument that may be a literal or a (known) number proxy as a Dim.
Dim dim_from_value(const Trace& t, const Value& v);
std::vector<Dim> dims_from_value(const Trace& t, const Value& v);

// Parameters, briefly: P("a", ParamKind::Tensor), P("dim", ParamKind::Int, Value::integer(0)).
Param P(std::string name, ParamKind kind);
Param P(std::string name, ParamKind kind, Value default_value, bool kw_only = false);
Param KW(std::string name, ParamKind kind, Value default_value);

inline std::vector<ProxyType> one(TensorType t) { return {ProxyType::of(std::move(t))}; }

// Symbols, briefly: a prim with its meta, or a composite with its decomposition.
Symbol make_prim(PrimId id, std::vector<Param> params, MetaFn meta, uint32_t tags);

// Composites of one op family, tagged with the family's default tags unless a call gives its own:
//   constexpr Composites composite{kTagShape};  // once, at the top of the family's file
//   table.add(composite("torch.flip", params, decomposition));
//   table.add(composite("torch.Tensor.view", params, decomposition, kTagShape | kTagView));
struct Composites {
  uint32_t tags = kTagNone;
  Symbol operator()(std::string id, std::vector<Param> params, DecompFn decomp) const;
  Symbol operator()(std::string id, std::vector<Param> params, DecompFn decomp, uint32_t own_tags) const;
};

// Sets a torch-level op's Python facts from their short form, words separated by spaces:
//   torch.nn.functional.softmax torch.Tensor.softmax   other Python callables that mean the op
//   __add__ r:__radd__ i:__iadd__                      operators (r: operands reversed, i: in place)
//   view                                               eager returns a view of the first input
//   varargs=1                                          sizes may come as varargs from argument 1
//   returns=max                                        torch.return_types.max
//   autocast=lower | autocast=fp32 | autocast_cpu=fp32 | autocast_cuda=fp32
// e.g. table.add(python_facts(composite(...), "torch.Tensor.softmax autocast_cuda=fp32")).
Symbol python_facts(Symbol s, std::string_view facts);

}  // namespace keraunos::ops
