// libFuzzer target: gzip response bodies through gunzip_body (libdeflate sized by the trailer,
// zlib when the trailer lies or the body is cut) and gunzip_body_streaming. Never a crash, the
// decoded body never over the limit, a refused body left untouched, and both decoders agree on
// what is ok and on the bytes. The first 2 bytes choose the limit (0 to 64 KiB, or 256 KiB:
// four of the streaming decoder's 64 KiB steps; larger ones only slow every run down).
#include <cstddef>
#include <cstdint>
#include <string>

#include "daemon/http/gzip_body.hpp"

namespace {

using partnersync::http::GunzipStatus;

constexpr std::size_t kPadding = 64;  // what simdjson may read past the end

// Decodes a copy of `input` with `decode`: an ok body within the limit and padded, a refused
// body left as it came.
template <class Decode>
GunzipStatus check(Decode decode, const std::string& input, std::size_t limit, std::string& out) {
  out = input;
  const GunzipStatus status = decode(out, limit);
  if (status == GunzipStatus::ok) {
    if (out.size() > limit) __builtin_trap();
    if (out.capacity() < out.size() + kPadding) __builtin_trap();
  } else if (out != input) {
    __builtin_trap();
  }
  return status;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const unsigned knob = data[0] | unsigned{data[1]} << 8;
  const std::size_t limit = knob == 0xffff ? std::size_t{256} << 10 : knob;
  const std::string input(reinterpret_cast<const char*>(data + 2), size - 2);

  std::string whole, streamed;
  const GunzipStatus whole_status = check(partnersync::http::gunzip_body, input, limit, whole);
  const GunzipStatus streamed_status =
      check(partnersync::http::gunzip_body_streaming, input, limit, streamed);
  // gunzip_body falls back to the streaming decoder for anything it cannot decode as sized, so
  // whatever zlib decodes within the limit gunzip_body decodes too, to the same bytes. The
  // converse does not hold, and is harmless: libdeflate skips the optional header CRC16 (FHCRC,
  // RFC 1952 section 2.3.1) that zlib checks (corpus-gzip/fhcrc_mismatch), and accepts some
  // malformed Huffman headers that zlib refuses ("invalid bit length repeat":
  // corpus-gzip/bit_length_repeat, found by CI's short run). What it returns then has still
  // passed the trailer's CRC32 and size.
  if (streamed_status == GunzipStatus::ok && whole_status != GunzipStatus::ok) __builtin_trap();
  if (whole_status == GunzipStatus::ok && streamed_status == GunzipStatus::ok && whole != streamed)
    __builtin_trap();
  return 0;
}
