// SPDX-License-Identifier: Apache-2.0
// /proc/<pid>/stat (process_tree.h parseProcStat) and the descendant walk over it. Input: one
// or more stat texts separated by NUL (a stat file never holds one). Each is parsed; with more
// than one, they also become <scratch>/proc/<n>/stat for n = 1, 2, ... (at most 8) and
// listDescendants walks the fake tree from pid 1, which must end even on cyclic or duplicated
// parent links and never list pid 1 itself; the procfs memory source and topProcessesByRss
// read the same tree.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "memory_source.h"
#include "process_tree.h"

namespace {

constexpr size_t kMaxProcs = 8;

__extension__ using Wide = unsigned __int128;

const std::string& procRoot() {
  static const std::string root = [] {
    std::string r = fuzz::ScratchDir::path() + "/proc";
    bool ok = ::mkdir(r.c_str(), 0755) == 0;
    for (size_t i = 1; ok && i <= kMaxProcs; ++i)
      ok = ::mkdir((r + "/" + std::to_string(i)).c_str(), 0755) == 0;
    if (!ok) {
      ::perror("mkdir");
      ::abort();
    }
    return r;
  }();
  return root;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = fuzz::asText(data, size);
  std::vector<std::string_view> stats = fuzz::split(text, '\0');
  size_t parsed = 0;  // of the first kMaxProcs, the ones that become the fake tree
  for (size_t i = 0; i < stats.size(); ++i) {
    std::string_view s = stats[i];
    auto st = vigil::parseProcStat(s);
    if (!st) continue;
    if (i < kMaxProcs) ++parsed;
    // A pid of 0 or below would turn kill(pid) into a signal to a whole process group, or to
    // every process; the kernel's parent of pid 1 is 0.
    FUZZ_CHECK(st->pid > 0 && st->ppid >= 0);
    FUZZ_CHECK(st->comm.size() + 2 <= s.size());
    FUZZ_CHECK(s.find(st->comm) != std::string_view::npos);
  }
  if (stats.size() < 2) return 0;

  const std::string& root = procRoot();
  for (size_t i = 0; i < kMaxProcs; ++i) {
    std::string path = root + "/" + std::to_string(i + 1) + "/stat";
    if (i < stats.size())
      FUZZ_CHECK(fuzz::writeFile(path, stats[i]));
    else
      ::unlink(path.c_str());
  }
  auto descendants = vigil::listDescendants(1, root);
  // Bad links (duplicate pids, cycles) may list a process twice, but the walk stops soon.
  FUZZ_CHECK(descendants.size() <= 2 * parsed);
  for (const auto& p : descendants) FUZZ_CHECK(p.pid != 1);

  // The procfs memory source and the termination log's top contributors read the same tree.
  static const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  Wide sum = 0;
  for (const auto& p : descendants) sum += Wide{p.rss_pages} * page;
  vigil::ProcfsSource source(1, root);
  auto sample = source.sample(vigil::MemMetric::WorkingSet);
  FUZZ_CHECK(sample);
  if (sum <= UINT64_MAX) FUZZ_CHECK(sample->current == static_cast<uint64_t>(sum));
  auto top = vigil::topProcessesByRss(1, 3, root);
  FUZZ_CHECK(top && top->size() <= 3 && top->size() <= descendants.size());
  for (size_t i = 1; top && i < top->size(); ++i)
    FUZZ_CHECK((*top)[i - 1].rss_bytes >= (*top)[i].rss_bytes);
  return 0;
}
