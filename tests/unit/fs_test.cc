#include "util/fs.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

namespace vnet {
namespace {

namespace fs = std::filesystem;

TEST(MakeDirs, CreatesMissingComponentsIdempotently) {
  char tmpl[] = "/tmp/vnet-fs-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string root = tmpl;
  const std::string deep = root + "/a/b/c";
  EXPECT_TRUE(make_dirs(deep, 0755).is_ok());
  EXPECT_TRUE(fs::is_directory(deep));
  EXPECT_TRUE(make_dirs(deep, 0755).is_ok());  // already there

  std::ofstream(root + "/file") << "x";
  const Status s = make_dirs(root + "/file", 0755);
  EXPECT_FALSE(s.is_ok());
  EXPECT_EQ(s.err(), ENOTDIR);
  EXPECT_FALSE(make_dirs(root + "/file/below", 0755).is_ok());
  fs::remove_all(root);
}

}  // namespace
}  // namespace vnet
