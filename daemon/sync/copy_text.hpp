// PostgreSQL COPY text format: the encoding of staged rows.
#pragma once

#include <string>
#include <string_view>

namespace partnersync::sync {

// Appends `value` escaped for COPY text format (backslash, tab, newline, carriage return).
inline void append_copy_escaped(std::string& out, std::string_view value) {
  size_t start = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char c = value[i];
    const char* esc = nullptr;
    switch (c) {
      case '\\': esc = "\\\\"; break;
      case '\t': esc = "\\t"; break;
      case '\n': esc = "\\n"; break;
      case '\r': esc = "\\r"; break;
      default: continue;
    }
    out.append(value.substr(start, i - start));
    out.append(esc);
    start = i + 1;
  }
  out.append(value.substr(start));
}

inline constexpr std::string_view kCopyNull = "\\N";

}  // namespace partnersync::sync
