// Decoding of gzip-encoded response bodies (the client sends Accept-Encoding: gzip), bounded
// so that a small compressed answer cannot expand past the configured body limit.
#pragma once

#include <cstddef>
#include <string>

namespace partnersync::http {

enum class GunzipStatus { ok, too_large, truncated, corrupt };

// Replaces `body` with its decoded form when the result is ok; leaves it untouched otherwise.
// The decoded body keeps at least 64 bytes of spare capacity for simdjson.
// Whole-buffer libdeflate, sized by the gzip trailer (ISIZE): a trailer over `limit` is refused
// before anything is allocated. Anything libdeflate cannot decode as sized (a trailer that
// lies, a cut or corrupt body) goes through gunzip_body_streaming, which says which it is.
GunzipStatus gunzip_body(std::string& body, std::size_t limit);

// The same through zlib's streaming inflate, growing the output in 64 KiB steps and stopping as
// soon as it passes the limit. The slower way (tests/bench/inflate_bench measures both).
GunzipStatus gunzip_body_streaming(std::string& body, std::size_t limit);

}  // namespace partnersync::http
