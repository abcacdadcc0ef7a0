// Entry points of the pybind11 module, one per domain.
#pragma once

#include <pybind11/pybind11.h>

namespace keraunos::python {

void bind_trace(pybind11::module_& m);

}  // namespace keraunos::python
