// The server's request parser and canned answers (bench/tcp/http.h).
#include "http.h"

#include <gtest/gtest.h>

#include <string>

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
  for (std::string_view bad : {"GARBAGE\r\n\r\n", "GET /\r\n\r\n", "GET / HTTP/2.0\r\n\r\n", "GET  / HTTP/1.1\r\n\r\n",
                               "G(T / HTTP/1.1\r\n\r\n", "GET / HTTP/1.1 extra\r\n\r\n", " GET / HTTP/1.1\r\n\r\n"}) {
    const ParseResult r = parse_request(bad);
    EXPECT_EQ(r.outcome, Parse::malformed) << bad;
    EXPECT_EQ(r.status, 400) << bad;
  }
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

TEST(HttpResponses, OkCarriesTheBodyAndItsLength) {
  const Responses responses(100);
  const std::string& ok = responses.ok(true, false);
  EXPECT_EQ(ok.rfind("HTTP/1.1 200 OK\r\n", 0), 0U);
  EXPECT_NE(ok.find("Content-Length: 100\r\n"), std::string::npos);
  EXPECT_EQ(ok.size() - (ok.find("\r\n\r\n") + 4), 100U);
  EXPECT_EQ(ok.find("Connection:"), std::string::npos);
  EXPECT_NE(responses.ok(false, false).find("Connection: close\r\n"), std::string::npos);
  EXPECT_NE(responses.ok(true, true).find("Connection: keep-alive\r\n"), std::string::npos);
  EXPECT_NE(Responses(0).ok(true, false).find("Content-Length: 0\r\n\r\n"), std::string::npos);
}

TEST(HttpResponses, ErrorsClose) {
  for (int status : {400, 413, 431, 501}) {
    const std::string& answer = Responses::error(status);
    EXPECT_EQ(answer.rfind("HTTP/1.1 " + std::to_string(status) + " ", 0), 0U) << answer;
    EXPECT_NE(answer.find("Connection: close\r\n"), std::string::npos);
  }
}

}  // namespace
}  // namespace pollbench::http
