// SPDX-License-Identifier: Apache-2.0
// File descriptor wrapper that owns a file descriptor, plus EINTR-safe I/O helpers.
#pragma once

#include <string>
#include <string_view>
#include <utility>

#include "result.h"

namespace vigil {

/// Move-only owner of one file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd() { reset(); }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.release()) {}
  UniqueFd& operator=(UniqueFd&& o) noexcept {
    reset(o.release());
    return *this;
  }
  /// Gives up ownership and returns the descriptor.
  [[nodiscard]] int release() { return std::exchange(fd_, -1); }
  /// Closes the owned descriptor (if any) and takes `fd`.
  void reset(int fd = -1);
  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

/// Reads a whole (small) file at `path` relative to `dirfd` (AT_FDCWD for plain paths).
Result<std::string> readFileAt(int dirfd, const std::string& path, size_t max_bytes = 1 << 20);

/// Reads a kernel-generated file that the kernel writes in one go (cgroup memory.* files,
/// /proc/<pid>/stat): one read(2) into a buffer larger than the file is all of it, so the
/// usual second read that only confirms EOF is skipped. Not for multi-record files such as
/// mountinfo, whose reads stop at record boundaries.
Result<std::string> readKernelFileAt(int dirfd, const std::string& path);

/// Reads from the current position of `fd` until EOF (at most `max_bytes`).
Result<std::string> readAll(int fd, size_t max_bytes = 1 << 20);

/// Writes all of `data` to `fd`, retrying on EINTR and short writes.
Result<void> writeAll(int fd, std::string_view data);

}  // namespace vigil
