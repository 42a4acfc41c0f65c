// Process-wide logging setup: spdlog's default logger with a sink that redacts every message,
// as text for terminals or one JSON object per line for journald/Loki.
#pragma once

#include <memory>
#include <string>
#include <string_view>

namespace spdlog::sinks {
class sink;
}

namespace partnersync::obs {

enum class LogFormat { text, json };

// "trace".."error" -> true and sets the level; false for an unknown name.
bool set_log_level(std::string_view level);

// Replaces the default logger with one writing to stderr in `format`.
void init_logging(LogFormat format, std::string_view level = "info");

// Replaces the default logger with one writing to `sink` (tests capture output this way);
// redaction still applies.
void init_logging_to(std::shared_ptr<spdlog::sinks::sink> sink, LogFormat format,
                     std::string_view level = "trace");

}  // namespace partnersync::obs
