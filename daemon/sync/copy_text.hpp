// PostgreSQL COPY text format: the encoding of staged rows.
#pragma once

#include <array>
#include <string>
#include <string_view>

namespace partnersync::sync {

// Appends `value` escaped for COPY text format (backslash, tab, newline, carriage return).
// This runs over every byte of every record (raw JSON is most of them), so the common case,
// a run of bytes that need nothing, is found with a table and appended in one go.
inline void append_copy_escaped(std::string& out, std::string_view value) {
  static constexpr auto kSpecial = [] {
    std::array<bool, 256> t{};
    t[static_cast<unsigned char>('\\')] = t[static_cast<unsigned char>('\t')] =
        t[static_cast<unsigned char>('\n')] = t[static_cast<unsigned char>('\r')] = true;
    return t;
  }();
  const char* p = value.data();
  const char* const end = p + value.size();
  while (p < end) {
    const char* run = p;
    while (p < end && !kSpecial[static_cast<unsigned char>(*p)]) ++p;
    out.append(run, static_cast<std::size_t>(p - run));
    if (p == end) break;
    out.push_back('\\');
    switch (*p) {
      case '\t':
        out.push_back('t');
        break;
      case '\n':
        out.push_back('n');
        break;
      case '\r':
        out.push_back('r');
        break;
      default:
        out.push_back('\\');
        break;
    }
    ++p;
  }
}

inline constexpr std::string_view kCopyNull = "\\N";

}  // namespace partnersync::sync
