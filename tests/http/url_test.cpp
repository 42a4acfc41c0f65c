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

TEST(Url, HostsMustBeSpelledAsDnsNamesOrIpLiterals) {
  EXPECT_FALSE(parse_url("http://ex%61mple.com/"));  // percent-encoded host
  EXPECT_FALSE(parse_url("http://a,b.example/"));    // RFC 3986 sub-delims
  EXPECT_FALSE(parse_url("http://[v1.fe]/"));        // IPvFuture
  EXPECT_FALSE(parse_url("http://[::1/"));
  EXPECT_FALSE(parse_url("http://host:/"));  // an empty port is no port to connect to
  EXPECT_FALSE(parse_url("http://h\xc3\xa9.example/"));
  EXPECT_EQ(parse_url("http://[2001:DB8::1]:65535/")->host, "2001:db8::1");
  EXPECT_EQ(parse_url("http://[2001:DB8::1]:65535/")->port, 65535);
  EXPECT_EQ(parse_url("http://my_host.internal/")->host, "my_host.internal");
}

TEST(Url, TargetKeepsItsEncodingAndLosesTheFragment) {
  EXPECT_EQ(parse_url("http://h/a%20b?q=%2F&r=1")->target, "/a%20b?q=%2F&r=1");
  EXPECT_EQ(parse_url("http://h#frag")->target, "/");
  EXPECT_EQ(parse_url("http://h/x?#frag")->target, "/x?");
  EXPECT_FALSE(parse_url("http://h/a\tb"));
  EXPECT_FALSE(parse_url("http://h/a\x7f"));
  EXPECT_FALSE(parse_url("http://h/{key}"));  // a template placeholder left unfilled
}

TEST(Url, BaseUrlHasNoQueryFragmentOrUserinfo) {
  const auto base = parse_base_url("https://Acme.LaDesk.com:8443/api");
  ASSERT_TRUE(base);
  EXPECT_EQ(base->host, "acme.ladesk.com");
  EXPECT_EQ(base->port, 8443);
  EXPECT_EQ(base->target, "/api");
  EXPECT_FALSE(parse_base_url("https://acme.ladesk.com/?x=1"));
  EXPECT_FALSE(parse_base_url("https://acme.ladesk.com?"));
  EXPECT_FALSE(parse_base_url("https://acme.ladesk.com#x"));
  EXPECT_FALSE(parse_base_url("https://user@acme.ladesk.com"));
  EXPECT_FALSE(parse_base_url("acme.ladesk.com"));
  EXPECT_TRUE(parse_url("https://acme.ladesk.com/?x=1"));  // the client takes what it builds
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
