// Entry points of the pybind11 module, one per domain.
#pragma once

#include <pybind11/pybind11.h>

#include <functional>
#include <initializer_list>
#include <utility>

#include "ir/trace.h"

namespace keraunos::python {

void bind_trace(pybind11::module_& m);
Trace trace_of_builder(pybind11::handle h);
// `trace_of` returns a copy of the trace held by a TraceBuilder object.
void bind_runtime(pybind11::module_& m, std::function<Trace(pybind11::handle)> trace_of);
void bind_function(pybind11::module_& m);

// A dict from named fields: a statistics struct as Python sees it.
inline pybind11::dict fields(std::initializer_list<std::pair<const char*, pybind11::object>> kv) {
  pybind11::dict d;
  for (const auto& [k, v] : kv) d[k] = v;
  return d;
}

}  // namespace keraunos::python
