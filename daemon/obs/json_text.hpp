// JSON string escaping for the few places that write JSON by hand (JSON log lines, the
// simulator's bodies, records split out of a larger body) and for quoting values in messages.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace partnersync::obs {

// Appends `text` escaped for use inside a JSON string (without the surrounding quotes).
inline void append_json_escaped(std::string& out, std::string_view text) {
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
}

// `text` as a quoted JSON string.
inline std::string json_quoted(std::string_view text) {
  std::string out = "\"";
  append_json_escaped(out, text);
  out += '"';
  return out;
}

}  // namespace partnersync::obs
