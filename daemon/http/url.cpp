// URL splitting for the HTTP client and the configuration: Boost.URL parses (RFC 3986); this
// file adds our rules on top (http(s) only, a plain host, no userinfo) and the pool key.
#include "daemon/http/url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <cctype>
#include <charconv>

namespace partnersync::http {
namespace {

namespace urls = boost::urls;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// A registered name as DNS spells it. RFC 3986 also allows percent-encoding and sub-delims
// ("a%2Eb", "a;b", "a,b") in a host, which no resolver or certificate matches.
bool plain_host_name(std::string_view host) {
  return !host.empty() && std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
  });
}

std::optional<Url> split(const urls::url_view& u) {
  Url url;
  url.scheme = lower(u.scheme());
  if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
  if (!u.has_authority() || u.has_userinfo()) return std::nullopt;
  switch (u.host_type()) {
    case urls::host_type::ipv4:
    case urls::host_type::ipv6:
      url.host = lower(u.encoded_host_address());  // IPv6 without its brackets
      break;
    case urls::host_type::name:
      if (!plain_host_name(u.encoded_host())) return std::nullopt;
      url.host = lower(u.encoded_host());
      break;
    default:  // none, or an IPvFuture literal
      return std::nullopt;
  }
  url.port = url.tls() ? 443 : 80;
  if (u.has_port()) {
    // The port as written: Boost 1.81's port_number() wraps some values above 65535 (99999 gives
    // 34463) instead of returning 0. Empty ("host:") or 0 is no port to connect to either.
    const std::string_view port = u.port();
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value == 0 ||
        value > 65535)
      return std::nullopt;
    url.port = static_cast<std::uint16_t>(value);
  }
  // After an authority the path is empty or starts with '/' (RFC 3986 path-abempty). Boost 1.81
  // reads "http://host:12ab/" as port 12 and path "ab/": such a URL is a typo, not a request.
  const std::string_view path = u.encoded_path();
  if (!path.empty() && path.front() != '/') return std::nullopt;
  // No `target = "/"` here: GCC 12 at -O2 reports a false -Wrestrict for that assignment.
  const std::string_view target = u.encoded_target();
  url.target.reserve(target.size() + 1);
  if (target.empty() || target.front() == '?') url.target.push_back('/');
  url.target.append(target);
  return url;
}

// Built with append rather than "literal" + string: GCC 12 at -O2 reports a false
// -Wrestrict in the operator+ chain (GCC bug 105651).
void append_host(std::string& out, const std::string& host) {
  const bool ipv6 = host.find(':') != std::string::npos;
  if (ipv6) out.push_back('[');
  out.append(host);
  if (ipv6) out.push_back(']');
}

}  // namespace

std::string Url::host_header() const {
  std::string out;
  append_host(out, host);
  if (!default_port()) {
    out.push_back(':');
    out.append(std::to_string(port));
  }
  return out;
}

std::string Url::origin() const {
  std::string out = scheme;
  out.append("://");
  append_host(out, host);
  out.push_back(':');
  out.append(std::to_string(port));
  return out;
}

// parse_uri refuses spaces and control characters anywhere, so nothing can be injected into
// the request line or the Host header.
std::optional<Url> parse_url(std::string_view text) {
  const auto parsed = urls::parse_uri(urls::string_view(text.data(), text.size()));
  if (!parsed) return std::nullopt;
  return split(*parsed);
}

std::optional<Url> parse_base_url(std::string_view text) {
  const auto parsed = urls::parse_uri(urls::string_view(text.data(), text.size()));
  if (!parsed || parsed->has_query() || parsed->has_fragment()) return std::nullopt;
  return split(*parsed);
}

bool is_ip_literal(std::string_view host) {
  std::string h(host);
  unsigned char buf[16];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 || inet_pton(AF_INET6, h.c_str(), buf) == 1;
}

bool is_loopback_host(std::string_view host) {
  if (host == "localhost" || host == "::1") return true;
  std::string h(host);
  unsigned char buf[4];
  return inet_pton(AF_INET, h.c_str(), buf) == 1 && buf[0] == 127;
}

}  // namespace partnersync::http
