// SPDX-License-Identifier: Apache-2.0
// The cgroup memory sources end to end (memory_source.h, cgroup.h chooseSource with a cgroup
// root): what they make of the files of a fake cgroup directory written from the input, in a
// scratch directory on tmpfs. This covers the logic around the pure parsers: required and
// optional keys, garbage memory.events, the parent's memory.max, hierarchical_memory_limit.
//
// Input: one byte, then up to five NUL-separated file texts. Bit 0 of the byte is the layout:
// 0 cgroup v2 (memory.current, memory.stat, memory.events, memory.max, the parent's memory.max),
// 1 cgroup v1 (memory.usage_in_bytes, memory.stat, memory.oom_control, memory.limit_in_bytes).
// (byte >> 1) % 3 is the source asked for: auto, cgroup2, cgroup1. So '0' is v2 and '1' is v1,
// both with auto. A file whose text is missing from the input does not exist.
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "cgroup.h"
#include "fuzz_util.h"
#include "memory_source.h"
#include "memory_stat.h"

namespace {

using vigil::MemMetric;
using vigil::MemSourceKind;

constexpr std::array<const char*, 5> kV2Files = {"memory.current", "memory.stat", "memory.events",
                                                 "memory.max", "../memory.max"};
constexpr std::array<const char*, 4> kV1Files = {"memory.usage_in_bytes", "memory.stat",
                                                 "memory.oom_control", "memory.limit_in_bytes"};

struct Dirs {
  std::string parent;
  std::string cgroup;
};

const Dirs& dirs() {
  static const Dirs d = [] {
    Dirs out;
    out.parent = fuzz::ScratchDir::path() + "/parent";
    out.cgroup = out.parent + "/cgroup";
    if (::mkdir(out.parent.c_str(), 0755) != 0 || ::mkdir(out.cgroup.c_str(), 0755) != 0) {
      ::perror("mkdir");
      ::abort();
    }
    return out;
  }();
  return d;
}

std::optional<uint64_t> minLimit(std::optional<uint64_t> a, std::optional<uint64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

void checkV2(const vigil::MemorySample& s, const std::vector<std::string_view>& files) {
  auto current = vigil::parseCgroupValue(files[0]);
  FUZZ_CHECK(current && s.current == *current);
  auto stat = vigil::parseKeyValues(files[1]);
  FUZZ_CHECK(s.anon == stat.at("anon"));
  FUZZ_CHECK(s.inactive_file == stat.at("inactive_file"));
  FUZZ_CHECK(s.file_mapped == vigil::valueOr(stat, "file_mapped", 0));
  FUZZ_CHECK(s.oom_kill == vigil::valueOr(vigil::parseKeyValues(files[2]), "oom_kill", 0));
  auto own = vigil::parseCgroupLimit(files[3]);
  FUZZ_CHECK(own);
  std::optional<uint64_t> expected = *own;
  if (files.size() > 4)
    if (auto parent = vigil::parseCgroupLimit(files[4])) expected = minLimit(expected, *parent);
  FUZZ_CHECK(s.limit == expected);
}

void checkV1(const vigil::MemorySample& s, const std::vector<std::string_view>& files) {
  auto usage = vigil::parseCgroupValue(files[0]);
  FUZZ_CHECK(usage && s.current == *usage);
  auto stat = vigil::parseKeyValues(files[1]);
  FUZZ_CHECK(s.anon == stat.at("total_rss"));
  FUZZ_CHECK(s.inactive_file == stat.at("total_inactive_file"));
  FUZZ_CHECK(s.file_mapped == vigil::valueOr(stat, "total_mapped_file", 0));
  auto oom = vigil::parseOomControl(files[2]);
  FUZZ_CHECK(oom && s.oom_kill == *oom);
  auto own = vigil::parseCgroupLimit(files[3]);
  FUZZ_CHECK(own);
  std::optional<uint64_t> expected = *own;
  if (auto h = stat.find("hierarchical_memory_limit");
      h != stat.end() && h->second < vigil::kUnlimitedThreshold)
    expected = minLimit(expected, h->second);
  FUZZ_CHECK(s.limit == expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const bool v1 = data[0] & 1;
  const MemSourceKind requested =
      std::array{MemSourceKind::Auto, MemSourceKind::Cgroup2, MemSourceKind::Cgroup1}[(data[0] >> 1) % 3];
  const Dirs& d = dirs();
  std::vector<std::string_view> files = fuzz::splitN(fuzz::asText(data + 1, size - 1), '\0', 5);
  if (size == 1) files.clear();  // no text at all: no files

  // Write this layout's files and remove the other layout's, so that only the input decides
  // which exist.
  for (size_t i = 0; i < kV2Files.size(); ++i) {
    std::string path = d.cgroup + "/" + kV2Files[i];
    if (!v1 && i < files.size())
      FUZZ_CHECK(fuzz::writeFile(path, files[i]));
    else
      ::unlink(path.c_str());
  }
  for (size_t i = 0; i < kV1Files.size(); ++i) {
    std::string path = d.cgroup + "/" + kV1Files[i];
    if (v1 && i < files.size()) {
      if (i != 1) FUZZ_CHECK(fuzz::writeFile(path, files[i]));  // memory.stat is shared
    } else if (i != 1) {
      ::unlink(path.c_str());
    }
  }
  if (v1 && files.size() > 1) FUZZ_CHECK(fuzz::writeFile(d.cgroup + "/memory.stat", files[1]));

  auto choice = vigil::chooseSource(requested, d.cgroup);
  if (!choice) {
    FUZZ_CHECK(!choice.error().what.empty());
    return 0;
  }
  vigil::MemorySource& source = *choice->source;
  FUZZ_CHECK(source.name() == (v1 ? "cgroup1" : "cgroup2"));
  FUZZ_CHECK(source.location() == d.cgroup);
  (void)source.eventsPath();
  for (MemMetric metric : {MemMetric::WorkingSet, MemMetric::Current, MemMetric::Anon, MemMetric::Rss}) {
    auto s = source.sample(metric);
    if (!s) {
      // Only the rss metric needs a key that the probe (a "current" sample) could do without.
      FUZZ_CHECK(metric == MemMetric::Rss);
      continue;
    }
    FUZZ_CHECK(s->usage == vigil::metricValue(*s, metric));
    if (s->limit) FUZZ_CHECK(*s->limit < vigil::kUnlimitedThreshold);
    if (v1)
      checkV1(*s, files);
    else
      checkV2(*s, files);
  }
  auto limit = source.limit();
  FUZZ_CHECK(limit);
  if (*limit) FUZZ_CHECK(**limit < vigil::kUnlimitedThreshold);
  return 0;
}
