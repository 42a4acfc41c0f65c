// The LiveAgent declarations against 003's JSON examples (tests/fuzz/corpus/liveagent_*.json)
// through sync::RecordParser: documented fields land in columns, string prices stay exact,
// null is NULL, the impossible datetime is NULL and counted, error envelopes are errors.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>

#include "connectors/liveagent/liveagent_streams.hpp"
#include "daemon/sync/record_parser.hpp"
#include "daemon/sync/stream_spec.hpp"

namespace partnersync::connectors {
namespace {

using sync::StreamSpec;
using Row = std::map<std::string, std::optional<std::string>>;

const StreamSpec& spec(std::string_view name) {
  const StreamSpec* s = sync::find_stream_spec(SourceKind::liveagent_reseller, name);
  if (s == nullptr) throw std::runtime_error("no spec " + std::string(name));
  return *s;
}

// tests/fuzz/corpus/liveagent_<name>.json
std::string example(const std::string& name) {
  std::ifstream in(std::string(PARTNERSYNC_CORPUS_DIR) + "/liveagent_" + name + ".json");
  if (!in) throw std::runtime_error("no corpus file liveagent_" + name + ".json");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string copy_unescape(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '\\' || i + 1 == field.size()) {
      out += field[i];
      continue;
    }
    const char c = field[++i];
    out += c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
  }
  return out;
}

struct Parsed {
  std::vector<Row> rows;
  sync::ParseOutcome outcome;
};

// As the engine parses a response (engine.cpp parse()): split_body streams get their records
// wrapped as {"result": [...]}.
Parsed parse(const StreamSpec& s, const std::string& body, std::string_view parent = {}) {
  sync::RecordParser parser(s);
  std::string out;
  Parsed p;
  const sync::ParseContext context{"acme", "", parent};
  if (s.split_body != nullptr) {
    std::string wrapped = "{\"result\":[";
    const auto records = s.split_body(body);
    for (std::size_t i = 0; i < records.size(); ++i) wrapped += (i ? "," : "") + records[i];
    wrapped += "]}";
    sync::EndpointSpec split = s.endpoints.front();
    split.envelope = sync::Envelope::result_array;
    p.outcome = parser.parse(wrapped, split, context, out);
  } else {
    p.outcome = parser.parse(body, s.endpoints.front(), context, out);
  }
  const auto& names = parser.column_names();
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    Row row;
    std::size_t start = 0;
    for (std::size_t i = 0; i < names.size(); ++i) {
      const auto tab = line.find('\t', start);
      const std::string_view field =
          std::string_view(line).substr(start, tab == std::string::npos ? tab : tab - start);
      if (field == "\\N") {
        row[names[i]] = std::nullopt;
      } else {
        row[names[i]] = copy_unescape(field);
      }
      start = tab == std::string::npos ? line.size() : tab + 1;
    }
    p.rows.push_back(std::move(row));
  }
  return p;
}

using V = std::optional<std::string>;

TEST(LiveagentExamples, AccountsExampleYieldsEveryDocumentedField) {
  const auto p = parse(spec("accounts"), example("accounts"));
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.outcome.invalid_values, 0u);
  const Row& john = p.rows[0];
  EXPECT_EQ(john.at("source"), V("acme"));
  EXPECT_EQ(john.at("account_id"), V("9900a49c321c871cd1a572a1dc21a33c"));
  EXPECT_EQ(john.at("customer_email"), V("john@example.com"));
  EXPECT_EQ(john.at("domain"), V("mysupport.ladesk.com"));
  EXPECT_EQ(john.at("customer_name"), V("John Oniell"));
  EXPECT_EQ(john.at("company"), V("QualityUnit"));
  EXPECT_EQ(john.at("created_at"), V("2012-11-10 07:12:51"));  // zone applied by PostgreSQL
  EXPECT_EQ(john.at("variation_id"), V("t7f4u7fd"));
  EXPECT_EQ(john.at("status"), V("a"));
  EXPECT_EQ(john.at("version"), V("4.0.5.1"));
  EXPECT_EQ(john.at("last_login_at"), V("2013-01-10 07:12:51"));
  EXPECT_EQ(p.rows[1].at("status"), V("s"));
  ASSERT_TRUE(john.at("raw"));
  simdjson::dom::parser json;
  EXPECT_EQ(std::string_view(json.parse(*john.at("raw"))["domain"].get_string().value()),
            "mysupport.ladesk.com");
}

TEST(LiveagentExamples, AddonPricesGivenAsStringsAreKeptAsWrittenAndNullIsNull) {
  const auto p = parse(spec("account_addons"), example("account_addons"), "acc-1");
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.outcome.invalid_values, 0u);
  const Row& proactive = p.rows[0];
  EXPECT_EQ(proactive.at("account_id"), V("acc-1"));  // the parent the request was made for
  EXPECT_EQ(proactive.at("addon_id"), V("abg7y8e4"));
  EXPECT_EQ(proactive.at("license_code"), V("ss5l5sa6"));
  EXPECT_EQ(proactive.at("name"), V("Proactive chat"));
  EXPECT_EQ(proactive.at("description"), V("Proactive chat"));
  EXPECT_EQ(proactive.at("price"), V("99.90"));  // not 99.9
  EXPECT_EQ(proactive.at("valid_from_at"), V("2009-11-12 15:21:32"));
  EXPECT_EQ(proactive.at("valid_to_at"), std::nullopt);
  EXPECT_EQ(proactive.at("status"), V("A"));
  EXPECT_EQ(p.rows[1].at("price"), V("19.40"));
  EXPECT_EQ(p.rows[1].at("valid_to_at"), V("2010-10-08 12:15:48"));
}

TEST(LiveagentExamples, UsersExampleYieldsEveryDocumentedField) {
  const auto p = parse(spec("account_users"), example("account_users"), "acc-1");
  ASSERT_EQ(p.rows.size(), 1u);
  const Row& u = p.rows[0];
  EXPECT_EQ(u.at("account_id"), V("acc-1"));
  EXPECT_EQ(u.at("userid"), V("user456"));
  EXPECT_EQ(u.at("email"), V("user@example.com"));
  EXPECT_EQ(u.at("firstname"), V("John"));
  EXPECT_EQ(u.at("lastname"), V("User"));
  EXPECT_EQ(u.at("role"), V("Owner"));
  EXPECT_EQ(u.at("status"), V("A"));
  EXPECT_EQ(u.at("role_type"), V("la_own"));
  EXPECT_EQ(u.at("created_at"), V("2013-05-04 12:22:11"));
}

TEST(LiveagentExamples, AttributeValueBecomesMaxAgentsOfTheParentAccountWithoutRaw) {
  const auto p = parse(spec("account_attributes"), example("account_attributes"), "acc-1");
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0], (Row{{"source", "acme"},
                            {"account_id", "acc-1"},
                            {"max_agents", "99"},
                            {"max_agents_raw", "99"}}));
}

// Issue 12: 003 types the value as text; a non-integer is NULL, counted, and kept as served.
TEST(LiveagentExamples, NonIntegerMaxAgentsIsNullCountedAndKeptInMaxAgentsRaw) {
  for (const char* stream : {"account_attributes", "license_attributes"}) {
    const auto p = parse(spec(stream), R"({"response":{"value":"unlimited"}})", "k-1");
    ASSERT_EQ(p.rows.size(), 1u) << stream;
    EXPECT_EQ(p.rows[0].at("max_agents"), std::nullopt) << stream;
    EXPECT_EQ(p.rows[0].at("max_agents_raw"), V("unlimited")) << stream;
    EXPECT_EQ(p.outcome.invalid_values, 1u) << stream;
  }
}

TEST(LiveagentExamples, LicenseAttributeValueBecomesMaxAgentsOfTheParentLicense) {
  const auto p = parse(spec("license_attributes"), example("license_attributes"), "lat47ts4");
  ASSERT_EQ(p.rows.size(), 1u);
  EXPECT_EQ(p.rows[0], (Row{{"source", "acme"},
                            {"license_code", "lat47ts4"},
                            {"max_agents", "99"},
                            {"max_agents_raw", "99"}}));
}

TEST(LiveagentExamples, LicenseAddonsKeepTheirOwnLicenseCodeBesideTheParentLicense) {
  const auto p = parse(spec("license_addons"), example("license_addons"), "lat47ts4");
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.outcome.invalid_values, 0u);
  EXPECT_EQ(p.rows[0].at("license_code"), V("lat47ts4"));
  EXPECT_EQ(p.rows[0].at("addon_id"), V("abg7y8e4"));
  EXPECT_EQ(p.rows[0].at("addon_license_code"), V("ss5l5sa6"));
  EXPECT_EQ(p.rows[0].at("price"), V("99.90"));
  EXPECT_EQ(p.rows[0].at("valid_from_at"), V("2009-11-12 15:21:32"));
  EXPECT_EQ(p.rows[0].at("valid_to_at"), std::nullopt);
  EXPECT_EQ(p.rows[1].at("addon_license_code"), V("g7s86aa8"));
  EXPECT_EQ(p.rows[1].at("valid_to_at"), V("2010-10-08 12:15:48"));
  EXPECT_EQ(p.rows[1].at("status"), V("A"));
}

TEST(LiveagentExamples, ImpossibleLicenseDatetimeIsNullCountedAndKeptInRaw) {
  const auto p = parse(spec("licenses"), example("licenses"));
  ASSERT_EQ(p.rows.size(), 1u);
  const Row& l = p.rows[0];
  EXPECT_EQ(l.at("license_code"), V("lat47ts4"));
  EXPECT_EQ(l.at("customer_email"), V("john@doe.com"));
  EXPECT_EQ(l.at("customer_name"), V("John doe"));
  EXPECT_EQ(l.at("valid_from_at"), std::nullopt);  // "2008-12-11 08:95:41"
  EXPECT_EQ(l.at("valid_to_at"), std::nullopt);    // null: absent, not invalid
  EXPECT_EQ(l.at("variation_id"), V("var4u7y7"));
  EXPECT_EQ(l.at("license_status"), V("A"));
  EXPECT_EQ(p.outcome.invalid_values, 1u);
  ASSERT_EQ(p.outcome.problems.size(), 1u);
  EXPECT_NE(p.outcome.problems[0].find("valid_from"), std::string::npos);
  EXPECT_NE(l.at("raw")->find("2008-12-11 08:95:41"), std::string::npos);
}

TEST(LiveagentExamples, VariationsExampleKeepsNestedAddonsOnlyInRaw) {
  const auto p = parse(spec("variations"), example("variations"));
  ASSERT_EQ(p.rows.size(), 1u);
  const Row& v = p.rows[0];
  EXPECT_EQ(v.at("variation_id"), V("r7g4y7ya"));
  EXPECT_EQ(v.at("name"), V("Free"));
  EXPECT_EQ(v.at("created_at"), V("2012-05-04 11:15:14"));
  EXPECT_EQ(v.at("description"), V("Free variation. No restrictions."));
  EXPECT_EQ(v.at("product"), V("LiveAgent"));
  EXPECT_NE(v.at("raw")->find("p9t5s4s5"), std::string::npos);
}

TEST(LiveagentExamples, VariationAddonsAreOneRowPerNestedAddonOfItsVariation) {
  const auto p = parse(spec(liveagent::kVariationAddonsStream), example("variations"));
  ASSERT_EQ(p.rows.size(), 2u);
  EXPECT_EQ(p.outcome.invalid_values, 0u);
  EXPECT_EQ(p.rows[0].at("variation_id"), V("r7g4y7ya"));
  EXPECT_EQ(p.rows[0].at("addon_id"), V("p4g7y4ft7"));
  EXPECT_EQ(p.rows[0].at("name"), V("Proactive chat"));
  EXPECT_EQ(p.rows[0].at("price"), V("99.90"));
  EXPECT_EQ(p.rows[0].at("description"), V("Proactive chat"));
  EXPECT_EQ(p.rows[1].at("variation_id"), V("r7g4y7ya"));
  EXPECT_EQ(p.rows[1].at("addon_id"), V("p9t5s4s5"));
  EXPECT_EQ(p.rows[1].at("price"), V("19.40"));
  // raw is the add-on as served: no variation_id injected (issue 12).
  for (const auto& row : p.rows) {
    EXPECT_EQ(row.at("raw")->find("variation_id"), std::string::npos) << *row.at("raw");
    EXPECT_EQ(row.at("raw")->front(), '{') << *row.at("raw");
    EXPECT_NE(row.at("raw")->find("\"id\""), std::string::npos) << *row.at("raw");
  }
}

// 003 "Error messages formats"; the error envelope can come with HTTP 200.
TEST(LiveagentExamples, ErrorEnvelopeFailsEveryStreamAndWritesNothing) {
  const std::string body = example("error");
  for (const auto& s : sync::stream_specs(SourceKind::liveagent_reseller)) {
    if (s.split_body != nullptr) {
      EXPECT_THROW(s.split_body(body), std::invalid_argument) << s.name;
      continue;
    }
    sync::RecordParser parser(s);
    std::string out = "earlier rows\n";
    try {
      parser.parse(body, s.endpoints.front(), {"acme", "", "acc-1"}, out);
      ADD_FAILURE() << s.name << ": no error";
    } catch (const sync::UpstreamErrorEnvelope& e) {
      EXPECT_EQ(e.status_code(), 500) << s.name;
      EXPECT_NE(std::string(e.what()).find("Example error message"), std::string::npos);
    }
    EXPECT_EQ(out, "earlier rows\n") << s.name;
  }
}

// The records' own field names, as the parser sees them (top level: LiveAgent records are flat).
std::set<std::string> fields_of(const StreamSpec& s, const std::string& body) {
  std::set<std::string> fields;
  simdjson::dom::parser json;
  auto add = [&fields](simdjson::dom::object o) {
    for (auto [key, value] : o) fields.insert(std::string(key));
  };
  if (s.split_body != nullptr) {
    for (const auto& record : s.split_body(body)) {
      simdjson::dom::parser one;
      const simdjson::dom::object object = one.parse(record).get_object().value();
      for (auto [key, value] : object) {
        if (key == s.split_raw_member) {
          add(value.get_object().value());
        } else {
          fields.insert(std::string(key));
        }
      }
    }
    return fields;
  }
  simdjson::dom::object response = json.parse(body)["response"].get_object().value();
  const auto& e = s.endpoints.front();
  if (e.envelope == sync::Envelope::liveagent_object) {
    add(response);
  } else {
    for (auto record : simdjson::dom::array(response[e.list_key].get_array().value()))
      add(record.get_object().value());
  }
  return fields;
}

TEST(LiveagentExamples, EveryDocumentedFieldHasAColumnAndEveryPathIsDocumented) {
  const std::map<std::string, std::string> examples = {
      {"accounts", "accounts"},
      {"account_addons", "account_addons"},
      {"account_users", "account_users"},
      {"account_attributes", "account_attributes"},
      {"licenses", "licenses"},
      {"variations", "variations"},
      {"variation_addons", "variations"},
      {"license_addons", "license_addons"},
      {"license_attributes", "license_attributes"}};
  for (const auto& s : sync::stream_specs(SourceKind::liveagent_reseller)) {
    ASSERT_EQ(examples.count(s.name), 1u) << s.name << " has no documented example";
    auto fields = fields_of(s, example(examples.at(s.name)));
    if (s.name == "variations") fields.erase("addons");  // variation_addons' rows
    std::set<std::string> paths;
    for (const auto& c : s.columns) {
      if (c.origin != sync::Origin::json) continue;
      // A split record's served member holds the record: its fields are the documented ones.
      std::string path = c.path;
      const std::string served = s.split_raw_member + "/";
      if (!s.split_raw_member.empty() && path.rfind(served, 0) == 0) path.erase(0, served.size());
      paths.insert(path);
    }
    EXPECT_EQ(paths, fields) << s.name;
  }
}

}  // namespace
}  // namespace partnersync::connectors
