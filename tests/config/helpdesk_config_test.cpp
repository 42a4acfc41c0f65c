// kind liveagent_helpdesk (design/helpdesk.md "Source"): accepted with its defaults, and
// validated like the other kinds, every rejection naming the key path (exit 78 in main).
#include <gtest/gtest.h>

#include <string>

#include "config_test_support.hpp"

namespace partnersync::config {
namespace {

using namespace testing;

std::string helpdesk_doc(const std::string& source_lines = "",
                         const std::string& base_url = "https://acme.ladesk.com") {
  return std::string(kDatabase) +
         "sources:\n"
         "  - name: acme-desk\n"
         "    kind: liveagent_helpdesk\n"
         "    base_url: " +
         base_url +
         "\n"
         "    api_key: desk-key-123456\n"
         "    start_date: 2020-01-01\n" +
         source_lines;
}

TEST(ConfigHelpdesk, AcceptedWithTheLosAngelesDefaultAndEveryStream) {
  const Config c = parse(helpdesk_doc());
  ASSERT_EQ(c.sources.size(), 1u);
  const Source& s = c.sources[0];
  EXPECT_EQ(s.kind, SourceKind::liveagent_helpdesk);
  EXPECT_EQ(s.timezone, "America/Los_Angeles");
  EXPECT_EQ(s.base_url, "https://acme.ladesk.com");
  EXPECT_TRUE(s.fan_out_values.empty());
  EXPECT_EQ(s.streams.size(), connectors::kHelpdeskStreams.size());
  EXPECT_EQ(s.streams.front(), "application");
}

TEST(ConfigHelpdesk, DepartmentsAreTheFanOutValues) {
  const Config c = parse(helpdesk_doc("    departments: [d1, \"a5j9t4d8\"]\n"));
  EXPECT_EQ(c.sources[0].fan_out_values, (std::vector<std::string>{"d1", "a5j9t4d8"}));
}

TEST(ConfigHelpdesk, RejectionsNameTheKeyPath) {
  EXPECT_EQ(error_of(helpdesk_doc("    departmnets: [d1]\n")),
            "cfg.yaml: sources[0].departmnets: unknown key");
  EXPECT_EQ(error_of(helpdesk_doc("", "acme.ladesk.com")),
            "cfg.yaml: sources[0].base_url: \"acme.ladesk.com\" is not a valid URL (expected "
            "http:// or https:// followed by a host)");
  EXPECT_EQ(error_of(helpdesk_doc("    departments: [d1, \"\"]\n")),
            "cfg.yaml: sources[0].departments[1]: must not be empty");
  EXPECT_EQ(error_of(helpdesk_doc("    departments: [\"  \"]\n")),
            "cfg.yaml: sources[0].departments[0]: must not be blank (a department id)");
  EXPECT_EQ(error_of(helpdesk_doc("    departments: [d1, d1]\n")),
            "cfg.yaml: sources[0].departments[1]: duplicate department \"d1\"");
  EXPECT_EQ(error_of(helpdesk_doc("    departments: d1\n")),
            "cfg.yaml: sources[0].departments: expected a list, got a string");
  EXPECT_EQ(error_of(helpdesk_doc("    reseller: partner@acme.example\n")),
            "cfg.yaml: sources[0].reseller: not allowed for kind liveagent_helpdesk");
  EXPECT_EQ(error_of(helpdesk_doc("    token: x\n")),
            "cfg.yaml: sources[0].token: not allowed for kind liveagent_helpdesk");
  EXPECT_EQ(error_of(helpdesk_doc("    streams: [accounts]\n")),
            "cfg.yaml: sources[0].streams[0]: unknown stream \"accounts\" for kind "
            "liveagent_helpdesk");
  EXPECT_EQ(error_of(helpdesk_doc("    streams: [conversation_tags]\n")),
            "cfg.yaml: sources[0].streams[0]: \"conversation_tags\" needs its parent stream "
            "\"conversations\" in the same list");
  // departments belong to the helpdesk only.
  EXPECT_EQ(error_of(liveagent_doc("    departments: [d1]\n")),
            "cfg.yaml: sources[0].departments: not allowed for kind liveagent_reseller");
}

TEST(ConfigHelpdesk, TheApiKeyIsInNoMessage) {
  const std::string message = error_of(helpdesk_doc("    departments: [\"\"]\n"));
  EXPECT_EQ(message.find("desk-key-123456"), std::string::npos) << message;
}

}  // namespace
}  // namespace partnersync::config
