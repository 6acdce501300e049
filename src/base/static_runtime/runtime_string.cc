// std::string's out-of-line members for the static musl build (see
// runtime.cc): a member of its own, since they allocate.
#include <string>

namespace std {
// libstdc++ declares std::string's members `extern template` and ships their
// code in the shared library; instantiate them here instead (unused ones are
// dropped by --gc-sections).
template class __cxx11::basic_string<char>;
}  // namespace std
