// A tiny HTTP/1.1 server for loadgen's tests: single-threaded epoll, and able to misbehave on
// purpose, so the tests can check that loadgen counts every kind of error without dying.
//
//   loadgen_test_server [--bind ADDR] [--mode MODE] [--arg N]
//     ok           200 with a 16-byte body (Content-Length)
//     chunked      200 with the body in two chunks
//     reset        reset each connection (RST) after N requests (default 5)
//     garbage      answer every request with bytes that are not HTTP
//     status500    500 with a Content-Length body
//     close-silent close connections that sent nothing for N ms (default 200)
//     stall        once, N ms after the first request, block the loop for 300 ms
//     random       answer every request with N random bytes (default 256; any byte value)
//     long-header  200 whose answer carries one header line of N bytes (default 100000)
//     close        close every connection as soon as it is accepted
// First stdout line: `listening on ADDR:PORT`. On SIGTERM/SIGINT it prints
// {"requests": R, "accepted": A, "closed": C, "peers": P} (P: distinct peer addresses).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <unordered_map>

namespace {

struct Peer {
  std::string input;
  std::string output;
  long requests = 0;
  long long opened_ms = 0;
  bool spoke = false;
};

long long now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1'000'000;
}

void die(const char* what) {
  std::perror(what);
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  std::string bind_address = "127.0.0.1", mode = "ok";
  long arg = -1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    if (name == "--bind") bind_address = argv[i + 1];
    else if (name == "--mode") mode = argv[i + 1];
    else if (name == "--arg") arg = std::atol(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (arg < 0) {
    arg = mode == "reset" ? 5 : mode == "close-silent" ? 200 : mode == "stall" ? 300 : mode == "random" ? 256
        : mode == "long-header" ? 100000 : 0;
  }

  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);

  const bool v6 = bind_address.find(':') != std::string::npos;
  const int listener = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listener < 0) die("socket");
  sockaddr_storage ss{};
  socklen_t len;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, bind_address.c_str(), &a->sin6_addr) != 1) die("inet_pton");
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    if (inet_pton(AF_INET, bind_address.c_str(), &a->sin_addr) != 1) die("inet_pton");
    len = sizeof *a;
  }
  if (bind(listener, reinterpret_cast<sockaddr*>(&ss), len) < 0) die("bind");
  if (listen(listener, 4096) < 0) die("listen");
  if (getsockname(listener, reinterpret_cast<sockaddr*>(&ss), &len) < 0) die("getsockname");
  const unsigned port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  std::printf(v6 ? "listening on [%s]:%u\n" : "listening on %s:%u\n", bind_address.c_str(), port);
  std::fflush(stdout);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  const int signal_fd = signalfd(-1, &signals, SFD_CLOEXEC);

  const int ep = epoll_create1(EPOLL_CLOEXEC);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = listener;
  epoll_ctl(ep, EPOLL_CTL_ADD, listener, &ev);
  ev.data.fd = signal_fd;
  epoll_ctl(ep, EPOLL_CTL_ADD, signal_fd, &ev);

  const std::string body = "0123456789abcdef";
  const std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 16\r\nContent-Type: text/plain\r\n\r\n" + body;
  const std::string chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\na;x=y\r\n6789abcdef\r\n0\r\n\r\n";
  const std::string status500 = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\noops!";
  const std::string garbage = "this is not http\r\n\r\n";
  const std::string long_header = "HTTP/1.1 200 OK\r\nX-Long: " + std::string(static_cast<std::size_t>(arg), 'a') +
                                  "\r\nContent-Length: 0\r\n\r\n";
  std::minstd_rand random(12345);  // fixed seed: a failing run can be repeated

  std::unordered_map<int, Peer> peers;
  std::set<std::string> peer_addresses;
  long requests = 0, accepted = 0, closed = 0;
  long long first_request_ms = 0;
  bool stalled = false;

  auto close_peer = [&](int fd, bool reset) {
    if (reset) {
      linger lg{1, 0};
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    }
    close(fd);
    peers.erase(fd);
    ++closed;
  };

  epoll_event events[256];
  for (;;) {
    const int n = epoll_wait(ep, events, 256, mode == "close-silent" ? 20 : -1);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    bool stop = false;
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == signal_fd) {
        stop = true;
      } else if (fd == listener) {
        for (;;) {
          sockaddr_storage peer{};
          socklen_t peer_len = sizeof peer;
          const int c = accept4(listener, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (c < 0) break;
          ++accepted;
          char host[INET6_ADDRSTRLEN] = "";
          if (peer.ss_family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&peer)->sin_addr, host, sizeof host);
          else inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr, host, sizeof host);
          peer_addresses.insert(host);
          if (mode == "close") {
            close(c);
            ++closed;
            continue;
          }
          peers[c].opened_ms = now_ms();
          epoll_event cev{};
          cev.events = EPOLLIN;
          cev.data.fd = c;
          epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
        }
      } else {
        auto it = peers.find(fd);
        if (it == peers.end()) continue;
        Peer& p = it->second;
        char buf[65536];
        const ssize_t got = read(fd, buf, sizeof buf);
        if (got <= 0) {
          if (got < 0 && errno == EAGAIN) continue;
          close_peer(fd, false);
          continue;
        }
        p.spoke = true;
        p.input.append(buf, static_cast<std::size_t>(got));
        bool reset = false;
        for (std::size_t end; (end = p.input.find("\r\n\r\n")) != std::string::npos;) {
          p.input.erase(0, end + 4);
          ++requests;
          ++p.requests;
          if (first_request_ms == 0) first_request_ms = now_ms();
          if (mode == "chunked") p.output += chunked;
          else if (mode == "garbage") p.output += garbage;
          else if (mode == "status500") p.output += status500;
          else if (mode == "long-header") p.output += long_header;
          else if (mode == "random") {
            for (long k = 0; k < arg; ++k) p.output += static_cast<char>(random() & 0xff);
          }
          else p.output += ok;
          if (mode == "reset" && p.requests >= arg) {
            reset = true;
            break;
          }
        }
        if (reset) {
          close_peer(fd, true);
          continue;
        }
        // Loopback sockets take these small answers whole; a test server can block here.
        for (std::size_t sent = 0; sent < p.output.size();) {
          const ssize_t w = send(fd, p.output.data() + sent, p.output.size() - sent, MSG_NOSIGNAL);
          if (w > 0) sent += static_cast<std::size_t>(w);
          else if (errno != EAGAIN && errno != EINTR) break;
        }
        p.output.clear();
      }
    }
    if (stop) break;
    if (mode == "close-silent") {
      const long long now = now_ms();
      for (auto it = peers.begin(); it != peers.end();) {
        const int fd = it->first;
        const bool expired = !it->second.spoke && now - it->second.opened_ms >= arg;
        ++it;
        if (expired) close_peer(fd, false);
      }
    }
    if (mode == "stall" && !stalled && first_request_ms != 0 && now_ms() - first_request_ms >= arg) {
      stalled = true;
      const timespec pause{0, 300'000'000};
      nanosleep(&pause, nullptr);
    }
  }
  for (auto& [fd, p] : peers) close(fd);
  std::printf("{\"requests\": %ld, \"accepted\": %ld, \"closed\": %ld, \"peers\": %zu}\n", requests, accepted, closed,
              peer_addresses.size());
  return 0;
}
