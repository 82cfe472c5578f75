// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the libFuzzer targets: splitting an input into parts, a scratch directory
// for the targets that must go through files, and the property check that traps on violation.
#pragma once

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fuzz {

/// A property that must hold for every input. On violation it names the property on stderr
/// (libFuzzer saves the input as crash-*) and traps.
#define FUZZ_CHECK(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      ::fprintf(stderr, "fuzz property violated: %s (%s:%d)\n", #cond, __FILE__, \
                __LINE__);                                                        \
      __builtin_trap();                                                           \
    }                                                                             \
  } while (0)

inline std::string_view asText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Splits `text` at every `sep`; "a\0b" gives {"a", "b"}, "" gives {""}.
inline std::vector<std::string_view> split(std::string_view text, char sep) {
  std::vector<std::string_view> out;
  while (true) {
    size_t pos = text.find(sep);
    out.push_back(text.substr(0, pos));
    if (pos == std::string_view::npos) return out;
    text.remove_prefix(pos + 1);
  }
}

/// Splits `text` at the first `max_parts - 1` occurrences of `sep`: the last part keeps the rest.
inline std::vector<std::string_view> splitN(std::string_view text, char sep, size_t max_parts) {
  std::vector<std::string_view> out;
  while (out.size() + 1 < max_parts) {
    size_t pos = text.find(sep);
    if (pos == std::string_view::npos) break;
    out.push_back(text.substr(0, pos));
    text.remove_prefix(pos + 1);
  }
  out.push_back(text);
  return out;
}

/// Writes `text` to `path` (created or truncated); false on failure.
inline bool writeFile(const std::string& path, std::string_view text) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  bool ok = true;
  while (!text.empty()) {
    ssize_t n = ::write(fd, text.data(), text.size());
    if (n <= 0) {
      ok = false;
      break;
    }
    text.remove_prefix(static_cast<size_t>(n));
  }
  ::close(fd);
  return ok;
}

/// A directory created once per process (on tmpfs when /dev/shm is usable) and removed with
/// everything in it at exit. Targets that must read files write the fuzz input there.
class ScratchDir {
 public:
  static const std::string& path() {
    static ScratchDir dir;
    return dir.path_;
  }

 private:
  ScratchDir() {
    std::string base;
    if (const char* t = ::getenv("FUZZ_SCRATCH_DIR"); t && *t)
      base = t;
    else if (::access("/dev/shm", W_OK) == 0)
      base = "/dev/shm";
    else if (const char* tmp = ::getenv("TMPDIR"); tmp && *tmp)
      base = tmp;
    else
      base = "/tmp";
    std::string tmpl = base + "/vigil-fuzz-XXXXXX";
    if (!::mkdtemp(tmpl.data())) {
      ::perror("mkdtemp");
      ::abort();
    }
    path_ = tmpl;
    static std::string* registered = &path_;
    ::atexit([] { removeTree(*registered); });
  }

  static void removeTree(const std::string& p) {
    ::nftw(
        p.c_str(),
        [](const char* f, const struct stat*, int, struct FTW*) { return ::remove(f); }, 16,
        FTW_DEPTH | FTW_PHYS);
  }

  std::string path_;
};

}  // namespace fuzz
