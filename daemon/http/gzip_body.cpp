// gzip decoding through zlib for the HTTP client, growing the output in chunks and stopping
// as soon as it passes the limit.
#include "daemon/http/gzip_body.hpp"

#include <zlib.h>

#include <algorithm>

namespace partnersync::http {

GunzipStatus gunzip_body(std::string& body, std::size_t limit) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return GunzipStatus::corrupt;
  constexpr std::size_t kChunk = std::size_t{64} * 1024;
  std::string out;
  out.reserve(std::min(limit, body.size() * 4) + 64);
  zs.next_in = reinterpret_cast<Bytef*>(body.data());
  zs.avail_in = static_cast<uInt>(body.size());
  GunzipStatus status = GunzipStatus::ok;
  for (;;) {
    const std::size_t old = out.size();
    out.resize(old + kChunk);
    zs.next_out = reinterpret_cast<Bytef*>(out.data() + old);
    zs.avail_out = static_cast<uInt>(kChunk);
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out.resize(old + (kChunk - zs.avail_out));
    if (out.size() > limit) {
      status = GunzipStatus::too_large;
      break;
    }
    if (rc == Z_STREAM_END) break;
    if (rc == Z_OK) continue;
    status =
        rc == Z_BUF_ERROR && zs.avail_in == 0 ? GunzipStatus::truncated : GunzipStatus::corrupt;
    break;
  }
  inflateEnd(&zs);
  if (status != GunzipStatus::ok) return status;
  if (out.capacity() < out.size() + 64) out.reserve(out.size() + 64);
  body.swap(out);  // not move-assignment: GCC 12 -O2 warns falsely there (-Wrestrict)
  return status;
}

}  // namespace partnersync::http
