// Redaction by pattern (Authorization headers, query parameters, DSNs) and by value.
#include "daemon/obs/redact.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <mutex>
#include <shared_mutex>
#include <vector>

namespace partnersync::obs {
namespace {

constexpr std::string_view kMask = "***";

std::shared_mutex& secrets_mutex() {
  static std::shared_mutex m;
  return m;
}
std::vector<std::string>& secrets() {
  static std::vector<std::string> s;
  return s;
}

bool iequals_at(std::string_view text, size_t pos, std::string_view word) {
  if (pos + word.size() > text.size()) return false;
  for (size_t i = 0; i < word.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[pos + i])) !=
        std::tolower(static_cast<unsigned char>(word[i])))
      return false;
  }
  return true;
}

bool is_word_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_'; }

// End of a secret value that starts at `pos`: a quoted value runs to its closing quote,
// otherwise to the first separator.
size_t value_end(std::string_view text, size_t pos) {
  if (pos < text.size() && (text[pos] == '\'' || text[pos] == '"')) {
    const char quote = text[pos];
    size_t end = text.find(quote, pos + 1);
    return end == std::string_view::npos ? text.size() : end + 1;
  }
  size_t end = pos;
  while (end < text.size()) {
    char c = text[end];
    if (c == '&' || c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '"' || c == '\'' ||
        c == ',' || c == ';' || c == '}' || c == ')' || c == '#')
      break;
    ++end;
  }
  return end;
}

// Masks a value, keeping the quotes of a quoted one so JSON stays JSON.
void append_masked(std::string& out, std::string_view value) {
  const bool quoted = value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
                      value.back() == value.front();
  if (quoted) out.push_back(value.front());
  out.append(kMask);
  if (quoted) out.push_back(value.back());
}

// key=value and key: value parameters whose value is a secret.
constexpr std::array<std::string_view, 8> kSecretKeys = {
    "apikey", "api_key", "access_token", "token", "password", "passwd", "secret", "client_secret"};

std::string mask_parameters(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    bool masked = false;
    // A key preceded by '.' is part of a config key path (sources[0].token: ...), not a value.
    if (i == 0 || (!is_word_char(text[i - 1]) && text[i - 1] != '.')) {
      for (std::string_view key : kSecretKeys) {
        if (!iequals_at(text, i, key)) continue;
        size_t p = i + key.size();
        // Optional closing quote of a JSON key, then '=' or ':' and optional spaces.
        if (p < text.size() && text[p] == '"') ++p;
        if (p >= text.size() || (text[p] != '=' && text[p] != ':')) continue;
        ++p;
        while (p < text.size() && text[p] == ' ') ++p;
        size_t end = value_end(text, p);
        if (end == p) continue;
        out.append(text.substr(i, p - i));
        append_masked(out, text.substr(p, end - p));
        i = end;
        masked = true;
        break;
      }
    }
    if (!masked) out.push_back(text[i++]);
  }
  return out;
}

// "Bearer <token>" anywhere (Authorization headers, curl command lines).
std::string mask_bearer(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    if (iequals_at(text, i, "bearer ") && (i == 0 || !is_word_char(text[i - 1]))) {
      size_t p = i + 7;
      while (p < text.size() && text[p] == ' ') ++p;
      size_t end = value_end(text, p);
      out.append(text.substr(i, p - i));
      out.append(kMask);
      i = end;
      continue;
    }
    out.push_back(text[i++]);
  }
  return out;
}

// scheme://user:password@host: the password part of any URI with userinfo.
std::string mask_userinfo(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    size_t scheme = text.find("://", i);
    if (scheme == std::string_view::npos) break;
    size_t start = scheme + 3;
    size_t end = start;
    while (end < text.size() && text[end] != '/' && text[end] != ' ' && text[end] != '\n' &&
           text[end] != '"' && text[end] != '\'' && text[end] != '?')
      ++end;
    std::string_view authority = text.substr(start, end - start);
    size_t at = authority.rfind('@');
    size_t colon = at == std::string_view::npos ? std::string_view::npos : authority.find(':');
    out.append(text.substr(i, start - i));
    if (colon != std::string_view::npos && colon < at) {
      out.append(authority.substr(0, colon + 1));
      out.append(kMask);
      out.append(authority.substr(at));
    } else {
      out.append(authority);
    }
    i = end;
  }
  out.append(text.substr(i));
  return out;
}

}  // namespace

void register_secret(std::string_view value) {
  if (value.size() < 4) return;
  std::unique_lock lock(secrets_mutex());
  auto& s = secrets();
  if (std::find(s.begin(), s.end(), value) == s.end()) s.emplace_back(value);
  // Longest first, so a secret that contains another is masked whole.
  std::sort(s.begin(), s.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
}

std::string redact(std::string_view text) {
  std::string out = mask_userinfo(mask_parameters(mask_bearer(text)));
  std::shared_lock lock(secrets_mutex());
  for (const auto& secret : secrets()) {
    for (size_t pos = out.find(secret); pos != std::string::npos;
         pos = out.find(secret, pos + kMask.size())) {
      out.replace(pos, secret.size(), kMask);
    }
  }
  return out;
}

}  // namespace partnersync::obs
