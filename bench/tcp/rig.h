// tcp_bench's test rig: a Server on one backend plus the loadgen processes that hold its
// connections open.
//
// tcp_bench tears the rig down after every benchmark call, so each repetition of a point runs
// on a fresh server (a new listener and poller) with fresh loadgen processes, and the spread
// between repetitions includes everything that differs between runs. The idle crowd lives in
// its own loadgen process (`--active 0`), opened first; the active connections get another,
// stopped at the end of the call: its JSON report then covers exactly that call (warm-up and
// timed turns), which gives the client-side request latency of the very run Google Benchmark
// reports.
#pragma once

#include <memory>
#include <string>

#include "loadgen_process.h"
#include "server.h"

namespace pollbench {

struct RigPlan {
  std::string backend;
  std::size_t idle = 0;
  std::size_t active = 0;
  std::string loadgen;  // path of the loadgen binary
  int loadgen_cpu = -1;
};

// What the active loadgen said when it was stopped.
struct LoadgenReport {
  std::string json;    // its stdout: one JSON object
  std::string ended;   // "exit 0", "signal 9", ...
  std::string stderr_tail;
};

class Rig {
 public:
  // Makes sure the server and the idle connections for `plan` are up (reusing the current
  // ones if the last call left them up for the same plan), then opens `plan.active` fresh
  // active connections and warms them up.
  // Returns an empty string when every connection is open, else why not (the rig is torn down).
  static std::string prepare(const RigPlan& plan);
  // The rig prepare() set up last (null when none is up).
  static Rig* current();
  // Stops every loadgen (serving them until they leave) and closes everything.
  static void tear_down();

  Server& server() { return *server_; }
  LoadgenProcess& active_loadgen() { return *active_; }
  // Stops the active loadgen, answering its last requests, and waits until the server has seen
  // its connections close. The idle ones stay.
  LoadgenReport finish_active();
  // Seconds it took to open this call's connections (the idle ones may be older).
  double connect_s() const { return idle_connect_s_ + active_connect_s_; }

 private:
  Rig() = default;
  std::string open_idle();
  std::string open_active();
  // Serves turns until `open` connections are open or the deadline passes.
  std::string wait_for_open(std::size_t open, LoadgenProcess& loadgen, const char* which);
  LoadgenReport stop(std::unique_ptr<LoadgenProcess>& loadgen, std::size_t remaining);

  RigPlan plan_;
  std::unique_ptr<Server> server_;
  std::unique_ptr<LoadgenProcess> idle_;
  std::unique_ptr<LoadgenProcess> active_;
  double idle_connect_s_ = 0;
  double active_connect_s_ = 0;
};

// Source addresses for `connections` from one loadgen. The kernel's ephemeral-port search
// slows down as one source address fills up (opening 19,600 connections from 127.0.0.1 alone
// took 6.4 s here, from four addresses 0.8 s), so use one address per 5,000 connections.
unsigned sources_for(std::size_t connections);

// Readers of loadgen's report (nlohmann-json). `object` names a member of the top-level object.
// A number in that object: number_in(json, "latency_ns", "p99"); an empty `object` looks at the
// top level. NaN when the text is not JSON or the number is absent (or null).
double number_in(const std::string& json, const std::string& object, const std::string& key);
// The sum of the numbers in the object `object` (loadgen's "errors"); NaN when absent.
double sum_of(const std::string& json, const std::string& object);
// The object `object` as compact JSON text; empty when absent.
std::string object_text(const std::string& json, const std::string& object);

}  // namespace pollbench
