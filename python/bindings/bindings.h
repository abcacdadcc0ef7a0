// Entry points of the pybind11 module, one per domain.
#pragma once

#include <pybind11/pybind11.h>

#include <functional>

#include "ir/trace.h"

namespace keraunos::python {

void bind_trace(pybind11::module_& m);
Trace trace_of_builder(pybind11::handle h);
// `trace_of` returns a copy of the trace held by a TraceBuilder object.
void bind_runtime(pybind11::module_& m, std::function<Trace(pybind11::handle)> trace_of);
void bind_function(pybind11::module_& m);

}  // namespace keraunos::python
