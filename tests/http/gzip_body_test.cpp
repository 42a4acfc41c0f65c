// gzip response bodies: decoded in place, refused when they expand past the body limit,
// reported when cut short or not gzip at all.
#include "daemon/http/gzip_body.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <cstdlib>
#include <new>
#include <random>

// The largest single allocation while `track_allocations` is set on this thread: the body
// limit must hold before the output is allocated, whatever the gzip trailer says.
namespace {
thread_local bool track_allocations = false;
thread_local std::size_t largest_allocation = 0;
}  // namespace

void* operator new(std::size_t n) {
  if (track_allocations) largest_allocation = std::max(largest_allocation, n);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace partnersync::http {
namespace {

std::size_t largest_allocation_of(const std::function<void()>& work) {
  largest_allocation = 0;
  track_allocations = true;
  work();
  track_allocations = false;
  return largest_allocation;
}

// The gzip trailer's ISIZE (last four bytes, little-endian) replaced.
std::string with_isize(std::string gz, std::uint32_t isize) {
  for (int i = 0; i < 4; ++i) gz[gz.size() - 4 + i] = static_cast<char>((isize >> (8 * i)) & 0xff);
  return gz;
}

// JSON-like text that compresses about as well as the API's bodies (not a run of one byte).
std::string license_like(std::size_t records) {
  std::mt19937 rng(7);
  std::string out = R"({"result":[)";
  for (std::size_t i = 0; i < records; ++i) {
    out += (i ? "," : "");
    out += R"({"creation_timestamp":"2025-01-)" + std::to_string(10 + rng() % 20) +
           R"( 12:00:00","client_email":"a...)" + std::to_string(rng() % 100000) +
           R"(@e...m","seats":)" + std::to_string(rng() % 50) + "}";
  }
  return out + "]}";
}

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

TEST(GzipBody, BothDecodersAgreeOnARealisticBody) {
  const std::string plain = license_like(20000);
  std::string fast = gzip(plain), streaming = fast;
  ASSERT_EQ(gunzip_body(fast, plain.size()), GunzipStatus::ok);
  ASSERT_EQ(gunzip_body_streaming(streaming, plain.size()), GunzipStatus::ok);
  EXPECT_EQ(fast, plain);
  EXPECT_EQ(streaming, plain);
  EXPECT_GE(fast.capacity(), fast.size() + 64);
  std::string one_short = gzip(plain);
  EXPECT_EQ(gunzip_body(one_short, plain.size() - 1), GunzipStatus::too_large);
}

TEST(GzipBody, TheLimitHoldsBeforeTheOutputIsAllocatedWhateverTheTrailerSays) {
  const std::string plain(8 << 20, 'a');  // 8 MiB inflating from a few KiB
  const std::size_t limit = 1 << 20;
  const std::string honest = gzip(plain);
  ASSERT_LT(honest.size(), 64u << 10);
  for (const std::uint32_t isize : {std::uint32_t{8} << 20, std::uint32_t{100}, 0xffffffffu}) {
    SCOPED_TRACE(isize);
    std::string body = with_isize(honest, isize);
    GunzipStatus status = GunzipStatus::ok;
    const auto largest = largest_allocation_of([&] { status = gunzip_body(body, limit); });
    EXPECT_EQ(status, GunzipStatus::too_large);
    EXPECT_LT(largest, std::size_t{128} << 10) << "allocated for output past the limit";
    EXPECT_EQ(body, with_isize(honest, isize));
  }
}

TEST(GzipBody, ATrailerThatLiesAboutASmallBodyIsCorrupt) {
  const std::string plain = license_like(1000);
  for (const std::uint32_t isize :
       {static_cast<std::uint32_t>(plain.size() - 1), static_cast<std::uint32_t>(plain.size() + 1),
        0xffffffffu}) {
    std::string body = with_isize(gzip(plain), isize);
    EXPECT_EQ(gunzip_body(body, 1 << 20), GunzipStatus::corrupt) << isize;
  }
}

TEST(GzipBody, CutBodiesAreTruncatedWhereverTheyAreCut) {
  const std::string gz = gzip(license_like(5000));
  for (std::size_t keep : {gz.size() / 3, gz.size() / 2, gz.size() - 9, gz.size() - 1}) {
    std::string body = gz.substr(0, keep);
    EXPECT_EQ(gunzip_body(body, 1 << 20), GunzipStatus::truncated) << keep;
  }
}

}  // namespace
}  // namespace partnersync::http
