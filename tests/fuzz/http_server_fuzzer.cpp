// libFuzzer target: bytes a client sends to the daemon's HTTP server, through the code serve()
// runs (answer_raw_requests: Beast's request parser with the header limit, the request cut
// short, routing, HEAD, keep-alive). Every answer is an HTTP/1.x response that a client can
// parse; a request whose header is complete is answered (never left to the read timeout);
// an answer of 400 or more closes the connection. The first byte chooses the read size, the
// header limit and whether a handler throws.
#include <spdlog/spdlog.h>

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "daemon/service/http_server.hpp"

namespace {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using partnersync::service::HttpAnswer;

// The answers, parsed back as a client would: each header well formed with a known status, a
// body of its Content-Length (or none: a HEAD answer, followed by the next answer or nothing),
// nothing after an answer that closes the connection. Returns how many there were.
std::size_t check_answers(std::string_view out, bool throwing) {
  std::size_t count = 0;
  while (!out.empty()) {
    bhttp::response_parser<bhttp::empty_body> parser;
    parser.skip(true);  // the header only: bodies are counted below
    beast::error_code ec;
    const std::size_t used = parser.put(boost::asio::buffer(out.data(), out.size()), ec);
    if (ec || !parser.is_header_done()) __builtin_trap();  // not a response a client can read
    out.remove_prefix(used);
    const auto& res = parser.get();
    const unsigned status = res.result_int();
    if (status != 200 && status != 400 && status != 404 && status != 405 && status != 431 &&
        !(throwing && status == 500))
      __builtin_trap();
    if (status >= 400 && res.keep_alive()) __builtin_trap();
    const auto length = parser.content_length();
    if (!length) __builtin_trap();  // every answer says how long it is
    if (!out.empty() && !out.starts_with("HTTP/")) {
      if (out.size() < *length) __builtin_trap();
      out.remove_prefix(*length);
    }
    ++count;
    if (!res.keep_alive() && !out.empty()) __builtin_trap();  // nothing after the last answer
  }
  return count;
}

}  // namespace

// The throwing handler is logged at error level on every run: not what a fuzzer should print.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const unsigned knob = data[0];
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);

  const bool throwing = (knob & 0x80) != 0;
  partnersync::service::HttpHandlers handlers;
  handlers.healthz = [] { return HttpAnswer{200, "text/plain; charset=utf-8", "ok\n"}; };
  handlers.metrics = [] {
    return HttpAnswer{200, "text/plain; version=0.0.4", "# TYPE up gauge\nup 1\n"};
  };
  handlers.status_page = [throwing]() -> HttpAnswer {
    if (throwing) throw std::runtime_error("status page failed");
    return HttpAnswer{200, "text/html; charset=utf-8", "<!doctype html><p>ok</p>\n"};
  };
  // readyz left empty: answered 404, as a server without that handler does.
  partnersync::service::HttpServerOptions options;
  static constexpr std::size_t kHeaderLimits[] = {8 * 1024, 64, 256, 1024};
  options.max_header_bytes = kHeaderLimits[(knob >> 5) & 3];
  static constexpr std::size_t kReadSizes[] = {4096, 1, 2, 3, 7, 16, 100, 1000};
  const std::size_t read_size = kReadSizes[(knob >> 2) & 7];

  const std::string out =
      partnersync::service::answer_raw_requests(bytes, handlers, options, read_size);
  const std::size_t answers = check_answers(out, throwing);
  // A blank line ends a header: a request whose header arrived whole is answered (9e85374).
  if (answers == 0 && bytes.find("\r\n\r\n") != std::string_view::npos) __builtin_trap();
  return 0;
}
