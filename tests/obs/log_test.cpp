// The logger: secrets never reach a sink, json format writes one valid object per line.
#include "daemon/obs/log.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <sstream>

#include "daemon/obs/redact.hpp"

namespace partnersync::obs {
namespace {

class LogCapture : public ::testing::Test {
 protected:
  std::string capture(LogFormat format, const std::function<void()>& emit) {
    std::ostringstream out;
    init_logging_to(std::make_shared<spdlog::sinks::ostream_sink_mt>(out), format, "trace");
    emit();
    spdlog::default_logger()->flush();
    return out.str();
  }
};

TEST_F(LogCapture, TokenApikeyAndDsnPasswordNeverReachTheSink) {
  const std::string text = capture(LogFormat::text, [] {
    spdlog::info("request with Authorization: Bearer tok-SECRET-1");
    spdlog::warn("GET https://x.ladesk.com/api/resellers/r/licenses?apikey=KEY-SECRET-2 failed");
    spdlog::error("database postgresql://u:PASS-SECRET-3@127.0.0.1:5432/db unreachable");
    spdlog::debug("dsn host=127.0.0.1 password=PASS-SECRET-4");
  });
  EXPECT_EQ(text.find("SECRET"), std::string::npos) << text;
  EXPECT_NE(text.find("apikey=***"), std::string::npos) << text;
}

TEST_F(LogCapture, JsonFormatWritesOneEscapedObjectPerLine) {
  const std::string text = capture(LogFormat::json, [] {
    spdlog::info("quote \" backslash \\ newline\n end");
    spdlog::warn("second");
  });
  std::istringstream lines(text);
  std::string line;
  int count = 0;
  while (std::getline(lines, line)) {
    ++count;
    EXPECT_EQ(line.front(), '{');
    EXPECT_EQ(line.back(), '}');
    EXPECT_NE(line.find(R"("level":")"), std::string::npos);
  }
  EXPECT_EQ(count, 2);
  EXPECT_NE(text.find(R"(quote \" backslash \\ newline\n end)"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("level":"warning")"), std::string::npos) << text;
}

TEST_F(LogCapture, LevelFiltersLowerSeverities) {
  const std::string text = capture(LogFormat::text, [] {
    ASSERT_TRUE(set_log_level("warn"));
    spdlog::info("hidden-line");
    spdlog::warn("shown-line");
  });
  EXPECT_EQ(text.find("hidden-line"), std::string::npos);
  EXPECT_NE(text.find("shown-line"), std::string::npos);
}

TEST(LogLevel, UnknownLevelNameIsRejected) { EXPECT_FALSE(set_log_level("verbose")); }

}  // namespace
}  // namespace partnersync::obs
