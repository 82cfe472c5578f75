// SPDX-License-Identifier: Apache-2.0
// A temporary directory for fake cgroup and /proc trees in unit tests, removed at scope end.
#pragma once

#include <fcntl.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "fd.h"

namespace vigil::testing {

/// A fresh directory under /tmp; files written into it may name subdirectories.
class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/vigil-test-XXXXXX";
    path_ = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  void write(const std::string& name, const std::string& text) const {
    std::filesystem::create_directories(std::filesystem::path(path_ + "/" + name).parent_path());
    std::ofstream(path_ + "/" + name) << text;
  }
  void remove(const std::string& name) const { std::filesystem::remove(path_ + "/" + name); }
  UniqueFd open(const std::string& sub = ".") const {
    return UniqueFd(::open((path_ + "/" + sub).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  }

 private:
  std::string path_;
};

}  // namespace vigil::testing
