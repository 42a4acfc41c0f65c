// Decoding of gzip-encoded response bodies (the client sends Accept-Encoding: gzip), bounded
// so that a small compressed answer cannot expand past the configured body limit.
#pragma once

#include <cstddef>
#include <string>

namespace partnersync::http {

enum class GunzipStatus { ok, too_large, truncated, corrupt };

// Replaces `body` with its decoded form when the result is ok; leaves it untouched otherwise.
// The decoded body keeps at least 64 bytes of spare capacity for simdjson.
GunzipStatus gunzip_body(std::string& body, std::size_t limit);

}  // namespace partnersync::http
