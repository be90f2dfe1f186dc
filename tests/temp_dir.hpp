// A scratch folder for one test, and writing a text file into it.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

namespace gk::test {

/// A fresh folder under the system temp dir, named after the test, the process and a counter
/// (tests of one binary may run in parallel processes), removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "gk_test") {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    path_ = std::filesystem::temp_directory_path() /
            fmt::format("{}_{}_{}_{}_{}", prefix, info ? info->name() : "x", ::getpid(), counter++,
                        std::chrono::steady_clock::now().time_since_epoch().count());
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

/// Writes text to path byte for byte, making its folder first.
inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << text;
}

}  // namespace gk::test
