// URL splitting for the HTTP client: what goes into the connection key, the Host header and
// the request line, and which URLs are refused before any I/O.
#include "daemon/http/url.hpp"

#include <gtest/gtest.h>

namespace partnersync::http {
namespace {

TEST(Url, SplitsSchemeHostPortAndTarget) {
  auto url = parse_url("HTTPS://API.LiveChatInc.com/v2/partners/status?apikey=x&a=b#frag");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "api.livechatinc.com");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->target, "/v2/partners/status?apikey=x&a=b");
  EXPECT_EQ(url->host_header(), "api.livechatinc.com");
}

TEST(Url, ExplicitPortAppearsInHostHeaderAndOrigin) {
  auto url = parse_url("http://127.0.0.1:5555");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->port, 5555);
  EXPECT_EQ(url->target, "/");
  EXPECT_EQ(url->host_header(), "127.0.0.1:5555");
  EXPECT_EQ(url->origin(), "http://127.0.0.1:5555");
}

TEST(Url, SameOriginSpelledDifferentlySharesPoolKey) {
  EXPECT_EQ(parse_url("http://LOCALHOST/a")->origin(),
            parse_url("http://localhost:80/b")->origin());
  EXPECT_NE(parse_url("http://localhost/a")->origin(), parse_url("https://localhost/a")->origin());
}

TEST(Url, Ipv6LiteralKeepsBracketsOnlyInHostHeader) {
  auto url = parse_url("http://[::1]:8080/x");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->host, "::1");
  EXPECT_EQ(url->host_header(), "[::1]:8080");
  EXPECT_TRUE(is_loopback_host(url->host));
  EXPECT_TRUE(is_ip_literal(url->host));
}

TEST(Url, QueryWithoutPathGetsRootPath) { EXPECT_EQ(parse_url("http://h?x=1")->target, "/?x=1"); }

TEST(Url, RefusesWhatIsNotAnAbsoluteHttpUrl) {
  EXPECT_FALSE(parse_url("ftp://host/x"));
  EXPECT_FALSE(parse_url("/relative/path"));
  EXPECT_FALSE(parse_url("http:///nohost"));
  EXPECT_FALSE(parse_url("http://host:0/"));
  EXPECT_FALSE(parse_url("http://host:70000/"));
  EXPECT_FALSE(parse_url("http://host:12ab/"));
  EXPECT_FALSE(parse_url("http://user:pw@host/"));
  EXPECT_FALSE(parse_url("http://host/a b"));
  EXPECT_FALSE(parse_url("http://host/a\r\nX-Injected: 1"));
}

TEST(Url, LoopbackHostsAreRecognised) {
  EXPECT_TRUE(is_loopback_host("127.0.0.1"));
  EXPECT_TRUE(is_loopback_host("127.1.2.3"));
  EXPECT_TRUE(is_loopback_host("localhost"));
  EXPECT_FALSE(is_loopback_host("10.0.0.1"));
  EXPECT_FALSE(is_loopback_host("api.livechatinc.com"));
  EXPECT_FALSE(is_ip_literal("localhost"));
}

}  // namespace
}  // namespace partnersync::http
