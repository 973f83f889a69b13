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
//     continue     send `100 Continue` (an interim response) before each 200
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
#include <utility>

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

struct Config {
  std::string bind_address = "127.0.0.1";
  std::string mode = "ok";
  long arg = -1;
};

// Returns false (after a message) for an unknown option.
bool parse_args(int argc, char** argv, Config& config) {
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    if (name == "--bind") config.bind_address = argv[i + 1];
    else if (name == "--mode") config.mode = argv[i + 1];
    else if (name == "--arg") config.arg = std::atol(argv[i + 1]);
    else {
      std::fprintf(stderr, "unknown option %s\n", argv[i]);
      return false;
    }
  }
  if (config.arg < 0) {
    const std::string& mode = config.mode;
    config.arg = mode == "reset" ? 5 : mode == "close-silent" ? 200 : mode == "stall" ? 300 : mode == "random" ? 256
               : mode == "long-header" ? 100000 : 0;
  }
  return true;
}

// A listening socket on `address`, port chosen by the kernel; prints `listening on ADDR:PORT`.
int open_listener(const std::string& address) {
  const bool v6 = address.find(':') != std::string::npos;
  const int listener = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listener < 0) die("socket");
  sockaddr_storage ss{};
  socklen_t len;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, address.c_str(), &a->sin6_addr) != 1) die("inet_pton");
    len = sizeof *a;
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    if (inet_pton(AF_INET, address.c_str(), &a->sin_addr) != 1) die("inet_pton");
    len = sizeof *a;
  }
  if (bind(listener, reinterpret_cast<sockaddr*>(&ss), len) < 0) die("bind");
  if (listen(listener, 4096) < 0) die("listen");
  if (getsockname(listener, reinterpret_cast<sockaddr*>(&ss), &len) < 0) die("getsockname");
  const unsigned port =
      ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  std::printf(v6 ? "listening on [%s]:%u\n" : "listening on %s:%u\n", address.c_str(), port);
  std::fflush(stdout);
  return listener;
}

// The canned answers of every mode.
struct Answers {
  std::string ok, chunked, status500, garbage, long_header, interim;
  explicit Answers(long arg) {
    const std::string body = "0123456789abcdef";
    ok = "HTTP/1.1 200 OK\r\nContent-Length: 16\r\nContent-Type: text/plain\r\n\r\n" + body;
    chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n6\r\n012345\r\na;x=y\r\n6789abcdef\r\n0\r\n\r\n";
    status500 = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 5\r\n\r\noops!";
    garbage = "this is not http\r\n\r\n";
    long_header = "HTTP/1.1 200 OK\r\nX-Long: " + std::string(static_cast<std::size_t>(arg), 'a') +
                  "\r\nContent-Length: 0\r\n\r\n";
    interim = "HTTP/1.1 100 Continue\r\n\r\n";
  }
};


class Server {
 public:
  explicit Server(Config config) : config_(std::move(config)), answers_(config_.arg) {}
  int run();

 private:
  void accept_all();
  void on_readable(int fd);
  void answer(Peer& p);
  void close_peer(int fd, bool reset);
  void after_events();
  const std::string& mode() const { return config_.mode; }

  Config config_;
  Answers answers_;
  int listener_ = -1, signal_fd_ = -1, epoll_fd_ = -1;
  std::minstd_rand random_{12345};  // fixed seed: a failing run can be repeated
  std::unordered_map<int, Peer> peers_;
  std::set<std::string> peer_addresses_;
  long requests_ = 0, accepted_ = 0, closed_ = 0;
  long long first_request_ms_ = 0;
  bool stalled_ = false;
};

void Server::close_peer(int fd, bool reset) {
  if (reset) {
    linger lg{1, 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  close(fd);
  peers_.erase(fd);
  ++closed_;
}

void Server::accept_all() {
  for (;;) {
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    const int c = accept4(listener_, reinterpret_cast<sockaddr*>(&peer), &peer_len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (c < 0) return;
    ++accepted_;
    char host[INET6_ADDRSTRLEN] = "";
    if (peer.ss_family == AF_INET) inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&peer)->sin_addr, host, sizeof host);
    else inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&peer)->sin6_addr, host, sizeof host);
    peer_addresses_.insert(host);
    if (mode() == "close") {
      close(c);
      ++closed_;
      continue;
    }
    peers_[c].opened_ms = now_ms();
    epoll_event cev{};
    cev.events = EPOLLIN;
    cev.data.fd = c;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, c, &cev);
  }
}

// Appends the answer to one request to p.output.
void Server::answer(Peer& p) {
  if (mode() == "chunked") p.output += answers_.chunked;
  else if (mode() == "garbage") p.output += answers_.garbage;
  else if (mode() == "status500") p.output += answers_.status500;
  else if (mode() == "long-header") p.output += answers_.long_header;
  else if (mode() == "continue") p.output += answers_.interim + answers_.ok;
  else if (mode() == "random") {
    for (long k = 0; k < config_.arg; ++k) p.output += static_cast<char>(random_() & 0xff);
  }
  else p.output += answers_.ok;
}

void Server::on_readable(int fd) {
  auto it = peers_.find(fd);
  if (it == peers_.end()) return;
  Peer& p = it->second;
  char buf[65536];
  const ssize_t got = read(fd, buf, sizeof buf);
  if (got <= 0) {
    if (got < 0 && errno == EAGAIN) return;
    return close_peer(fd, false);
  }
  p.spoke = true;
  p.input.append(buf, static_cast<std::size_t>(got));
  for (std::size_t end; (end = p.input.find("\r\n\r\n")) != std::string::npos;) {
    p.input.erase(0, end + 4);
    ++requests_;
    ++p.requests;
    if (first_request_ms_ == 0) first_request_ms_ = now_ms();
    answer(p);
    if (mode() == "reset" && p.requests >= config_.arg) return close_peer(fd, true);
  }
  // Loopback sockets take these small answers whole; a test server can block here.
  for (std::size_t sent = 0; sent < p.output.size();) {
    const ssize_t w = send(fd, p.output.data() + sent, p.output.size() - sent, MSG_NOSIGNAL);
    if (w > 0) sent += static_cast<std::size_t>(w);
    else if (errno != EAGAIN && errno != EINTR) break;
  }
  p.output.clear();
}

// The timed misbehaviours: closing silent connections, the one stall.
void Server::after_events() {
  if (mode() == "close-silent") {
    const long long now = now_ms();
    for (auto it = peers_.begin(); it != peers_.end();) {
      const int fd = it->first;
      const bool expired = !it->second.spoke && now - it->second.opened_ms >= config_.arg;
      ++it;
      if (expired) close_peer(fd, false);
    }
  }
  if (mode() == "stall" && !stalled_ && first_request_ms_ != 0 && now_ms() - first_request_ms_ >= config_.arg) {
    stalled_ = true;
    const timespec pause{0, 300'000'000};
    nanosleep(&pause, nullptr);
  }
}

int Server::run() {
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  listener_ = open_listener(config_.bind_address);

  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  signal_fd_ = signalfd(-1, &signals, SFD_CLOEXEC);
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  for (int fd : {listener_, signal_fd_}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev);
  }
  epoll_event events[256];
  for (bool stop = false; !stop;) {
    const int n = epoll_wait(epoll_fd_, events, 256, mode() == "close-silent" ? 20 : -1);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == signal_fd_) stop = true;
      else if (fd == listener_) accept_all();
      else on_readable(fd);
    }
    if (!stop) after_events();
  }
  for (auto& [fd, p] : peers_) close(fd);
  std::printf("{\"requests\": %ld, \"accepted\": %ld, \"closed\": %ld, \"peers\": %zu}\n", requests_, accepted_, closed_,
              peer_addresses_.size());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Config config;
  if (!parse_args(argc, argv, config)) return 2;
  return Server(std::move(config)).run();
}
