// The keraunos._C module: error translation and the domain bindings.
#include "bindings.h"
#include "ir/parser.h"
#include "support/error.h"

namespace py = pybind11;

PYBIND11_MODULE(_C, m) {
  m.doc() = "keraunos C++ core";
  static py::exception<keraunos::Error> error(m, "KeraunosError", PyExc_RuntimeError);
  static py::exception<keraunos::ParseError> parse_error(m, "ParseError", error.ptr());
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const keraunos::ParseError& e) {
      py::set_error(parse_error, e.what());
    } catch (const keraunos::TypeError& e) {
      py::set_error(PyExc_TypeError, e.what());
    } catch (const keraunos::Error& e) {
      py::set_error(error, e.what());
    }
  });
  keraunos::python::bind_trace(m);
#ifdef KERAUNOS_PYTHON_RUNTIME
  keraunos::python::bind_runtime(m, keraunos::python::trace_of_builder);
  keraunos::python::bind_function(m);
#endif
}
