// SPDX-License-Identifier: Apache-2.0
// UniqueFd and the small I/O helpers every module shares.
#include "fd.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

namespace vigil {

Error systemError(std::string what, int err) {
  what += ": ";
  what += std::strerror(err);
  return Error{err, std::move(what)};
}

void UniqueFd::reset(int fd) {
  // The close error is ignored on purpose: on Linux the descriptor is released even when
  // close(2) reports EINTR or EIO, so retrying could close a descriptor reused meanwhile.
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Result<std::string> readAll(int fd, size_t max_bytes) {
  std::string out;
  char buf[4096];
  while (out.size() < max_bytes) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      return systemError("read");
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  if (out.size() > max_bytes) out.resize(max_bytes);
  return out;
}

Result<std::string> readFileAt(int dirfd, const std::string& path, size_t max_bytes) {
  UniqueFd fd(::openat(dirfd, path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return systemError("open " + path);
  auto r = readAll(fd.get(), max_bytes);
  if (!r) return systemError("read " + path, r.error().err);
  return r;
}

Result<std::string> readKernelFileAt(int dirfd, const std::string& path) {
  // One static buffer: vigil has no threads, and the samples run every few milliseconds.
  constexpr size_t kChunk = 8 << 10;
  static char buf[kChunk];
  UniqueFd fd(::openat(dirfd, path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return systemError("open " + path);
  ssize_t n;
  do {
    n = ::read(fd.get(), buf, kChunk);
  } while (n < 0 && errno == EINTR);
  if (n < 0) return systemError("read " + path);
  std::string out(buf, static_cast<size_t>(n));
  if (static_cast<size_t>(n) == kChunk) {  // larger than expected: read the rest normally
    auto rest = readAll(fd.get(), 1 << 20);
    if (!rest) return systemError("read " + path, rest.error().err);
    out += *rest;
  }
  return out;
}

Result<void> writeAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return systemError("write");
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return ok();
}

}  // namespace vigil
