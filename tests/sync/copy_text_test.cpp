// COPY text escaping: the vectorised search must give the same bytes as the format's
// definition (PostgreSQL docs, COPY "Text Format") for specials at every offset.
#include "daemon/sync/copy_text.hpp"

#include <gtest/gtest.h>

#include <string>

namespace partnersync::sync {
namespace {

// The definition, one byte at a time.
std::string reference(std::string_view in) {
  std::string out;
  for (char c : in) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  return out;
}

TEST(CopyText, EverySpecialAtEveryOffsetOfTwoBlocksIsEscaped) {
  for (char special : {'\\', '\t', '\n', '\r'}) {
    for (std::size_t length = 0; length <= 40; ++length) {
      for (std::size_t at = 0; at < length; ++at) {
        std::string in(length, 'x');
        in[at] = special;
        std::string out = "prefix";
        append_copy_escaped(out, in);
        ASSERT_EQ(out, "prefix" + reference(in)) << "length " << length << " at " << at;
        std::string to(2 * length, '?');
        const char* end = copy_escape_to(to.data(), in);
        ASSERT_EQ(std::string_view(to.data(), static_cast<std::size_t>(end - to.data())),
                  reference(in))
            << "length " << length << " at " << at;
      }
    }
  }
}

TEST(CopyText, BytesAboveAsciiAndOtherControlsPassThrough) {
  std::string in;
  for (int c = 0; c < 256; ++c) in.push_back(static_cast<char>(c));
  in += in;  // crosses 16-byte blocks at every alignment of the specials
  std::string out;
  append_copy_escaped(out, in);
  EXPECT_EQ(out, reference(in));
  EXPECT_EQ(out.size(), in.size() + 8u);  // four specials, twice, one extra byte each
  std::string to(2 * in.size(), '?');
  EXPECT_EQ(std::string_view(to.data(),
                             static_cast<std::size_t>(copy_escape_to(to.data(), in) - to.data())),
            reference(in));
}

TEST(CopyText, ShortCopiesMoveEveryByteInPlaceAndNoMore) {
  // Each length through each of copy_short's ways (bytes, 4-, 8-, 16-byte halves, memcpy),
  // with bytes that all differ so that a misplaced half shows, and guards around the target.
  std::string source;
  for (int i = 0; i < 80; ++i) source.push_back(static_cast<char>('!' + i));
  for (std::size_t length = 0; length <= 70; ++length) {
    const std::string_view in(source.data() + 3, length);
    std::string to(length + 16, '#');
    char* const end = copy_short(to.data() + 8, in);
    ASSERT_EQ(end, to.data() + 8 + length) << "length " << length;
    EXPECT_EQ(to, std::string(8, '#') + std::string(in) + std::string(8, '#'))
        << "length " << length;
  }
}

TEST(CopyText, RunsOfSpecialsAreEachEscaped) {
  std::string out;
  append_copy_escaped(out, "\\\\\t\t\n\r\\ end of a long enough run\\");
  EXPECT_EQ(out, "\\\\\\\\\\t\\t\\n\\r\\\\ end of a long enough run\\\\");
}

}  // namespace
}  // namespace partnersync::sync
