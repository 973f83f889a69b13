#include "test_util.h"

#include <unistd.h>

#include <cerrno>
#include <sstream>
#include <system_error>
#include <vector>

namespace pollbench::conformance {

void collect(const Events& events, Reports& reports) {
  std::set<int> in_this_wait;
  for (const Event& e : events) {
    Report& r = reports[e.fd];
    r.tokens.insert(e.token);
    r.ready |= e.ready;
    ++r.events;
    if (in_this_wait.insert(e.fd).second) ++r.waits;
  }
}

Reports wait_until(Poller& poller, Events& events, const std::function<bool(const Reports&)>& done,
                   int max_waits, std::chrono::nanoseconds per_wait) {
  Reports reports;
  for (int i = 0; i < max_waits && !done(reports); ++i) {
    poller.wait(events, per_wait);
    collect(events, reports);
  }
  return reports;
}

bool reported(const Reports& reports, int fd, std::uint8_t bits) {
  auto it = reports.find(fd);
  return it != reports.end() && (it->second.ready & bits) == bits;
}

Reports wait_for(Poller& poller, Events& events, int fd, std::uint8_t bits) {
  return wait_until(poller, events, [&](const Reports& r) { return reported(r, fd, bits); });
}

Reports wait_once(Poller& poller, Events& events, std::chrono::nanoseconds timeout) {
  Reports reports;
  poller.wait(events, timeout);
  collect(events, reports);
  return reports;
}

Reports wait_quietly(Poller& poller, Events& events) {
  return wait_until(poller, events, [](const Reports&) { return false; }, kQuietWaits, kQuietWait);
}

std::string describe_ready(std::uint8_t ready) {
  std::string out;
  const std::pair<std::uint8_t, const char*> names[] = {
      {kReadable, "readable"}, {kWritable, "writable"}, {kHangup, "hangup"}, {kError, "error"}};
  for (const auto& [bit, name] : names) {
    if ((ready & bit) == 0) continue;
    if (!out.empty()) out += '|';
    out += name;
  }
  return out.empty() ? "nothing" : out;
}

std::string describe(const Reports& reports) {
  if (reports.empty()) return "nothing reported";
  std::ostringstream out;
  std::size_t shown = 0;
  for (const auto& [fd, r] : reports) {
    if (++shown > 20) {
      out << "... (" << reports.size() << " fds in all)";
      break;
    }
    out << "fd " << fd << " {token";
    for (Token t : r.tokens) out << ' ' << t;
    out << ", " << describe_ready(r.ready) << ", " << r.events << " events in " << r.waits << " waits}; ";
  }
  return out.str();
}

std::size_t fill(int fd) {
  static const std::vector<char> chunk(64 * 1024, 'x');
  std::size_t total = 0;
  for (;;) {
    ssize_t n = ::write(fd, chunk.data(), chunk.size());
    if (n > 0) {
      total += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) return total;
    if (errno != EINTR) throw std::system_error(errno, std::generic_category(), "fill: write");
  }
}

const std::string* unavailable_reason(const std::string& backend) {
  for (const BackendInfo& info : backends()) {
    if (info.name == backend) return info.available ? nullptr : &info.reason;
  }
  return nullptr;  // unknown: make_poller will say so
}

void PollerTest::SetUp() {
  raise_fd_limit();
  if (const std::string* reason = unavailable_reason(backend())) GTEST_SKIP() << backend() << ": " << *reason;
  poller = make_poller(backend());
}

void PairTest::SetUp() {
  raise_fd_limit();
  if (const std::string* reason = unavailable_reason(backend())) GTEST_SKIP() << backend() << ": " << *reason;
  poller = make_poller(backend());
  pair = make_pair(kind());
}

}  // namespace pollbench::conformance
