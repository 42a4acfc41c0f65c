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

#if defined(__SSE2__)
// Bit i set when byte i of `v` is one COPY text escapes.
inline unsigned copy_special_mask(__m128i v) {
  const __m128i hits = _mm_or_si128(
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'))),
      _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\n')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\r'))));
  return static_cast<unsigned>(_mm_movemask_epi8(hits));
}

template <typename T>
T load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
#endif

// The first byte in [p, end) that COPY text must escape, or `end`. SSE2 is part of x86-64,
// so 16 bytes are tested at a time there, and a shorter rest as two overlapping 8- or 4-byte
// halves (values are mostly short); other targets use the table.
inline const char* find_copy_special(const char* p, const char* const end) {
#if defined(__SSE2__)
  while (end - p >= 16) {
    const unsigned mask = copy_special_mask(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    if (mask != 0) return p + __builtin_ctz(mask);
    p += 16;
  }
  const auto rest = end - p;
  if (rest >= 8 || rest >= 4) {
    const bool wide = rest >= 8;
    const char* tail = wide ? end - 8 : end - 4;
    const __m128i v = wide ? _mm_set_epi64x(load<long long>(tail), load<long long>(p))
                           : _mm_set_epi32(0, load<int>(tail), 0, load<int>(p));
    const unsigned half = wide ? 8 : 4;
    const unsigned mask = copy_special_mask(v);
    const unsigned low = mask & ((1u << half) - 1);
    if (low != 0) return p + __builtin_ctz(low);
    const unsigned high = (mask >> 8) & ((1u << half) - 1);
    return high != 0 ? tail + __builtin_ctz(high) : end;
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

// append_copy_escaped() for JSON text (a record's raw, a jsonb column), which also finds
// U+0000: false when `json` holds the escape \u0000, which jsonb cannot store (`out` then
// holds part of it). Backslashes are rare in JSON, so looking at what follows each costs
// nothing measurable, where a separate search would read every byte again.
inline bool append_copy_escaped_json(std::string& out, std::string_view json) {
  const char* p = json.data();
  const char* const end = p + json.size();
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
      default:  // a JSON escape; the character it escapes starts no escape itself
        out.push_back('\\');
        if (end - p >= 6 && std::memcmp(p + 1, "u0000", 5) == 0) return false;
        if (end - p >= 2 && p[1] == '\\') {
          out.append("\\\\");
          ++p;
        }
        break;
    }
    ++p;
  }
  return true;
}

namespace detail {
// The n bytes at `p` (N <= n <= 2N) to `to` as two overlapping N-byte halves.
template <std::size_t N>
inline void copy_halves(char* to, const char* p, std::size_t n) {
  std::array<char, N> head, tail;
  std::memcpy(head.data(), p, N);
  std::memcpy(tail.data(), p + n - N, N);
  std::memcpy(to, head.data(), N);
  std::memcpy(to + n - N, tail.data(), N);
}
}  // namespace detail

// Writes `value` at `to` unchanged and returns the end of it. Typed values are a few to a few
// dozen bytes: up to 32 move as two overlapping loads and stores, without a call to memcpy.
inline char* copy_short(char* to, std::string_view value) {
  const char* p = value.data();
  const std::size_t n = value.size();
  if (n > 32) {
    std::memcpy(to, p, n);
  } else if (n >= 16) {
    detail::copy_halves<16>(to, p, n);
  } else if (n >= 8) {
    detail::copy_halves<8>(to, p, n);
  } else if (n >= 4) {
    detail::copy_halves<4>(to, p, n);
  } else {
    for (std::size_t i = 0; i < n; ++i) to[i] = p[i];
  }
  return to + n;
}

// Writes `value` escaped for COPY text format at `to`, which has room for 2 * value.size()
// bytes, and returns the end of what it wrote.
inline char* copy_escape_to(char* to, std::string_view value) {
  const char* p = value.data();
  const char* const end = p + value.size();
  while (p < end) {
    const char* run = p;
    p = detail::find_copy_special(p, end);
    to = copy_short(to, std::string_view(run, static_cast<std::size_t>(p - run)));
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
