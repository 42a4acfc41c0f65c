// The status page rendered from known rows: escaping and the coverage bar checked in the
// markup, then the page loaded in headless Chromium and its DOM checked as a browser built it.
#include "daemon/service/status_page.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "tests/support/process.hpp"

namespace partnersync {
namespace {

using namespace std::chrono;
using service::StatusPageInput;
using service::StreamStatus;

sys_days day(int y, unsigned m, unsigned d) { return sys_days(year(y) / month(m) / d); }

StatusPageInput known_rows() {
  StatusPageInput input;
  input.now = sys_seconds(day(2024, 12, 31)) + hours(9) + minutes(30);
  input.today = day(2024, 12, 31);
  StreamStatus earnings;
  earnings.source = "acme";
  earnings.stream = "earnings";
  earnings.state = "ok";
  earnings.last_success = input.now - minutes(12);
  earnings.windowed = true;
  earnings.start_date = day(2024, 1, 1);
  // April is missing: the gap the bar must show.
  earnings.coverage = {{day(2024, 5, 1), day(2024, 12, 31)}, {day(2024, 1, 1), day(2024, 3, 31)}};
  earnings.rows = 1234567;
  StreamStatus licenses;
  licenses.source = "acme";
  licenses.stream = "affiliate_licenses";
  licenses.state = "ok";
  licenses.last_success = input.now - hours(3);
  licenses.windowed = true;
  licenses.start_date = day(2024, 6, 1);
  licenses.coverage = {{day(2024, 6, 1), day(2024, 9, 30)}, {day(2024, 10, 1), day(2024, 12, 31)}};
  licenses.rows = 42;
  StreamStatus hostile;
  hostile.source = "acme-reseller";
  hostile.stream = "<script>alert(1)</script> & co";
  hostile.state = "failed";
  hostile.last_error = "HTTP 500 from upstream: <b onclick=\"x()\">Internal</b> & 'more'";
  StreamStatus agents;
  agents.source = "acme-desk";
  agents.stream = "agents";
  agents.state = "never run";
  return StatusPageInput{{earnings, licenses, hostile, agents}, input.now, input.today};
}

TEST(StatusPage, EscapesEverythingFromUpstreamAndTheDatabase) {
  const auto page = service::render_status_page(known_rows());
  EXPECT_EQ(page.find("<script"), std::string::npos);
  EXPECT_EQ(page.find("<b onclick"), std::string::npos);
  EXPECT_NE(page.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"), std::string::npos);
  EXPECT_NE(page.find("&lt;b onclick=&quot;x()&quot;&gt;Internal&lt;/b&gt; &amp; &#39;more&#39;"),
            std::string::npos);
  EXPECT_EQ(service::html_escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
}

TEST(StatusPage, CoverageBarDrawsTheGapBetweenSyncedIntervals) {
  const auto page = service::render_status_page(known_rows());
  EXPECT_NE(page.find("<rect class=\"gap\" data-from=\"2024-04-01\" data-to=\"2024-04-30\""),
            std::string::npos);
  EXPECT_NE(page.find("1 gap: 2024-04-01 \u2013 2024-04-30"), std::string::npos);
  // The adjacent intervals of the other stream are one bar without a gap.
  EXPECT_NE(page.find("<rect class=\"covered\" data-from=\"2024-06-01\" data-to=\"2024-12-31\""),
            std::string::npos);
  EXPECT_NE(page.find("100.0% synced, no gap"), std::string::npos);
  EXPECT_NE(page.find("<meta http-equiv=\"refresh\" content=\"30\">"), std::string::npos);
}

TEST(StatusPage, OneMissingDayOverYearsIsStillVisible) {
  StatusPageInput input;
  input.today = day(2024, 12, 31);
  input.now = sys_seconds(input.today);
  StreamStatus s;
  s.source = "a";
  s.stream = "b";
  s.state = "ok";
  s.windowed = true;
  s.start_date = day(2015, 1, 1);
  s.coverage = {{day(2015, 1, 1), day(2020, 2, 28)}, {day(2020, 3, 1), day(2024, 12, 31)}};
  const auto page = service::render_status_page(input = {{s}, input.now, input.today});
  std::smatch m;
  ASSERT_TRUE(std::regex_search(page, m,
                                std::regex("<rect class=\"gap\" data-from=\"2020-02-29\" "
                                           "data-to=\"2020-02-29\" x=\"[0-9.]+\" y=\"0\" "
                                           "width=\"([0-9.]+)\"")))
      << page;
  EXPECT_GE(std::stod(m[1]), 3.0);
  EXPECT_NE(page.find("99.9% synced"), std::string::npos);
}

std::string chromium_dom(const std::string& html_file) {
  char dir[] = "/tmp/ps-chromium.XXXXXX";
  EXPECT_NE(mkdtemp(dir), nullptr);
  const auto result = testing::run_process(
      {"/usr/bin/chromium", "--headless", "--no-sandbox", "--disable-gpu",
       "--disable-background-networking", "--disable-component-update", "--disable-sync",
       "--no-first-run", std::string("--user-data-dir=") + dir, "--dump-dom",
       "file://" + html_file},
      {}, 120);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  return result.out;
}

TEST(StatusPage, ChromiumShowsOneRowPerStreamEscapedTextAndTheGap) {
  const auto file =
      testing::write_temp_file("status.html", service::render_status_page(known_rows()));
  const auto dom = chromium_dom(file);
  ASSERT_NE(dom.find("</html>"), std::string::npos) << dom.substr(0, 500);

  std::ptrdiff_t rows = 0;
  for (auto pos = dom.find("<tr class=\"stream"); pos != std::string::npos;
       pos = dom.find("<tr class=\"stream", pos + 1))
    ++rows;
  EXPECT_EQ(rows, 4);
  // The browser built no element from upstream text: it is text, serialized escaped.
  EXPECT_EQ(dom.find("<script"), std::string::npos);
  EXPECT_EQ(dom.find("<b "), std::string::npos);
  EXPECT_NE(dom.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; co"), std::string::npos);
  EXPECT_NE(dom.find("<svg class=\"coverage\""), std::string::npos);
  EXPECT_NE(dom.find("<rect class=\"gap\" data-from=\"2024-04-01\" data-to=\"2024-04-30\""),
            std::string::npos);
}

}  // namespace
}  // namespace partnersync
