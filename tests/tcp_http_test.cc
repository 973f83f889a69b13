// The server's request parser and canned answers (bench/tcp/http.h).
#include "http.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>

namespace pollbench::http {
namespace {

constexpr std::string_view kGet = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

TEST(HttpParse, CompleteRequestHasItsLength) {
  const ParseResult r = parse_request(kGet);
  ASSERT_EQ(r.outcome, Parse::complete);
  EXPECT_EQ(r.length, kGet.size());
  EXPECT_TRUE(r.keep_alive);
  EXPECT_FALSE(r.http10);
}

TEST(HttpParse, EveryPrefixIsIncomplete) {
  for (std::size_t n = 0; n < kGet.size(); ++n) {
    EXPECT_EQ(parse_request(kGet.substr(0, n)).outcome, Parse::incomplete) << "prefix of " << n << " bytes";
  }
}

TEST(HttpParse, PipelinedRequestsParseOneAtATime) {
  const std::string two = std::string(kGet) + "GET /b HTTP/1.1\r\n\r\n";
  const ParseResult first = parse_request(two);
  ASSERT_EQ(first.outcome, Parse::complete);
  EXPECT_EQ(first.length, kGet.size());
  const ParseResult second = parse_request(std::string_view(two).substr(first.length));
  ASSERT_EQ(second.outcome, Parse::complete);
  EXPECT_EQ(first.length + second.length, two.size());
}

TEST(HttpParse, BareLineFeedsAndLeadingBlankLinesAreAccepted) {
  EXPECT_EQ(parse_request("GET / HTTP/1.1\nHost: x\n\n").outcome, Parse::complete);
  const ParseResult r = parse_request("\r\n\r\nGET / HTTP/1.1\r\n\r\n");
  ASSERT_EQ(r.outcome, Parse::complete);
  EXPECT_EQ(r.length, 22U);
}

TEST(HttpParse, MalformedRequestLines) {
  for (std::string_view bad : {"GARBAGE\r\n\r\n", "GET /\r\n\r\n", "GET / HTTP/1.x\r\n\r\n", "GET / http/1.1\r\n\r\n", "GET / HTTP/11.1\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n",
                               "G(T / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1 extra\r\n\r\n", " GET / HTTP/1.1\r\n\r\n"}) {
    const ParseResult r = parse_request(bad);
    EXPECT_EQ(r.outcome, Parse::malformed) << bad;
    EXPECT_EQ(r.status, 400) << bad;
  }
}

// RFC 9112 2.3: HTTP/1.0 and HTTP/1.1 are served; another well-formed version gets 505.
TEST(HttpParse, OtherHttpVersionsGet505) {
  for (std::string_view version : {"HTTP/1.9", "HTTP/2.0", "HTTP/0.9", "HTTP/3.0"}) {
    const ParseResult r = parse_request("GET / " + std::string(version) + "\r\n\r\n");
    EXPECT_EQ(r.outcome, Parse::malformed) << version;
    EXPECT_EQ(r.status, 505) << version;
  }
}

// A token method the server does not serve gets 501; a non-token one 400.
TEST(HttpParse, MethodsItDoesNotServeGet501) {
  for (std::string_view method : {"PUT", "DELETE", "OPTIONS", "get", "!#$%&'*+-.^_`|~"}) {
    EXPECT_EQ(parse_request(std::string(method) + " / HTTP/1.1\r\n\r\n").status, 501) << method;
  }
  EXPECT_EQ(parse_request("GE\"T / HTTP/1.1\r\n\r\n").status, 400);
  for (std::string_view method : {"GET", "HEAD", "POST"}) {
    EXPECT_EQ(parse_request(std::string(method) + " / HTTP/1.1\r\n\r\n").outcome, Parse::complete) << method;
  }
}

TEST(HttpParse, HeadIsMarkedHeadOnly) {
  EXPECT_TRUE(parse_request("HEAD / HTTP/1.1\r\n\r\n").head_only);
  EXPECT_FALSE(parse_request("GET / HTTP/1.1\r\n\r\n").head_only);
  const std::string ok = Responses(64).ok(true, false, true).text();
  EXPECT_NE(ok.find("Content-Length: 64\r\n"), std::string::npos) << ok;
  EXPECT_EQ(ok.size(), Responses(64).ok(true, false).head.size()) << "a HEAD answer carries no body";
}

// RFC 9110 5.5 / 9112 2.2: control characters other than HTAB in a field value, and a CR that
// does not end a line, are refused, not answered 200 and not waited on.
TEST(HttpParse, ControlCharactersAndBareCrGet400) {
  using namespace std::string_literals;
  for (const std::string& bad : {"GET / HTTP/1.1\r\nX: a\0b\r\n\r\n"s, "GET / HTTP/1.1\r\nX: a\x01b\r\n\r\n"s,
                                 "GET / HTTP/1.1\r\nX: a\x7f\r\n\r\n"s, "GET / HTTP/1.1\r\nX: a\rb\r\n\r\n"s,
                                 "GET / HTTP/1.1\rHost: x\r\r"s, "\rGET / HTTP/1.1\r\n\r\n"s,
                                 "GET / HTTP/1.1\r\n\r\r\n"s}) {
    const ParseResult r = parse_request(bad);
    EXPECT_EQ(r.outcome, Parse::malformed) << testing::PrintToString(bad);
    EXPECT_EQ(r.status, 400) << testing::PrintToString(bad);
  }
  EXPECT_EQ(parse_request("GET / HTTP/1.1\r\nX: a\tb\r\n\r\n").outcome, Parse::complete);
  // A CR at the end of what has arrived may be followed by its LF in the next read.
  ParseProgress progress;
  EXPECT_EQ(parse_request("GET / HTTP/1.1\r", {}, progress).outcome, Parse::incomplete);
  EXPECT_EQ(parse_request("GET / HTTP/1.1\r\n\r\n", {}, progress).outcome, Parse::complete);
}

TEST(HttpParse, ExpectContinueAsksForTheBodyOnce) {
  const std::string head = "POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
  ParseProgress progress;
  EXPECT_TRUE(parse_request(head, {}, progress).send_continue);
  EXPECT_FALSE(parse_request(head + "he", {}, progress).send_continue);
  EXPECT_EQ(parse_request(head + "hello", {}, progress).outcome, Parse::complete);
  // The body already here: no interim answer needed.
  EXPECT_FALSE(parse_request(head + "hel").send_continue);
  // HTTP/1.0 ignores it (RFC 9110 10.1.1); another expectation, or a body over the limit, gets 417.
  EXPECT_FALSE(parse_request("POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n").send_continue);
  EXPECT_EQ(parse_request("GET / HTTP/1.1\r\nExpect: something\r\n\r\n").status, 417);
  Limits limits;
  limits.max_body_bytes = 4;
  EXPECT_EQ(parse_request(head, limits).status, 417);
}

TEST(HttpParse, BinaryIsRejectedBeforeTheLineEnds) {
  // A TLS ClientHello: no newline will come, but it is plainly not a method.
  const ParseResult r = parse_request(std::string_view("\x16\x03\x01\x02\x00", 5));
  EXPECT_EQ(r.outcome, Parse::malformed);
}

TEST(HttpParse, MalformedHeaders) {
  EXPECT_EQ(parse_request("GET / HTTP/1.1\r\nno colon here\r\n\r\n").outcome, Parse::malformed);
  EXPECT_EQ(parse_request("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n").outcome, Parse::malformed);
  EXPECT_EQ(parse_request("GET / HTTP/1.1\r\nBad Name: b\r\n\r\n").outcome, Parse::malformed);
}

TEST(HttpParse, OversizedHeadersAre431EvenBeforeTheyEnd) {
  Limits limits;
  limits.max_header_bytes = 256;
  const std::string endless = "GET / HTTP/1.1\r\nX: " + std::string(300, 'a');
  ParseResult r = parse_request(endless, limits);
  EXPECT_EQ(r.outcome, Parse::too_large);
  EXPECT_EQ(r.status, 431);
  r = parse_request(endless + "\r\n\r\n", limits);
  EXPECT_EQ(r.outcome, Parse::too_large);
  // Just under the limit is fine.
  const std::string fits = "GET / HTTP/1.1\r\nX: " + std::string(200, 'a') + "\r\n\r\n";
  EXPECT_EQ(parse_request(fits, limits).outcome, Parse::complete);
}

TEST(HttpParse, ContentLengthBodyIsPartOfTheRequest) {
  const std::string with_body = "POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello";
  EXPECT_EQ(parse_request(std::string_view(with_body).substr(0, with_body.size() - 1)).outcome, Parse::incomplete);
  const ParseResult r = parse_request(with_body + "GET");
  ASSERT_EQ(r.outcome, Parse::complete);
  EXPECT_EQ(r.length, with_body.size());
}

TEST(HttpParse, BadBodies) {
  EXPECT_EQ(parse_request("POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n").status, 400);
  EXPECT_EQ(parse_request("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n").status, 400);
  EXPECT_EQ(parse_request("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n").status, 400);
  EXPECT_EQ(parse_request("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").status, 501);
  Limits limits;
  limits.max_body_bytes = 10;
  const ParseResult big = parse_request("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n", limits);
  EXPECT_EQ(big.outcome, Parse::too_large);
  EXPECT_EQ(big.status, 413);
}

TEST(HttpParse, KeepAliveRules) {
  EXPECT_FALSE(parse_request("GET / HTTP/1.1\r\nConnection: close\r\n\r\n").keep_alive);
  EXPECT_FALSE(parse_request("GET / HTTP/1.1\r\nconnection: Upgrade, CLOSE\r\n\r\n").keep_alive);
  const ParseResult http10 = parse_request("GET / HTTP/1.0\r\n\r\n");
  EXPECT_TRUE(http10.http10);
  EXPECT_FALSE(http10.keep_alive);
  EXPECT_TRUE(parse_request("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive);
}

// Feeds `request` to one ParseProgress `step` bytes at a time, as a connection receiving it in
// pieces would; returns the last result and the parser's step count.
std::pair<ParseResult, std::size_t> feed(std::string_view request, std::size_t step, const Limits& limits = {}) {
  ParseProgress progress;
  ParseResult r;
  for (std::size_t n = std::min(step, request.size());; n = std::min(n + step, request.size())) {
    r = parse_request(request.substr(0, n), limits, progress);
    if (r.outcome != Parse::incomplete || n == request.size()) break;
  }
  return {r, progress.steps};
}

std::string long_request(std::size_t headers) {
  std::string request = "POST /upload HTTP/1.1\r\nHost: x\r\n";
  for (std::size_t i = 0; i < headers; ++i) request += "X-Header-" + std::to_string(i) + ": some value here\r\n";
  return request + "Content-Length: 1000\r\n\r\n" + std::string(1000, 'b');
}

// Parsing resumes where it stopped: a request arriving one byte at a time costs the parser
// exactly what it costs in one piece, and that is at most two steps per byte (each byte is
// scanned once, and looked at once more when its line is parsed). Re-parsing from the start on
// every byte would cost about n^2 / 2 steps: 18 million for this request.
TEST(HttpParse, OneByteAtATimeCostsLinearSteps) {
  Limits limits;
  limits.max_header_bytes = 8192;
  const std::string request = long_request(200);  // about 6 KB of headers, then 1000 body bytes
  ASSERT_LT(request.size() - 1000, limits.max_header_bytes);
  const auto [whole, whole_steps] = feed(request, request.size(), limits);
  ASSERT_EQ(whole.outcome, Parse::complete);
  EXPECT_EQ(whole.length, request.size());
  for (std::size_t step : {1U, 2U, 7U, 100U}) {
    const auto [split, split_steps] = feed(request, step, limits);
    EXPECT_EQ(split.outcome, Parse::complete) << "step " << step;
    EXPECT_EQ(split.length, request.size()) << "step " << step;
    EXPECT_EQ(split_steps, whole_steps) << "step " << step;
  }
  // The body is counted, not scanned.
  EXPECT_LE(whole_steps, 2 * (request.size() - 1000));
  EXPECT_GT(whole_steps, request.size() - 1000);  // the count is real: every head byte is seen
}

// A CR LF flood: blank lines before a request count against the header limit, so a stream of
// them is refused once it passes the limit, after linear work, however it arrives.
TEST(HttpParse, BlankLinesCountAgainstTheHeaderLimit) {
  Limits limits;
  limits.max_header_bytes = 1024;
  std::string flood;
  while (flood.size() <= limits.max_header_bytes) flood += "\r\n";
  for (std::size_t step : {std::size_t{1}, std::size_t{2}, std::size_t{3}, flood.size()}) {
    const auto [r, steps] = feed(flood, step, limits);
    EXPECT_EQ(r.outcome, Parse::too_large) << "step " << step;
    EXPECT_EQ(r.status, 431);
    EXPECT_LE(steps, limits.max_header_bytes) << "step " << step;
  }
  // Just under the limit, blank lines and all, a request is still accepted.
  const std::string get = "GET / HTTP/1.1\r\n\r\n";
  const std::string fits = std::string(limits.max_header_bytes - get.size(), '\n') + get;
  EXPECT_EQ(parse_request(fits, limits).outcome, Parse::complete);
  EXPECT_EQ(parse_request("\n" + fits, limits).outcome, Parse::too_large);
}

// A partial request line that cannot be HTTP is refused at once, even arriving byte by byte.
TEST(HttpParse, BinaryIsRejectedByteByByte) {
  const auto [r, steps] = feed(std::string_view("GE\x16\x03\x01 / HTTP/1.1\r\n\r\n"), 1);
  EXPECT_EQ(r.outcome, Parse::malformed);
  EXPECT_EQ(steps, 3U);
}

// Every split of each case gives the answer the whole request gets.
TEST(HttpParse, EverySplitAgreesWithTheWhole) {
  Limits limits;
  limits.max_header_bytes = 64;
  limits.max_body_bytes = 8;
  for (std::string_view request :
       {std::string_view(kGet), std::string_view("\r\nGET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"),
        std::string_view("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET"),
        std::string_view("POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\n"),
        std::string_view("GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
        std::string_view("GET / HTTP/1.1\r\nX: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n")}) {
    const ParseResult whole = parse_request(request, limits);
    for (std::size_t step = 1; step <= request.size(); ++step) {
      const ParseResult split = feed(request, step, limits).first;
      EXPECT_EQ(split.outcome, whole.outcome) << request << " in pieces of " << step;
      EXPECT_EQ(split.length, whole.length) << request << " in pieces of " << step;
      EXPECT_EQ(split.status, whole.status) << request << " in pieces of " << step;
      EXPECT_EQ(split.keep_alive, whole.keep_alive) << request << " in pieces of " << step;
    }
  }
}

TEST(HttpResponses, OkCarriesTheBodyAndItsLength) {
  const Responses responses(100);
  const std::string ok = responses.ok(true, false).text();
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 OK\r\n", 0), 0U);
  EXPECT_NE(ok.find("Content-Length: 100\r\n"), std::string::npos);
  EXPECT_EQ(ok.size() - (ok.find("\r\n\r\n") + 4), 100U);
  EXPECT_EQ(ok.find("Connection:"), std::string::npos);
  EXPECT_NE(responses.ok(false, false).text().find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(responses.ok(true, true).text().find("Connection: keep-alive\r\n"), std::string::npos);
  EXPECT_NE(Responses(0).ok(true, false).text().find("Content-Length: 0\r\n\r\n"), std::string::npos);
  // The 200 answers share one body rather than each holding a copy.
  EXPECT_EQ(responses.ok(true, false).body.data(), responses.ok(false, false).body.data());
  EXPECT_EQ(responses.ok(true, false).body.data(), responses.ok(true, true).body.data());
}

TEST(HttpResponses, ErrorsClose) {
  for (int status : {400, 413, 431, 501}) {
    const std::string answer = Responses::error(status).text();
    EXPECT_EQ(answer.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0), 0U) << answer;
    EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos);
  }
}

}  // namespace
}  // namespace pollbench::http
