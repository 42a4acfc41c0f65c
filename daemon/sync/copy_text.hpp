// PostgreSQL COPY text format: the encoding of staged rows.
#pragma once

#include <array>
#include <cstring>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace partnersync::sync {

namespace detail {

inline constexpr auto kCopySpecial = [] {
  std::array<bool, 256> t{};
  t[static_cast<unsigned char>('\\')] = t[static_cast<unsigned char>('\t')] =
      t[static_cast<unsigned char>('\n')] = t[static_cast<unsigned char>('\r')] = true;
  return t;
}();

// The first byte in [p, end) that COPY text must escape, or `end`. SSE2 is part of x86-64,
// so 16 bytes are tested at a time there; other targets use the table.
inline const char* find_copy_special(const char* p, const char* const end) {
#if defined(__SSE2__)
  const __m128i backslash = _mm_set1_epi8('\\'), tab = _mm_set1_epi8('\t'),
                newline = _mm_set1_epi8('\n'), cr = _mm_set1_epi8('\r');
  while (end - p >= 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    const __m128i hits =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, backslash), _mm_cmpeq_epi8(v, tab)),
                     _mm_or_si128(_mm_cmpeq_epi8(v, newline), _mm_cmpeq_epi8(v, cr)));
    const int mask = _mm_movemask_epi8(hits);
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p < end && !kCopySpecial[static_cast<unsigned char>(*p)]) ++p;
  return p;
}

}  // namespace detail

// Appends `value` escaped for COPY text format (backslash, tab, newline, carriage return).
// This runs over every byte of every record (raw JSON is most of them), so the common case,
// a run of bytes that need nothing, is found 16 bytes at a time and appended in one go.
inline void append_copy_escaped(std::string& out, std::string_view value) {
  const char* p = value.data();
  const char* const end = p + value.size();
  while (p < end) {
    const char* run = p;
    p = detail::find_copy_special(p, end);
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

// Writes `value` escaped for COPY text format at `to`, which has room for 2 * value.size()
// bytes, and returns the end of what it wrote.
inline char* copy_escape_to(char* to, std::string_view value) {
  const char* p = value.data();
  const char* const end = p + value.size();
  while (p < end) {
    const char* run = p;
    p = detail::find_copy_special(p, end);
    const auto n = static_cast<std::size_t>(p - run);
    std::memcpy(to, run, n);
    to += n;
    if (p == end) break;
    *to++ = '\\';
    switch (*p) {
      case '\t':
        *to++ = 't';
        break;
      case '\n':
        *to++ = 'n';
        break;
      case '\r':
        *to++ = 'r';
        break;
      default:
        *to++ = '\\';
        break;
    }
    ++p;
  }
  return to;
}

inline constexpr std::string_view kCopyNull = "\\N";

}  // namespace partnersync::sync
