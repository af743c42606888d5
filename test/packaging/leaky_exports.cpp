// A library that exports what libdiatomic must not, so that the export check
// proves it rejects exactly these (test/packaging/meson.build). Tests only.
#include <diatomic/export.hpp>

namespace diatomic {
// Accepted: a function, and a class's vtable and typeinfo, all in diatomic.
DIATOMIC_EXPORT int accepted() { return 1; }
struct DIATOMIC_EXPORT Accepted {
  virtual ~Accepted();
};
Accepted::~Accepted() = default;
}  // namespace diatomic

// Rejected: a C symbol, another namespace, and a namespace that only starts
// with "diatomic".
extern "C" DIATOMIC_EXPORT int leaked_c_symbol() { return 2; }
namespace other {
DIATOMIC_EXPORT int leaked() { return 3; }
}  // namespace other
namespace diatomic_extra {
DIATOMIC_EXPORT int leaked() { return 4; }
}  // namespace diatomic_extra
