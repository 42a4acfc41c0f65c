// The shipped Grafana files as Grafana needs them (ids, data source, layout, variables, no
// secrets or hard-wired hosts) and the macro expansion the warehouse test relies on.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>
#include <string>

#include "tests/bi/dashboard_queries.hpp"

namespace partnersync {
namespace {

using namespace bi_testing;

const std::set<std::string> kTitles = {
    "partnersync / Partner earnings", "partnersync / Trials to paid", "partnersync / Campaigns",
    "partnersync / LiveAgent resold accounts", "partnersync / Sync health"};

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool names_source_variable(const std::string& sql) {
  return sql.find("$source") != std::string::npos || sql.find("${source") != std::string::npos;
}

TEST(GrafanaDashboards, TheFiveDashboardsAreThereWithUniqueUidsAndACurrentSchemaVersion) {
  const auto dashboards = load_dashboards();
  std::set<std::string> titles, uids;
  for (const auto& d : dashboards) {
    titles.insert(d.title);
    EXPECT_TRUE(uids.insert(d.uid).second) << d.file << ": uid " << d.uid << " twice";
    EXPECT_EQ(d.uid.rfind("partnersync-", 0), 0u) << d.file << ": uid " << d.uid;
    EXPECT_LE(d.uid.size(), 40u) << d.file << ": Grafana uids are at most 40 characters";
    // Grafana 10.0 writes 38, 11.x 39..41; older numbers make Grafana migrate the panels.
    EXPECT_GE(d.schema_version, 38) << d.file;
    EXPECT_LE(d.schema_version, 41) << d.file;
  }
  EXPECT_EQ(titles, kTitles);
}

TEST(GrafanaDashboards, EveryPanelHasAUniqueIdAGridPositionAndThePartnersyncDataSource) {
  for (const auto& d : load_dashboards()) {
    ASSERT_FALSE(d.panels.empty()) << d.file;
    std::set<std::int64_t> ids;
    for (const auto& p : d.panels) {
      const std::string where = d.title + " / " + p.title;
      EXPECT_FALSE(p.title.empty()) << d.file << ": panel " << p.id << " has no title";
      EXPECT_GT(p.id, 0) << where;
      EXPECT_TRUE(ids.insert(p.id).second) << where << ": id " << p.id << " twice";
      EXPECT_TRUE(p.has_grid_pos) << where << ": no complete gridPos";
      EXPECT_LE(p.x + p.w, 24) << where << ": wider than the 24-column grid";
      EXPECT_EQ(p.datasource_uid, "partnersync") << where;
      ASSERT_FALSE(p.targets.empty()) << where << ": no query";
      std::set<std::string> ref_ids;
      for (const auto& t : p.targets) {
        EXPECT_EQ(t.datasource_uid, "partnersync") << where << " target " << t.ref_id;
        EXPECT_TRUE(ref_ids.insert(t.ref_id).second) << where << ": refId " << t.ref_id;
        EXPECT_FALSE(t.raw_sql.empty()) << where << " target " << t.ref_id;
        EXPECT_TRUE(t.format == "table" || t.format == "time_series")
            << where << ": format " << t.format;
        EXPECT_TRUE(names_source_variable(t.raw_sql))
            << where << ": the query ignores the source variable";
      }
    }
    // Panels must not overlap: Grafana would move them around on load.
    for (std::size_t i = 0; i < d.panels.size(); ++i) {
      for (std::size_t j = i + 1; j < d.panels.size(); ++j) {
        const auto& a = d.panels[i];
        const auto& b = d.panels[j];
        const bool overlap =
            a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        EXPECT_FALSE(overlap) << d.title << ": " << a.title << " overlaps " << b.title;
      }
    }
  }
}

TEST(GrafanaDashboards, EachHasAMultiValueSourceVariableAndUsesTheTimeRangeMacros) {
  for (const auto& d : load_dashboards()) {
    const auto source = std::find_if(d.variables.begin(), d.variables.end(),
                                     [](const Variable& v) { return v.name == "source"; });
    ASSERT_NE(source, d.variables.end()) << d.file;
    EXPECT_EQ(source->type, "query") << d.file;
    EXPECT_EQ(source->datasource_uid, "partnersync") << d.file;
    EXPECT_EQ(source->query.rfind("SELECT DISTINCT source FROM bi.", 0), 0u)
        << d.file << ": " << source->query;
    EXPECT_TRUE(source->multi && source->include_all) << d.file;
    for (const auto& v : d.variables) {
      if (v.type == "query") {
        EXPECT_EQ(v.datasource_uid, "partnersync") << d.file << " $" << v.name;
      }
    }
    bool time_filter = false, time_group = false;
    for (const auto& p : d.panels) {
      for (const auto& t : p.targets) {
        time_filter |= t.raw_sql.find("$__timeFilter(") != std::string::npos;
        time_group |= t.raw_sql.find("$__timeGroupAlias(") != std::string::npos;
        if (t.format == "time_series") {
          EXPECT_NE(t.raw_sql.find("$__timeGroupAlias("), std::string::npos)
              << d.title << " / " << p.title << ": a time series needs a time column";
        }
      }
    }
    EXPECT_TRUE(time_filter) << d.file << ": no panel follows the time range";
    EXPECT_TRUE(time_group) << d.file << ": no panel groups by time";
  }
}

TEST(GrafanaDashboards, HoldNoAbsoluteUrlNoHostAndNoSecret) {
  for (const auto& d : load_dashboards()) {
    for (const auto& s : d.strings) {
      // A link may only be relative or take its host from a variable the user sets.
      const auto scheme = s.find("://");
      if (scheme != std::string::npos) {
        EXPECT_EQ(s.compare(scheme + 3, 2, "${"), 0) << d.file << ": absolute URL " << s;
      }
      const auto l = lower(s);
      for (const char* word : {"password", "secret", "apikey", "api_key", "token", "bearer ",
                               "postgresql:", "postgres:", "localhost"}) {
        EXPECT_EQ(l.find(word), std::string::npos) << d.file << ": \"" << word << "\" in " << s;
      }
    }
  }
  const auto dashboards = load_dashboards();
  const auto& health = dashboard_titled(dashboards, "partnersync / Sync health");
  EXPECT_NE(std::find(health.link_urls.begin(), health.link_urls.end(), "http://${daemon}/"),
            health.link_urls.end())
      << "the sync health dashboard links to the daemon's status page";
}

TEST(GrafanaProvisioning, DataSourceIsUidPartnersyncWithTheBiUserAndAPasswordFile) {
  const auto yaml = read_source_file("deploy/grafana/provisioning/datasources/partnersync.yaml");
  for (const char* expected :
       {"uid: partnersync\n", "user: ${PARTNERSYNC_BI_USER}\n", "password: $__file{",
        "sslmode: ${PARTNERSYNC_DB_SSLMODE}\n", "postgresVersion: 1500\n", "timescaledb: false\n",
        "type: postgres\n"}) {
    EXPECT_NE(yaml.find(expected), std::string::npos) << expected;
  }
  const auto providers =
      read_source_file("deploy/grafana/provisioning/dashboards/partnersync.yaml");
  EXPECT_NE(providers.find("type: file\n"), std::string::npos);
  EXPECT_NE(providers.find("path: ${PARTNERSYNC_DASHBOARDS}\n"), std::string::npos);
}

// ---- the expansion the warehouse test uses ----------------------------------------------------

const TimeRange kRange{1709251200, 1711929600};  // 2024-03-01 .. 2024-04-01 UTC

TEST(GrafanaMacros, ExpandLikeThePostgresDataSource) {
  const VariableValues vars = {{"source", {{"acme", "o'neil"}, true}}, {"one", {{"x"}, false}}};
  EXPECT_EQ(expand_grafana_sql("WHERE $__timeFilter(day)", kRange, vars),
            "WHERE day BETWEEN '2024-03-01T00:00:00Z' AND '2024-04-01T00:00:00Z'");
  EXPECT_EQ(expand_grafana_sql("SELECT $__timeGroupAlias(created_at, '1d')", kRange, vars),
            "SELECT floor(extract(epoch from created_at)/86400)*86400 AS \"time\"");
  EXPECT_EQ(expand_grafana_sql("$__timeGroup(date_trunc('month', t), 1h, 0)", kRange, vars),
            "floor(extract(epoch from date_trunc('month', t))/3600)*3600");
  EXPECT_EQ(expand_grafana_sql("$__timeGroup(t, $__interval)", kRange, vars),
            "floor(extract(epoch from t)/86400)*86400");
  EXPECT_EQ(expand_grafana_sql("$__timeFrom() $__timeTo()", kRange, vars),
            "'2024-03-01T00:00:00Z' '2024-04-01T00:00:00Z'");
  EXPECT_EQ(expand_grafana_sql("$__unixEpochFilter(ts) $__unixEpochFrom()", kRange, vars),
            "ts >= 1709251200 AND ts <= 1711929600 1709251200");
  EXPECT_EQ(expand_grafana_sql("$__unixEpochGroupAlias(ts, 1d)", kRange, vars),
            "floor(ts/86400)*86400 AS \"time\"");
  EXPECT_EQ(expand_grafana_sql("$__time(day), $__timeEpoch(day)", kRange, vars),
            "day AS \"time\", extract(epoch from day) AS \"time\"");
  EXPECT_EQ(expand_grafana_sql("source IN ($source)", kRange, vars),
            "source IN ('acme','o''neil')");
  EXPECT_EQ(expand_grafana_sql("IN (${source:sqlstring}) [[source]] ${source:csv}", kRange, vars),
            "IN ('acme','o''neil') 'acme','o''neil' acme,o'neil");
  EXPECT_EQ(expand_grafana_sql("${source:doublequote} ${source:pipe} $one", kRange, vars),
            "\"acme\",\"o'neil\" acme|o'neil x");
  EXPECT_THROW(expand_grafana_sql("$__timeFiltr(day)", kRange, vars), std::invalid_argument);
  EXPECT_THROW(expand_grafana_sql("$__timeFilter(a, b)", kRange, vars), std::invalid_argument);
  EXPECT_THROW(expand_grafana_sql("$__timeGroup(t, '1y')", kRange, vars), std::invalid_argument);
  EXPECT_THROW(expand_grafana_sql("IN ($sourc)", kRange, vars), std::invalid_argument);
  EXPECT_THROW(expand_grafana_sql("${source:json}", kRange, vars), std::invalid_argument);
}

TEST(MetabaseGuide, SqlBlocksAreFoundUnderTheirHeadings) {
  const auto blocks = sql_blocks(
      "# Guide\n```sh\nnot sql\n```\n## First question\ntext\n```sql\nSELECT 1;\n```\n"
      "### Second\n```sql\nSELECT 2\nFROM x\n```\n");
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].heading, "First question");
  EXPECT_EQ(blocks[0].sql, "SELECT 1;\n");
  EXPECT_EQ(blocks[1].heading, "Second");
  EXPECT_EQ(blocks[1].sql, "SELECT 2\nFROM x\n");
  EXPECT_THROW(sql_blocks("```sql\nSELECT 1\n"), std::runtime_error);
  EXPECT_GE(metabase_questions().size(), 5u) << "deploy/metabase.md has five example questions";
}

}  // namespace
}  // namespace partnersync
