// An incremental HTTP/1.1 response parser: bytes go in as they arrive, split anywhere, several
// pipelined responses in one read; it reports each complete final response (interim 1xx
// responses other than 101 are skipped, as a client must). The body is counted,
// never copied. The only memory it keeps is one partial header line, so a connection's parser
// allocates once (reserve) and never again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace pollbench::loadgen {

class ResponseParser {
 public:
  // A header line (status line and chunk-size lines included) longer than this, counting its
  // CR but not its LF, is a bad response, however the reads split it.
  static constexpr std::size_t kMaxLine = 8192;

  enum class Result {
    need_more,  // every byte given was consumed; the response is not complete yet
    complete,   // a whole response ended at `consumed`; the parser is ready for the next one
    error,      // not HTTP/1.x, or not a response that can be kept alive; see error()
  };

  ResponseParser();

  // Parses from data[0, size). Sets *consumed to the bytes used: all of them for need_more,
  // up to the end of the response for complete.
  Result parse(const char* data, std::size_t size, std::size_t* consumed);

  // About the response parse() just completed.
  int status() const { return status_; }
  bool closes() const { return closes_; }  // it said Connection: close
  // Why parse() returned error.
  const std::string& error() const { return error_; }

  // Forget any partial response (the connection was reopened).
  void reset();

 private:
  enum class State { status_line, header_line, body, chunk_size, chunk_data, chunk_end, trailer };

  // Handles one complete line (without CR LF). Returns false on a bad line.
  bool on_line(std::string_view line, bool* response_done);
  bool on_status_line(std::string_view line);
  bool on_header(std::string_view line);
  bool on_headers_end(bool* response_done);
  bool on_chunk_size(std::string_view line);
  bool fail(std::string message);
  void start_next();

  State state_ = State::status_line;
  std::string line_;               // a line split across reads
  std::uint64_t remaining_ = 0;    // body or chunk bytes still to come
  int status_ = 0;
  bool chunked_ = false;
  bool has_length_ = false;
  bool closes_ = false;
  std::string error_;
};

}  // namespace pollbench::loadgen
