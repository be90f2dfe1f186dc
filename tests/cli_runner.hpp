// Running the built `gaitkeeper` (or another program) from a test: the exit
// code and what it printed, through files in a scratch folder.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace gk::test {

struct CliRun {
  int rc = -1;
  std::string out;
  std::string err;
};

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Runs `program args`, capturing stdout and stderr in out_file and err_file.
inline CliRun run_program(const std::string& program, const std::string& args,
                          const std::filesystem::path& out_file,
                          const std::filesystem::path& err_file) {
  const std::string cmd =
      program + " " + args + " > " + out_file.string() + " 2> " + err_file.string();
  const int status = std::system(cmd.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, slurp(out_file), slurp(err_file)};
}

/// A scratch folder of one test suite, unique to this process
/// (<tmp>/gk_<name>_<pid>), emptied when made and removed at the end, and
/// the built CLI run with its output captured in it. Thread-safe (tests may
/// run the CLI from several threads at once).
class CliScratch {
 public:
  explicit CliScratch(const std::string& name)
      : dir_(std::filesystem::temp_directory_path() /
             ("gk_" + name + "_" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  ~CliScratch() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  const std::filesystem::path& dir() const { return dir_; }
  /// `program args` with stdout and stderr captured in this folder.
  CliRun run(const std::string& program, const std::string& args) {
    const int k = runs_++;
    return run_program(program, args, dir_ / ("out" + std::to_string(k) + ".txt"),
                       dir_ / ("err" + std::to_string(k) + ".txt"));
  }

 private:
  std::filesystem::path dir_;
  std::atomic<int> runs_{0};
};

}  // namespace gk::test
