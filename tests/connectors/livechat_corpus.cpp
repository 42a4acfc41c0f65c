// Reading the documented examples of tests/fuzz/corpus with simdjson's DOM: which records a
// stream would see in them and which field paths those records have.
#include "tests/connectors/livechat_corpus.hpp"

#include <simdjson.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "connectors/livechat/livechat_streams.hpp"

namespace partnersync::connectors::testing {
namespace {

simdjson::dom::element parse(simdjson::dom::parser& parser, const std::string& json) {
  return parser.parse(json).value();  // throws on invalid JSON: a broken corpus file
}

void collect_leaves(simdjson::dom::element e, const std::string& prefix,
                    std::set<std::string>& out) {
  simdjson::dom::object object;
  if (e.get_object().get(object) == simdjson::SUCCESS) {
    for (auto [key, value] : object)
      collect_leaves(value, prefix.empty() ? std::string(key) : prefix + "/" + std::string(key),
                     out);
    return;
  }
  out.insert(prefix);
}

}  // namespace

std::vector<CorpusFile> corpus_for(const std::string& stream) {
  std::vector<CorpusFile> files;
  for (const auto& entry : std::filesystem::directory_iterator(PARTNERSYNC_CORPUS_DIR)) {
    const std::string name = entry.path().stem().string();
    if (entry.path().extension() != ".json" || name.rfind(stream + "_", 0) != 0) continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    files.push_back({name, text.str()});
  }
  std::sort(files.begin(), files.end(),
            [](const CorpusFile& a, const CorpusFile& b) { return a.name < b.name; });
  return files;
}

std::vector<std::string> records_of(const sync::StreamSpec& spec, const std::string& body) {
  if (spec.split_body != nullptr) {
    // The served group object (split_raw_member) is the row's raw, not fields of the record.
    std::vector<std::string> records;
    for (const auto& record : spec.split_body(body)) {
      simdjson::dom::parser one;
      std::string text = "{";
      const simdjson::dom::object object = one.parse(record).get_object().value();
      for (auto [key, value] : object) {
        if (key == spec.split_raw_member) continue;
        if (text.size() > 1) text += ',';
        text += "\"" + std::string(key) + "\":" + simdjson::to_string(value);
      }
      records.push_back(text + "}");
    }
    return records;
  }
  simdjson::dom::parser parser;
  const auto root = parse(parser, body);
  std::vector<std::string> records;
  simdjson::dom::object object = root.get_object().value();
  bool grouped = false;
  for (auto [key, value] : object) {
    const bool tier = key.rfind("tier", 0) == 0;
    if (key != "result" && !tier) continue;
    simdjson::dom::array list;
    if (value.get_array().get(list) != simdjson::SUCCESS) continue;
    grouped = true;
    for (auto element : list) records.push_back(simdjson::to_string(element));
  }
  if (!grouped) records.push_back(simdjson::to_string(root));
  return records;
}

std::set<std::string> leaf_paths(const std::string& record) {
  simdjson::dom::parser parser;
  std::set<std::string> out;
  collect_leaves(parse(parser, record), "", out);
  return out;
}

std::vector<std::string> declared_paths(const sync::StreamSpec& spec) {
  std::vector<std::string> paths;
  auto add = [&paths](const sync::ColumnSpec& c) {
    if (c.origin != sync::Origin::json) return;
    std::string_view rest = c.path;
    while (true) {
      const auto bar = rest.find('|');
      paths.emplace_back(rest.substr(0, bar));
      if (bar == std::string_view::npos) break;
      rest.remove_prefix(bar + 1);
    }
  };
  for (const auto& c : spec.columns) add(c);
  for (const auto& d : spec.details)
    for (const auto& c : d.columns) add(c);
  return paths;
}

}  // namespace partnersync::connectors::testing
