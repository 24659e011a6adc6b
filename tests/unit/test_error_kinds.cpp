// The error-kind table (glia/error_kinds.hpp): every kind has one distinct exit code and HTTP
// status and a stable name, and docs/errors.md says the same as the code; os_error's errno kinds.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "glia/error_kinds.hpp"

namespace {

using glia::error_kind_info;
using glia::ErrorKind;
using glia::kErrorKinds;

TEST(ErrorKinds, ListsEveryKindOnceInDeclarationOrder) {
  // Internal is the enum's last value (error.hpp says so): the list must reach it in order.
  const auto count = static_cast<size_t>(ErrorKind::Internal) + 1;
  ASSERT_EQ(std::size(kErrorKinds), count);
  for (size_t i = 0; i < count; ++i) EXPECT_EQ(static_cast<size_t>(kErrorKinds[i]), i) << i;
}

TEST(ErrorKinds, CodesStatusesAndNamesAreDistinctAndRoundTrip) {
  std::set<int> exit_codes;
  std::set<std::string_view> names;
  for (ErrorKind k : kErrorKinds) {
    const auto info = error_kind_info(k);
    EXPECT_TRUE(exit_codes.insert(info.exit_code).second) << info.name;
    EXPECT_TRUE(names.insert(info.name).second) << info.name;
    EXPECT_GE(info.exit_code, 1);
    EXPECT_LE(info.exit_code, 9);  // clear of the job outcomes 124 and 130 and signals
    EXPECT_TRUE(info.http_status >= 400 && info.http_status < 600) << info.name;
    EXPECT_EQ(glia::error_kind_named(info.name), k);
    if (k != ErrorKind::Corrupt) {
      EXPECT_EQ(glia::error_kind_of_status(info.http_status), k);
    }
  }
  EXPECT_FALSE(glia::error_kind_named("no such kind").has_value());
  EXPECT_EQ(glia::error_kind_of_status(413), ErrorKind::InvalidArgument);
  EXPECT_EQ(glia::error_kind_of_status(502), ErrorKind::Unavailable);
  EXPECT_EQ(glia::error_kind_of_status(501), ErrorKind::Internal);
}

TEST(ErrorKinds, DocsTableMatchesTheCode) {
  std::ifstream in(std::string(GLIA_SOURCE_DIR) + "/docs/errors.md");
  ASSERT_TRUE(in) << "docs/errors.md";
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  const std::regex row(R"(\| `([a-z_]+)` \| (\d+) \| (\d+) \|)");
  size_t rows = 0;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), row); it != std::sregex_iterator();
       ++it, ++rows) {
    const auto kind = glia::error_kind_named((*it)[1].str());
    ASSERT_TRUE(kind.has_value()) << "docs/errors.md names unknown kind " << (*it)[1];
    EXPECT_EQ(std::stoi((*it)[2]), error_kind_info(*kind).http_status) << (*it)[1];
    EXPECT_EQ(std::stoi((*it)[3]), error_kind_info(*kind).exit_code) << (*it)[1];
  }
  EXPECT_EQ(rows, std::size(kErrorKinds));
}

TEST(OsError, MapsErrnoToTheKindACallerActsOn) {
  const std::pair<int, ErrorKind> cases[] = {
      {ENOSPC, ErrorKind::NoSpace},     {EDQUOT, ErrorKind::NoSpace},
      {EACCES, ErrorKind::Permission},  {EPERM, ErrorKind::Permission},
      {EROFS, ErrorKind::Permission},   {ENOENT, ErrorKind::NotFound},
      {EEXIST, ErrorKind::Conflict},    {EAGAIN, ErrorKind::Unavailable},  // fork: no processes
      {ENOMEM, ErrorKind::Unavailable}, {EMFILE, ErrorKind::Unavailable},
      {ENFILE, ErrorKind::Unavailable}, {EIO, ErrorKind::Corrupt},
      {EINVAL, ErrorKind::Internal},
  };
  for (const auto& [err, kind] : cases) {
    const glia::Error e = glia::os_error("doing it", err);
    EXPECT_EQ(e.kind(), kind) << std::strerror(err);
    EXPECT_EQ(std::string(e.what()), std::string("doing it: ") + std::strerror(err));
  }
}

}  // namespace
