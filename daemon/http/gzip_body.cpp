// gzip decoding for the HTTP client. The body is buffered whole anyway (the parser needs it
// whole), so one libdeflate call into a buffer of the trailer's size replaces zlib's chunked
// inflate: measured by tests/bench/inflate_bench (README.md there).
#include "daemon/http/gzip_body.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <memory>

namespace partnersync::http {
namespace {

constexpr std::size_t kPadding = 64;  // simdjson reads up to 64 bytes past the end

struct DecompressorDeleter {
  void operator()(libdeflate_decompressor* d) const { libdeflate_free_decompressor(d); }
};

// One per thread (a few KiB of tables), made on the first gzip answer.
libdeflate_decompressor* decompressor() {
  thread_local std::unique_ptr<libdeflate_decompressor, DecompressorDeleter> d{
      libdeflate_alloc_decompressor()};
  return d.get();
}

// Inflates into a scratch buffer, keeping nothing: how a body whose trailer claims more than
// the limit really ends (too large, cut short, corrupt, or within the limit after all).
GunzipStatus probe(const std::string& body, std::size_t limit) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return GunzipStatus::corrupt;
  thread_local unsigned char scratch[64 * 1024];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  zs.avail_in = static_cast<uInt>(body.size());
  std::size_t total = 0;
  GunzipStatus status = GunzipStatus::ok;
  for (;;) {
    zs.next_out = scratch;
    zs.avail_out = sizeof scratch;
    const int rc = inflate(&zs, Z_NO_FLUSH);
    total += sizeof scratch - zs.avail_out;
    if (total > limit) {
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
  return status;
}

// What libdeflate cannot decode as sized: nothing is allocated for the output until the
// inflate without output has shown that it fits the limit.
GunzipStatus decode_checked(std::string& body, std::size_t limit) {
  const GunzipStatus probed = probe(body, limit);
  return probed == GunzipStatus::ok ? gunzip_body_streaming(body, limit) : probed;
}

}  // namespace

GunzipStatus gunzip_body(std::string& body, std::size_t limit) {
  // A gzip member is at least a 10-byte header and an 8-byte trailer (CRC32, ISIZE).
  if (body.size() < 18) return decode_checked(body, limit);
  const auto* tail = reinterpret_cast<const unsigned char*>(body.data() + body.size() - 4);
  const std::size_t isize = std::size_t{tail[0]} | std::size_t{tail[1]} << 8 |
                            std::size_t{tail[2]} << 16 | std::size_t{tail[3]} << 24;
  // ISIZE (the size modulo 2^32) comes from upstream: one over the limit allocates nothing. A
  // cut body's last four bytes are no trailer, so the inflate without output says which it is.
  if (isize > limit) return decode_checked(body, limit);
  libdeflate_decompressor* const d = decompressor();
  if (d == nullptr) return decode_checked(body, limit);
  // resize() zero-fills (resize_and_overwrite is C++23): about 2 % of the inflate's time, and
  // it touches the pages libdeflate writes next.
  std::string out;
  out.resize(isize + kPadding);
  std::size_t written = 0;
  const auto rc = libdeflate_gzip_decompress(d, body.data(), body.size(), out.data(), isize,
                                             &written);
  out.resize(written);
  // libdeflate has checked the CRC and that the output is ISIZE bytes; any other outcome (more
  // output than the trailer says, corrupt, cut) is classified by the streaming decoder.
  if (rc != LIBDEFLATE_SUCCESS || written != isize) return decode_checked(body, limit);
  body.swap(out);  // not move-assignment: GCC 12 -O2 warns falsely there (-Wrestrict)
  return GunzipStatus::ok;
}

GunzipStatus gunzip_body_streaming(std::string& body, std::size_t limit) {
  z_stream zs{};
  if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK) return GunzipStatus::corrupt;
  constexpr std::size_t kChunk = std::size_t{64} * 1024;
  std::string out;
  out.reserve(std::min(limit, body.size() * 4) + kPadding);
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
  if (out.capacity() < out.size() + kPadding) out.reserve(out.size() + kPadding);
  body.swap(out);  // not move-assignment: GCC 12 -O2 warns falsely there (-Wrestrict)
  return status;
}

}  // namespace partnersync::http
