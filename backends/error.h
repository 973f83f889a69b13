// The one way pollbench reports a failed system call: std::system_error carrying errno and
// what was being done ("epoll_ctl ADD fd=17"), so a message names the call and its argument.
// Every layer (backends, bench, tests) throws through these instead of writing its own.
#pragma once

#include <string>

namespace pollbench {

// Throws std::system_error(err, what).
[[noreturn]] void throw_errno(int err, const std::string& what);
// Throws std::system_error(errno, what): call it right after the failing call.
[[noreturn]] void throw_errno(const std::string& what);
// For liburing and other APIs that return -errno: throws std::system_error(-negative_errno, what).
[[noreturn]] void throw_negative_errno(int negative_errno, const std::string& what);

}  // namespace pollbench
