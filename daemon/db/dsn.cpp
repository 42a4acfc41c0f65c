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

}  // namespace

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
