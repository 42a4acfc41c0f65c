// gzip response bodies: decoded in place, refused when they expand past the body limit,
// reported when cut short or not gzip at all.
#include "daemon/http/gzip_body.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

namespace partnersync::http {
namespace {

std::string gzip(const std::string& plain) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&zs, plain.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  zs.avail_in = static_cast<uInt>(plain.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST(GzipBody, DecodesWithSimdjsonPadding) {
  const std::string plain = R"({"result":[)" + std::string(200'000, ' ') + "]}";
  std::string body = gzip(plain);
  ASSERT_LT(body.size(), plain.size());
  ASSERT_EQ(gunzip_body(body, 1 << 20), GunzipStatus::ok);
  EXPECT_EQ(body, plain);
  EXPECT_GE(body.capacity(), body.size() + 64);
}

TEST(GzipBody, ExpansionPastLimitIsRefused) {
  std::string body = gzip(std::string(1 << 20, 'a'));
  const std::string compressed = body;
  EXPECT_EQ(gunzip_body(body, 100'000), GunzipStatus::too_large);
  EXPECT_EQ(body, compressed);
}

TEST(GzipBody, TruncatedAndCorruptBodiesAreReported) {
  std::string body = gzip(std::string(100'000, 'x') + "end");
  std::string truncated = body.substr(0, body.size() / 2);
  EXPECT_EQ(gunzip_body(truncated, 1 << 20), GunzipStatus::truncated);
  std::string garbage = "this is not gzip";
  EXPECT_EQ(gunzip_body(garbage, 1 << 20), GunzipStatus::corrupt);
}

}  // namespace
}  // namespace partnersync::http
