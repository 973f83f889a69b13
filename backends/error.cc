#include "error.h"

#include <cerrno>
#include <system_error>

namespace pollbench {

void throw_errno(int err, const std::string& what) {
  throw std::system_error(err, std::generic_category(), what);
}

void throw_errno(const std::string& what) { throw_errno(errno, what); }

void throw_negative_errno(int negative_errno, const std::string& what) { throw_errno(-negative_errno, what); }

}  // namespace pollbench
