// Plain string building: the page is small, has no template engine to pull in, and every
// value from outside goes through html_escape() on its way in.
#include "daemon/service/status_page.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

namespace partnersync::service {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

constexpr double kBarWidth = 1000;  // SVG user units; the bar scales to the cell
constexpr double kMinGapWidth = 3;  // a one-day gap over years must still show
constexpr int kGapsListed = 3;

std::string day_text(sys_days day) {
  const std::chrono::year_month_day ymd(day);
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return text;
}

std::string time_text(std::chrono::sys_seconds time) {
  const auto day = std::chrono::floor<days>(time);
  const std::chrono::hh_mm_ss hms(time - day);
  char text[16];
  std::snprintf(text, sizeof text, " %02d:%02d UTC", static_cast<int>(hms.hours().count()),
                static_cast<int>(hms.minutes().count()));
  return day_text(day) + text;
}

std::string age_text(std::chrono::seconds age) {
  const auto s = age.count();
  if (s < 0) return "just now";
  if (s < 120) return std::to_string(s) + " s ago";
  if (s < 2L * 3600) return std::to_string(s / 60) + " min ago";
  if (s < 2L * 86400) return std::to_string(s / 3600) + " h ago";
  return std::to_string(s / 86400) + " days ago";
}

std::string number_text(std::int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += "\u202f";  // narrow no-break space
    out += digits[i];
  }
  return value < 0 ? "-" + out : out;
}

std::string css_class(std::string_view state) {
  std::string out;
  for (char c : state) out += (c >= 'a' && c <= 'z') ? c : (c >= 'A' && c <= 'Z') ? c + 32 : '-';
  return out;
}

std::string fixed(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", value);
  return text;
}

// Rounded down: 99.97% must not read as fully synced.
std::string percent_text(double percent) {
  char text[16];
  std::snprintf(text, sizeof text, "%.1f", std::floor(percent * 10) / 10);
  return text;
}

// Coverage clipped to [start, today], merged, sorted; the gaps are what lies between.
std::vector<CoverageInterval> merged_coverage(const StreamStatus& row, sys_days today) {
  std::vector<CoverageInterval> in;
  for (auto c : row.coverage) {
    c.from = std::max(c.from, row.start_date);
    c.to = std::min(c.to, today);
    if (c.from <= c.to) in.push_back(c);
  }
  std::sort(in.begin(), in.end(), [](auto& a, auto& b) { return a.from < b.from; });
  std::vector<CoverageInterval> out;
  for (const auto& c : in) {
    if (!out.empty() && c.from <= out.back().to + days(1))
      out.back().to = std::max(out.back().to, c.to);
    else
      out.push_back(c);
  }
  return out;
}

std::string coverage_cell(const StreamStatus& row, sys_days today) {
  if (!row.windowed) return "<span class=\"muted\">not windowed</span>";
  if (row.start_date > today)
    return "<span class=\"muted\">starts " + day_text(row.start_date) + "</span>";
  const auto covered = merged_coverage(row, today);
  std::vector<CoverageInterval> gaps;
  sys_days next = row.start_date;
  for (const auto& c : covered) {
    if (c.from > next) gaps.push_back({next, c.from - days(1)});
    next = c.to + days(1);
  }
  if (next <= today) gaps.push_back({next, today});

  const double span = static_cast<double>((today - row.start_date).count() + 1);
  auto x_of = [&](sys_days d) {
    return static_cast<double>((d - row.start_date).count()) / span * kBarWidth;
  };
  long covered_days = 0;
  for (const auto& c : covered) covered_days += (c.to - c.from).count() + 1;
  const double percent = 100.0 * static_cast<double>(covered_days) / span;

  std::string summary = day_text(row.start_date) + " \u2013 " + day_text(today) + ": " +
                        percent_text(percent) + "% synced";
  if (gaps.empty()) {
    summary += ", no gap";
  } else {
    summary += ", " + std::to_string(gaps.size()) + (gaps.size() == 1 ? " gap: " : " gaps: ");
    for (std::size_t i = 0; i < gaps.size() && i < kGapsListed; ++i) {
      if (i > 0) summary += ", ";
      summary += day_text(gaps[i].from);
      if (gaps[i].to != gaps[i].from) summary += " \u2013 " + day_text(gaps[i].to);
    }
    if (gaps.size() > kGapsListed)
      summary += " and " + std::to_string(gaps.size() - kGapsListed) + " more";
  }

  std::string svg =
      "<svg class=\"coverage\" viewBox=\"0 0 1000 12\" preserveAspectRatio=\"none\" "
      "role=\"img\" aria-label=\"" +
      summary + "\"><title>" + summary + "</title>";
  for (const auto& c : covered) {
    const double x = x_of(c.from), w = x_of(c.to + days(1)) - x;
    svg += "<rect class=\"covered\" data-from=\"" + day_text(c.from) + "\" data-to=\"" +
           day_text(c.to) + "\" x=\"" + fixed(x) + "\" y=\"0\" width=\"" + fixed(w) +
           "\" height=\"12\"/>";
  }
  for (const auto& g : gaps) {
    double x = x_of(g.from), w = x_of(g.to + days(1)) - x;
    if (w < kMinGapWidth) {
      x = std::max(0.0, std::min(x, kBarWidth - kMinGapWidth));
      w = kMinGapWidth;
    }
    svg += "<rect class=\"gap\" data-from=\"" + day_text(g.from) + "\" data-to=\"" +
           day_text(g.to) + "\" x=\"" + fixed(x) + "\" y=\"0\" width=\"" + fixed(w) +
           "\" height=\"12\"/>";
  }
  svg += "</svg>";
  return svg + "<div class=\"muted small\">" + summary + "</div>";
}

constexpr std::string_view kStyle = R"(
body{font:15px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;padding:1rem;
color:#1d232a;background:#f6f7f9}
h1{font-size:1.3rem;margin:0 0 .25rem}
.muted{color:#5f6b7a}.small{font-size:.8rem}
table{border-collapse:collapse;width:100%;background:#fff;box-shadow:0 1px 2px #0002}
th,td{text-align:left;vertical-align:top;padding:.45rem .6rem;border-bottom:1px solid #e3e6ea}
th{font-size:.8rem;text-transform:uppercase;letter-spacing:.03em;color:#5f6b7a}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.cov{min-width:14rem}
.state{display:inline-block;white-space:nowrap;padding:0 .45rem;border-radius:.6rem;font-size:.85rem;background:#e3e6ea}
.state-ok .state{background:#d3f0dc;color:#11602f}
.state-failed .state{background:#f9d6d5;color:#8c1d18}
.state-running .state{background:#d7e6fb;color:#174a8c}
svg.coverage{display:block;width:100%;height:12px;background:#e3e6ea;border-radius:2px}
rect.covered{fill:#2f9e55}rect.gap{fill:#d93d35}
.error{color:#8c1d18;word-break:break-word}
@media (max-width:700px){
 table,tbody,tr,td{display:block;width:auto}thead{display:none}
 tr{margin:0 0 .8rem;border-bottom:2px solid #c9ced6}
 td{border:0;padding:.2rem .6rem}td.num{text-align:left}td:empty{display:none}
 td::before{content:attr(data-label) ": ";font-size:.75rem;color:#5f6b7a;text-transform:uppercase}
}
)";

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string render_status_page(const StatusPageInput& input) {
  int failing = 0;
  for (const auto& s : input.streams) failing += s.state == "failed" ? 1 : 0;

  std::string page;
  page.reserve(4096 + input.streams.size() * 1024);
  page +=
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta http-equiv=\"refresh\" content=\"" +
      std::to_string(input.refresh_seconds) + "\"><title>partnersync status</title><style>" +
      std::string(kStyle) + "</style></head><body>\n<h1>partnersync</h1>\n<p class=\"muted\">" +
      std::to_string(input.streams.size()) + " streams, " + std::to_string(failing) +
      " failing \u00b7 as of " + time_text(input.now) + " \u00b7 version " +
      html_escape(input.version) + " \u00b7 refreshes every " +
      std::to_string(input.refresh_seconds) + " s</p>\n";
  page +=
      "<table><thead><tr><th>Source</th><th>Stream</th><th>State</th><th>Last success</th>"
      "<th>Synced coverage</th><th>Rows</th><th>Last error</th></tr></thead><tbody>\n";
  for (const auto& s : input.streams) {
    page += "<tr class=\"stream state-" + css_class(s.state) + "\"><td data-label=\"Source\">" +
            html_escape(s.source) + "</td><td data-label=\"Stream\">" + html_escape(s.stream) +
            "</td><td data-label=\"State\"><span class=\"state\">" + html_escape(s.state) +
            "</span></td><td data-label=\"Last success\">";
    if (s.last_success)
      page +=
          time_text(*s.last_success) + "<div class=\"muted small\">" +
          age_text(std::chrono::duration_cast<std::chrono::seconds>(input.now - *s.last_success)) +
          "</div>";
    else
      page += "<span class=\"muted\">never</span>";
    page += "</td><td class=\"cov\" data-label=\"Synced coverage\">" +
            coverage_cell(s, input.today) + "</td><td class=\"num\" data-label=\"Rows\">" +
            (s.rows ? number_text(*s.rows) : std::string("\u2013")) +
            "</td><td class=\"error\" data-label=\"Last error\">" + html_escape(s.last_error) +
            "</td></tr>\n";
  }
  page += "</tbody></table>\n</body></html>\n";
  return page;
}

}  // namespace partnersync::service
