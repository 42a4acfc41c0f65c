// The redacting logger: a sink wrapper masks secrets before any sink sees the message, so no
// code path can log a token, whatever it formats.
#include "daemon/obs/log.hpp"

#include <fmt/chrono.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/formatter.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "daemon/obs/json_text.hpp"
#include "daemon/obs/redact.hpp"

namespace partnersync::obs {
namespace {

// Formats one log record as a JSON object: {"ts":..,"level":..,"msg":..}.
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    std::string line = R"({"ts":")";
    const auto since_epoch = msg.time.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_epoch);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(since_epoch - seconds);
    line += fmt::format("{:%FT%T}.{:03}Z", fmt::gmtime(static_cast<std::time_t>(seconds.count())),
                        millis.count());
    line += R"(","level":")";
    line += spdlog::level::to_string_view(msg.level).data();
    line += R"(","msg":")";
    append_json_escaped(line, std::string_view(msg.payload.data(), msg.payload.size()));
    line += "\"}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

// Redacts the payload, then hands the record to the wrapped sink.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit RedactingSink(std::shared_ptr<spdlog::sinks::sink> inner) : inner_(std::move(inner)) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    const std::string clean = redact(std::string_view(msg.payload.data(), msg.payload.size()));
    spdlog::details::log_msg copy(msg.time, msg.source, msg.logger_name, msg.level, clean);
    inner_->log(copy);
  }
  void flush_() override { inner_->flush(); }
  void set_formatter_(std::unique_ptr<spdlog::formatter> f) override {
    inner_->set_formatter(std::move(f));
  }
  void set_pattern_(const std::string& pattern) override { inner_->set_pattern(pattern); }

 private:
  std::shared_ptr<spdlog::sinks::sink> inner_;
};

void install(std::shared_ptr<spdlog::sinks::sink> sink, LogFormat format, std::string_view level) {
  auto redacting = std::make_shared<RedactingSink>(std::move(sink));
  if (format == LogFormat::json) {
    redacting->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    redacting->set_formatter(std::make_unique<spdlog::pattern_formatter>(
        "%Y-%m-%dT%H:%M:%S.%eZ %^%l%$ %v", spdlog::pattern_time_type::utc));
  }
  auto logger = std::make_shared<spdlog::logger>("partnersync", std::move(redacting));
  logger->set_level(spdlog::level::trace);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  set_log_level(level);
}

}  // namespace

bool set_log_level(std::string_view level) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") return false;
  spdlog::set_level(parsed);
  return true;
}

void init_logging(LogFormat format, std::string_view level) {
  install(std::make_shared<spdlog::sinks::stderr_color_sink_mt>(), format, level);
}

void init_logging_to(std::shared_ptr<spdlog::sinks::sink> sink, LogFormat format,
                     std::string_view level) {
  install(std::move(sink), format, level);
}

}  // namespace partnersync::obs
