// The text form of traces: Python-like, one bound symbol per line, decompositions as indented
// comments. parser.h reads exactly this text back.
#pragma once

#include <string>
#include <vector>

#include "ir/trace.h"

namespace keraunos {

struct PrintOptions {
  int subsymbol_depth = -1;  // how many levels of decomposition to print; -1: all
};

std::string print_trace(const Trace& t, const PrintOptions& opts = {});
// Also reports the 1-based line each top-level bound symbol is printed on.
std::string print_trace(const Trace& t, const PrintOptions& opts, std::vector<int>* bsym_lines);
// One bound symbol (and its subsymbols), without trailing newline, at the given indent.
std::string print_bsym(const Trace& t, const BoundSymbol& b, int depth = 0, int max_depth = 0);
std::string print_value(const Trace& t, const Value& v);
std::string print_type(const Trace& t, const ProxyType& ty);  // cpu f32[s0, 4] / int
std::string print_float(double f);
std::string quote_string(const std::string& s);
// For error messages: "tensor cpu f32[2, 3]", "int 3", "str \"x\"".
std::string describe_value(const Trace& t, const Value& v);
// A symbol's signature: "torch.sum(a: tensor, dim: tuple of ints or None = None, keepdim: bool = False, *, dtype: dtype or None = None)".
std::string signature(const Symbol& sym);

}  // namespace keraunos
