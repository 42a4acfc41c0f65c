// The declarations against the documents' JSON examples (tests/fuzz/corpus): every documented
// field lands in a column, and every declared path names a documented field, in both shapes.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "connectors/stream_catalog.hpp"
#include "daemon/sync/stream_spec.hpp"
#include "tests/connectors/livechat_corpus.hpp"

namespace partnersync::connectors {
namespace {

using testing::corpus_for;
using testing::declared_paths;
using testing::leaf_paths;
using testing::records_of;

const std::vector<sync::StreamSpec>& specs() {
  return sync::stream_specs(SourceKind::livechat_partner);
}

// A jsonb column of an object (profile's properties) holds the fields under it.
bool has_subfield(const std::set<std::string>& fields, const std::string& path) {
  const auto it = fields.lower_bound(path + "/");
  return it != fields.end() && it->rfind(path + "/", 0) == 0;
}

bool covered(const std::set<std::string>& declared, const std::string& field) {
  if (declared.count(field)) return true;
  for (auto slash = field.rfind('/'); slash != std::string::npos;
       slash = field.rfind('/', slash - 1)) {
    if (declared.count(field.substr(0, slash))) return true;
    if (slash == 0) break;
  }
  return false;
}

TEST(LivechatExamples, EveryStreamHasDocumentedExamples) {
  for (auto name : kLivechatStreams) EXPECT_FALSE(corpus_for(std::string(name)).empty()) << name;
}

TEST(LivechatExamples, EveryDocumentedFieldHasAColumn) {
  for (const auto& s : specs()) {
    const auto declared = declared_paths(s);
    const std::set<std::string> paths(declared.begin(), declared.end());
    for (const auto& file : corpus_for(s.name)) {
      const auto records = records_of(s, file.body);
      EXPECT_FALSE(records.empty()) << file.name;
      for (const auto& record : records)
        for (const auto& field : leaf_paths(record))
          EXPECT_TRUE(covered(paths, field)) << file.name << ": field " << field << " unmapped";
    }
  }
}

// Per table: a program may lack a field another has (Partner Program licenses have no e-mail),
// but a path no example of the table has is a typo or an invented field.
TEST(LivechatExamples, EveryDeclaredPathIsADocumentedField) {
  std::map<std::string, std::set<std::string>> documented, declared;
  for (const auto& s : specs()) {
    for (const auto& p : declared_paths(s)) declared[s.table].insert(p);
    for (const auto& file : corpus_for(s.name))
      for (const auto& record : records_of(s, file.body))
        for (const auto& field : leaf_paths(record)) documented[s.table].insert(field);
  }
  for (const auto& [table, paths] : declared)
    for (const auto& p : paths)
      EXPECT_TRUE(documented[table].count(p) == 1 || has_subfield(documented[table], p))
          << table << ": " << p << " is in no example";
}

}  // namespace
}  // namespace partnersync::connectors
