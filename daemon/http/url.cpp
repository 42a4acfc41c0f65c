// URL splitting for the HTTP client: scheme, host, port and request target, nothing more,
// because every URL it sees is built by a connector from a configured base URL.
#include "daemon/http/url.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace partnersync::http {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

// Built with append rather than "literal" + string: GCC 12 at -O2 reports a false
// -Wrestrict in the operator+ chain (GCC bug 105651).
namespace {
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

std::optional<Url> parse_url(std::string_view text) {
  const size_t sep = text.find("://");
  if (sep == std::string_view::npos) return std::nullopt;
  Url url;
  url.scheme = lower(text.substr(0, sep));
  if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
  std::string_view rest = text.substr(sep + 3);
  if (size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view target =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;

  std::string_view host;
  std::string_view port;
  if (authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (host.empty()) return std::nullopt;
  url.host = lower(host);
  url.port = url.tls() ? 443 : 80;
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
      return std::nullopt;
    url.port = static_cast<std::uint16_t>(value);
  }
  // No `target = "/"` here: GCC 12 at -O2 reports a false -Wrestrict for that assignment.
  url.target.reserve(target.size() + 1);
  if (target.empty() || target.front() == '?') url.target.push_back('/');
  url.target.append(target);
  for (char c : url.target) {
    // Control characters or spaces would let a caller inject into the request line.
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  return url;
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
