// libpq's PQconninfoParse is the authority on connection strings: it knows both syntaxes, their
// quoting and percent-encoding, and which keyword wins when one is given twice.
#include "daemon/db/dsn.hpp"

#include <libpq-fe.h>

#include <array>
#include <cctype>
#include <memory>
#include <optional>
#include <string_view>

#include "daemon/obs/redact.hpp"

namespace partnersync::db {
namespace {

struct Parsed {
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options{nullptr, PQconninfoFree};
  std::string error;
};

Parsed parse(const std::string& dsn) {
  Parsed out;
  char* error = nullptr;
  out.options.reset(PQconninfoParse(dsn.c_str(), &error));
  if (error != nullptr) {
    out.error = error;
    PQfreemem(error);
  }
  if (!out.options && out.error.empty()) out.error = "out of memory";
  while (!out.error.empty() && (out.error.back() == '\n' || out.error.back() == ' '))
    out.error.pop_back();
  return out;
}

std::optional<std::string> value_of(const PQconninfoOption* options, std::string_view keyword) {
  for (const auto* o = options; o->keyword != nullptr; ++o)
    if (keyword == o->keyword && o->val != nullptr) return std::string(o->val);
  return std::nullopt;
}

// A key=value value as libpq reads it back: single-quoted when empty or holding a space, a
// quote or a backslash.
std::string quoted(const std::string& value) {
  bool plain = !value.empty();
  for (char c : value)
    if (std::isspace(static_cast<unsigned char>(c)) != 0 || c == '\'' || c == '\\') plain = false;
  if (plain) return value;
  std::string out = "'";
  for (char c : value) {
    if (c == '\'' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Where a spelling of `secret` that starts at `text[pos]` ends, or 0 when none does. Each byte may
// be written plainly, as %XX (URI) or after a backslash (quoted key=value); both readings of a '%'
// are tried. libpq decodes; the written form is found here so that a log line quoting the DSN's own
// text is masked too.
std::size_t spelled_at(std::string_view text, std::size_t pos, std::string_view secret) {
  if (secret.empty()) return pos;
  if (pos >= text.size()) return 0;
  const char want = secret.front();
  const std::string_view rest = secret.substr(1);
  if (text[pos] == want) {
    if (const std::size_t end = spelled_at(text, pos + 1, rest)) return end;
  }
  if (text[pos] == '%' && pos + 2 < text.size()) {
    const int hi = hex_digit(text[pos + 1]), lo = hex_digit(text[pos + 2]);
    if (hi >= 0 && lo >= 0 && static_cast<char>(hi * 16 + lo) == want) {
      if (const std::size_t end = spelled_at(text, pos + 3, rest)) return end;
    }
  }
  if (text[pos] == '\\' && pos + 1 < text.size() && text[pos + 1] == want)
    return spelled_at(text, pos + 2, rest);
  return 0;
}

bool is_uri(std::string_view dsn) {
  return dsn.starts_with("postgresql://") || dsn.starts_with("postgres://");
}

// RFC 3986 unreserved characters stay; everything else is %XX (libpq decodes query values).
std::string percent_encoded(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0 || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

}  // namespace

std::string engine_dsn(const std::string& dsn, const ConnectionBounds& bounds,
                       const EnvLookup& env) {
  const Parsed parsed = parse(dsn);
  if (!parsed.options) return dsn;
  const auto given = [&](std::string_view keyword) {
    return value_of(parsed.options.get(), keyword).has_value();
  };
  const auto from_env = [&](const std::string& name) -> std::optional<std::string> {
    if (!env) return std::nullopt;
    auto value = env(name);
    if (value && value->empty()) return std::nullopt;  // libpq ignores an empty variable too
    return value;
  };
  std::vector<std::pair<std::string, std::string>> added;
  if (!given("connect_timeout") && !from_env("PGCONNECT_TIMEOUT"))
    added.emplace_back("connect_timeout", std::to_string(bounds.connect_timeout.count()));
  if (!given("keepalives")) added.emplace_back("keepalives", "1");
  if (!given("keepalives_idle"))
    added.emplace_back("keepalives_idle", std::to_string(bounds.keepalives_idle.count()));
  if (!given("keepalives_interval"))
    added.emplace_back("keepalives_interval", std::to_string(bounds.keepalives_interval.count()));
  if (!given("keepalives_count"))
    added.emplace_back("keepalives_count", std::to_string(bounds.keepalives_count));
  if (!given("tcp_user_timeout"))
    added.emplace_back("tcp_user_timeout", std::to_string(bounds.tcp_user_timeout.count()));
  if (bounds.statement_timeout.count() > 0) {
    std::string options = value_of(parsed.options.get(), "options")
                              .value_or(from_env("PGOPTIONS").value_or(std::string()));
    if (options.find("statement_timeout") == std::string::npos) {
      if (!options.empty()) options.push_back(' ');
      options += "-c statement_timeout=" + std::to_string(bounds.statement_timeout.count()) + "s";
      // A keyword given twice: libpq keeps the last one, in both syntaxes.
      added.emplace_back("options", options);
    }
  }
  if (added.empty()) return dsn;
  // What libpq must read back from the result: the DSN's own keywords unchanged, and ours.
  const auto reads_back = [&](const std::string& candidate) {
    const Parsed again = parse(candidate);
    if (!again.options) return false;
    for (const auto* o = parsed.options.get(); o->keyword != nullptr; ++o) {
      bool ours = false;
      for (const auto& a : added) ours = ours || a.first == o->keyword;
      if (ours) continue;
      const auto now = value_of(again.options.get(), o->keyword);
      if ((o->val == nullptr) != !now.has_value()) return false;
      if (o->val != nullptr && *now != o->val) return false;
    }
    for (const auto& [keyword, value] : added)
      if (value_of(again.options.get(), keyword) != value) return false;
    return true;
  };
  if (!is_uri(dsn)) {
    std::string out = dsn;
    for (const auto& [keyword, value] : added)
      out.append(" ").append(keyword).append("=").append(quoted(value));
    return reads_back(out) ? out : dsn;
  }
  // The query starts at the first '?' after the host part; a '?' can also stand in a password
  // (libpq reads userinfo up to the '@'), so both readings are tried and libpq decides.
  std::string query;
  for (const auto& [keyword, value] : added)
    query.append("&").append(keyword).append("=").append(percent_encoded(value));
  for (const char* separator : {"?", "&"}) {
    std::string out = dsn;
    if (out.back() == '?' || out.back() == '&') {
      out += query.substr(1);
    } else {
      out += separator + query.substr(1);
    }
    if (reads_back(out)) return out;
  }
  return dsn;
}

std::string describe_dsn(const std::string& dsn) {
  const Parsed parsed = parse(dsn);
  // libpq's reason names the offending keyword or character, which may belong to a password.
  if (!parsed.options) return "(invalid connection string: " + obs::redact(parsed.error) + ")";
  static constexpr std::array<std::string_view, 5> kShown = {"host", "hostaddr", "port", "dbname",
                                                             "user"};
  std::string out;
  for (const auto keyword : kShown) {
    const auto value = value_of(parsed.options.get(), keyword);
    if (!value) continue;
    if (!out.empty()) out.push_back(' ');
    out.append(keyword).append("=").append(quoted(*value));
  }
  if (value_of(parsed.options.get(), "password"))
    out.append(out.empty() ? "" : " ").append("password=***");
  return out.empty() ? "(libpq defaults)" : out;
}

std::vector<std::string> dsn_secrets(const std::string& dsn) {
  std::vector<std::string> out;
  const Parsed parsed = parse(dsn);
  if (!parsed.options) return out;
  const auto password = value_of(parsed.options.get(), "password");
  if (!password || password->empty()) return out;
  out.push_back(*password);
  for (std::size_t pos = 0; pos < dsn.size(); ++pos) {
    const std::size_t end = spelled_at(dsn, pos, *password);
    if (end == 0) continue;
    const std::size_t length = end - pos;
    std::string spelling = dsn.substr(pos, length);
    if (spelling != *password) out.push_back(std::move(spelling));
    pos += length - 1;
  }
  return out;
}

}  // namespace partnersync::db
