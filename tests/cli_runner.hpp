// Running the built `gaitkeeper` (or another program) from a test: the exit
// code and what it printed, through files in a scratch folder.
#pragma once

#include <sys/wait.h>

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

}  // namespace gk::test
