#include "http_response.h"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace pollbench::loadgen {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Does a comma-separated header value hold `token` (case-insensitive)?
bool has_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    std::string_view item = value.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

ResponseParser::ResponseParser() { line_.reserve(256); }

void ResponseParser::reset() {
  start_next();
  error_.clear();
}

void ResponseParser::start_next() {
  state_ = State::status_line;
  line_.clear();
  remaining_ = 0;
  chunked_ = false;
  has_length_ = false;
  // status_ and closes_ stay readable until the next response's status line.
}

bool ResponseParser::fail(std::string message) {
  error_ = std::move(message);
  return false;
}

ResponseParser::Result ResponseParser::parse(const char* data, std::size_t size, std::size_t* consumed) {
  std::size_t pos = 0;
  while (pos < size) {
    if (state_ == State::body || state_ == State::chunk_data) {
      const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, size - pos));
      pos += take;
      remaining_ -= take;
      if (remaining_ > 0) break;  // the data ran out
      if (state_ == State::chunk_data) {
        state_ = State::chunk_end;
        continue;
      }
      start_next();
      *consumed = pos;
      return Result::complete;
    }
    // Every other state reads lines.
    const char* start = data + pos;
    const auto* newline = static_cast<const char*>(std::memchr(start, '\n', size - pos));
    if (newline == nullptr) {
      if (line_.size() + (size - pos) > kMaxLine) {
        fail("a header line is longer than " + std::to_string(kMaxLine) + " bytes");
        *consumed = size;
        return Result::error;
      }
      line_.append(start, size - pos);
      pos = size;
      break;
    }
    std::string_view line(start, static_cast<std::size_t>(newline - start));
    pos = static_cast<std::size_t>(newline - data) + 1;
    // The same limit whether the line came in one read or several.
    if (line_.size() + line.size() > kMaxLine) {
      fail("a header line is longer than " + std::to_string(kMaxLine) + " bytes");
      *consumed = pos;
      return Result::error;
    }
    if (!line_.empty()) {
      line_.append(line);
      line = line_;
    }
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    bool done = false;
    const bool ok = on_line(line, &done);
    line_.clear();
    if (!ok) {
      *consumed = pos;
      return Result::error;
    }
    if (done) {
      start_next();
      *consumed = pos;
      return Result::complete;
    }
  }
  *consumed = size;
  return Result::need_more;
}

bool ResponseParser::on_line(std::string_view line, bool* response_done) {
  switch (state_) {
    case State::status_line:
      if (!on_status_line(line)) return false;
      state_ = State::header_line;
      return true;
    case State::header_line:
      if (line.empty()) return on_headers_end(response_done);
      return on_header(line);
    case State::chunk_size:
      return on_chunk_size(line);
    case State::chunk_end:
      if (!line.empty()) return fail("chunk data is not followed by CR LF");
      state_ = State::chunk_size;
      return true;
    case State::trailer:
      if (line.empty()) *response_done = true;
      return true;
    case State::body:
    case State::chunk_data:
      break;
  }
  return fail("internal: a line in a body state");
}

bool ResponseParser::on_status_line(std::string_view line) {
  // "HTTP/1.1 200 OK": version, space, three digits, then (optionally) a space and a reason.
  status_ = 0;
  closes_ = false;
  if (line.size() < 12 || line.substr(0, 7) != "HTTP/1." || line[7] < '0' || line[7] > '9' || line[8] != ' ' ||
      (line.size() > 12 && line[12] != ' ')) {
    return fail("bad status line '" + std::string(line.substr(0, 64)) + "'");
  }
  int code = 0;
  for (std::size_t i = 9; i < 12; ++i) {
    if (line[i] < '0' || line[i] > '9') return fail("bad status code in '" + std::string(line.substr(0, 64)) + "'");
    code = code * 10 + (line[i] - '0');
  }
  if (code < 100) return fail("bad status code " + std::to_string(code));
  status_ = code;
  // HTTP/1.0 closes unless it says keep-alive; loadgen sends 1.1, so a 1.0 answer is a close.
  closes_ = line[7] == '0';
  return true;
}

bool ResponseParser::on_header(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    return fail("bad header line '" + std::string(line.substr(0, 64)) + "'");
  }
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = trim(line.substr(colon + 1));
  if (iequals(name, "content-length")) {
    std::uint64_t length = 0;
    const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), length);
    if (value.empty() || ec != std::errc() || end != value.data() + value.size()) {
      return fail("bad Content-Length '" + std::string(value.substr(0, 32)) + "'");
    }
    if (has_length_ && length != remaining_) return fail("two different Content-Length headers");
    has_length_ = true;
    remaining_ = length;
  } else if (iequals(name, "transfer-encoding")) {
    chunked_ = has_token(value, "chunked");
  } else if (iequals(name, "connection")) {
    if (has_token(value, "close")) closes_ = true;
    if (has_token(value, "keep-alive")) closes_ = false;
  }
  return true;
}

bool ResponseParser::on_headers_end(bool* response_done) {
  // An interim response (100 Continue, 103 Early Hints) comes before the final one to the
  // same request and has no body (RFC 9110 15.2): skip it and read on. 101 Switching
  // Protocols is final; loadgen does not switch, so it counts as a status that is not 2xx.
  if (status_ >= 100 && status_ < 200 && status_ != 101) {
    start_next();
    return true;
  }
  if (chunked_) {  // chunked wins over Content-Length (RFC 9112 6.3)
    state_ = State::chunk_size;
    return true;
  }
  // 101, 204 and 304 never have a body.
  if (status_ == 101 || status_ == 204 || status_ == 304) {
    *response_done = true;
    return true;
  }
  if (!has_length_) {
    return fail("response " + std::to_string(status_) +
                " has neither Content-Length nor chunked encoding, so its end is the connection's end");
  }
  if (remaining_ == 0) {
    *response_done = true;
    return true;
  }
  state_ = State::body;
  return true;
}

bool ResponseParser::on_chunk_size(std::string_view line) {
  const std::string_view digits = trim(line.substr(0, line.find(';')));  // drop chunk extensions
  std::uint64_t size = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), size, 16);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
    return fail("bad chunk size '" + std::string(line.substr(0, 32)) + "'");
  }
  if (size == 0) {
    state_ = State::trailer;
    return true;
  }
  remaining_ = size;
  state_ = State::chunk_data;
  return true;
}

}  // namespace pollbench::loadgen
