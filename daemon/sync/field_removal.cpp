// A token scanner, not a parser: strings are skipped whole (escapes honoured), so a name
// inside a value is never taken for a key; only a string followed by ':' is a key.
#include "daemon/sync/field_removal.hpp"

#include <algorithm>
#include <string_view>

namespace partnersync::sync {
namespace {

bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Index just past the string starting at `at` (a '"'), or size when it never ends.
std::size_t string_end(const std::string& s, std::size_t at) {
  for (std::size_t i = at + 1; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return s.size();
}

std::size_t skip_space(const std::string& s, std::size_t i) {
  while (i < s.size() && space(s[i])) ++i;
  return i;
}

// Index just past the value starting at `at`.
std::size_t value_end(const std::string& s, std::size_t at) {
  if (at >= s.size()) return at;
  if (s[at] == '"') return string_end(s, at);
  if (s[at] == '{' || s[at] == '[') {
    int depth = 0;
    for (std::size_t i = at; i < s.size(); ++i) {
      if (s[i] == '"') {
        i = string_end(s, i) - 1;
      } else if (s[i] == '{' || s[i] == '[') {
        ++depth;
      } else if (s[i] == '}' || s[i] == ']') {
        if (--depth == 0) return i + 1;
      }
    }
    return s.size();
  }
  std::size_t i = at;
  while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && !space(s[i])) ++i;
  return i;
}

}  // namespace

std::size_t remove_members(std::string& s, std::span<const std::string> names) {
  if (names.empty()) return 0;
  std::size_t removed = 0;
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] != '"') {
      ++i;
      continue;
    }
    const std::size_t key_end = string_end(s, i);
    const std::string_view key(s.data() + i + 1, key_end > i + 1 ? key_end - i - 2 : 0);
    const std::size_t colon = skip_space(s, key_end);
    const bool is_key = colon < s.size() && s[colon] == ':';
    if (!is_key || std::find(names.begin(), names.end(), key) == names.end()) {
      i = key_end;
      continue;
    }
    std::size_t from = i;
    std::size_t to = value_end(s, skip_space(s, colon + 1));
    const std::size_t after = skip_space(s, to);
    if (after < s.size() && s[after] == ',') {
      to = after + 1;  // "a":1, "next": ...  -> "next": ...
    } else {
      std::size_t before = from;
      while (before > 0 && space(s[before - 1])) --before;
      if (before > 0 && s[before - 1] == ',') from = before - 1;  // ..., "a":1}  -> ...}
    }
    s.erase(from, to - from);
    ++removed;
    i = from;
  }
  return removed;
}

}  // namespace partnersync::sync
