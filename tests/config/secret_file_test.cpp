// *_file secrets (systemd LoadCredential=) and http.ca_file: one trailing newline stripped,
// relative paths read from the config file's directory, failures name the path only.
#include <gtest/gtest.h>

#include <string>

#include "config_test_support.hpp"
#include "daemon/obs/redact.hpp"

namespace partnersync::config {
namespace {

using namespace testing;

std::string token_file_doc(const std::string& token_file) {
  return std::string(kDatabase) +
         "sources:\n"
         "  - name: acme\n"
         "    kind: livechat_partner\n"
         "    token_file: \"" +
         token_file +
         "\"\n"
         "    start_date: 2018-01-01\n";
}

TEST(SecretFile, OneTrailingNewlineIsStripped) {
  TempDir dir;
  const auto lf = dir.write("lf", "tok-FromFile1\n");
  const auto crlf = dir.write("crlf", "tok-FromFile2\r\n");
  const auto bare = dir.write("bare", "tok-FromFile3");
  EXPECT_EQ(parse(token_file_doc(lf.string())).sources[0].secret, "tok-FromFile1");
  EXPECT_EQ(parse(token_file_doc(crlf.string())).sources[0].secret, "tok-FromFile2");
  EXPECT_EQ(parse(token_file_doc(bare.string())).sources[0].secret, "tok-FromFile3");
}

TEST(SecretFile, OnlyOneNewlineIsStrippedSoASecondLineIsAnError) {
  TempDir dir;
  const auto file = dir.write("two", "tok-TwoLines\n\n");
  EXPECT_EQ(
      error_of(token_file_doc(file.string())),
      "cfg.yaml: sources[0].token_file: file \"" + file.string() + "\" has more than one line");
}

TEST(SecretFile, RelativePathIsReadFromTheConfigDirectory) {
  TempDir dir;
  dir.write("secrets/livechat_token", "tok-Relative4\n");
  const Config c = parse_config(token_file_doc("secrets/livechat_token"),
                                (dir.path() / "ps.yaml").string(), env_of());
  EXPECT_EQ(c.sources[0].secret, "tok-Relative4");
}

TEST(SecretFile, LoadConfigResolvesRelativeToTheLoadedFile) {
  TempDir dir;
  dir.write("conf/api_key", "key-Relative5\n");
  const auto config_file =
      dir.write("conf/partnersync.yaml", std::string(kDatabase) +
                                             "sources:\n"
                                             "  - name: helpdesk\n"
                                             "    kind: liveagent_reseller\n"
                                             "    base_url: https://acme.ladesk.com\n"
                                             "    reseller: partner@acme.example\n"
                                             "    api_key_file: api_key\n"
                                             "    start_date: 2012-01-01\n");
  const Config c = load_config(config_file, env_of());
  EXPECT_EQ(c.file, config_file.string());
  EXPECT_EQ(c.sources[0].secret, "key-Relative5");
}

TEST(SecretFile, FileSecretIsRegisteredForRedaction) {
  TempDir dir;
  const auto file = dir.write("t", "tok-FileRegistered6\n");
  parse(token_file_doc(file.string()));
  EXPECT_EQ(obs::redact("Bearer-less tok-FileRegistered6 text"), "Bearer-less *** text");
}

TEST(SecretFile, MissingFileNamesKeyAndPath) {
  TempDir dir;
  const auto missing = dir.path() / "absent";
  EXPECT_EQ(error_of(token_file_doc(missing.string())),
            "cfg.yaml: sources[0].token_file: cannot read \"" + missing.string() +
                "\": No such file or directory");
}

TEST(SecretFile, DirectoryIsNotASecretFile) {
  TempDir dir;
  EXPECT_EQ(error_of(token_file_doc(dir.path().string())),
            "cfg.yaml: sources[0].token_file: cannot read \"" + dir.path().string() +
                "\": is a directory");
}

TEST(SecretFile, EmptyFileIsAnError) {
  TempDir dir;
  const auto empty = dir.write("empty", "");
  const auto newline = dir.write("newline", "\n");
  EXPECT_EQ(error_of(token_file_doc(empty.string())),
            "cfg.yaml: sources[0].token_file: file \"" + empty.string() + "\" is empty");
  EXPECT_EQ(error_of(token_file_doc(newline.string())),
            "cfg.yaml: sources[0].token_file: file \"" + newline.string() + "\" is empty");
}

TEST(SecretFile, BothInlineAndFileIsAnError) {
  TempDir dir;
  const auto file = dir.write("t", "tok-Both7\n");
  EXPECT_EQ(error_of(livechat_doc("    token_file: \"" + file.string() + "\"\n")),
            "cfg.yaml: sources[0].token_file: cannot be combined with token (set exactly one)");
  EXPECT_EQ(error_of(liveagent_doc("    api_key_file: \"" + file.string() + "\"\n")),
            "cfg.yaml: sources[0].api_key_file: cannot be combined with api_key (set exactly "
            "one)");
}

TEST(SecretFile, ErrorsNeverCarryTheFileContent) {
  TempDir dir;
  const auto file = dir.write("t", "tok-Content8\nsecond-line-Content8\n");
  const std::string message = error_of(token_file_doc(file.string()));
  EXPECT_EQ(message.find("Content8"), std::string::npos) << message;
}

TEST(CaFile, ReadableFileIsAcceptedAndRelativePathResolved) {
  TempDir dir;
  dir.write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  const Config c = parse_config(livechat_doc("", "http:\n  ca_file: ca.pem\n"),
                                (dir.path() / "ps.yaml").string(), env_of());
  EXPECT_EQ(c.http.ca_file, (dir.path() / "ca.pem").string());
}

TEST(CaFile, UnreadableFileNamesKeyAndPath) {
  EXPECT_EQ(error_of(livechat_doc("", "http:\n  ca_file: /nonexistent/ca.pem\n")),
            "cfg.yaml: http.ca_file: cannot read \"/nonexistent/ca.pem\": No such file or "
            "directory");
}

}  // namespace
}  // namespace partnersync::config
