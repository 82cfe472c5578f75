// SPDX-License-Identifier: Apache-2.0
// The cgroup memory file parsers (memory_stat.h), each on the whole input: memory.stat,
// memory.events and memory.oom_control ("key value" lines), memory.current and
// memory.usage_in_bytes (one number), memory.max and memory.limit_in_bytes (a limit or "max").
#include <algorithm>
#include <cstdint>
#include <string>

#include "fuzz_util.h"
#include "memory_stat.h"

namespace {

using fuzz::asText;

constexpr std::string_view kSpace = " \t\r\n";

std::string_view trim(std::string_view s) {
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  return s.substr(b, s.find_last_not_of(kSpace) - b + 1);
}

// The filtered parse is the full parse restricted to the keys asked for.
void checkFiltered(const vigil::KeyValues& all, std::string_view text,
                   std::initializer_list<std::string_view> only) {
  vigil::KeyValues some = vigil::parseKeyValues(text, only);
  size_t expected = 0;
  for (std::string_view key : only) {
    auto it = all.find(key);
    if (it == all.end()) {
      FUZZ_CHECK(!some.count(key));
      FUZZ_CHECK(!vigil::requireKey(some, key));
      FUZZ_CHECK(vigil::valueOr(some, key, 7) == 7);
      continue;
    }
    ++expected;
    auto r = vigil::requireKey(some, key);
    FUZZ_CHECK(r && *r == it->second);
  }
  FUZZ_CHECK(some.size() == expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = asText(data, size);

  vigil::KeyValues all = vigil::parseKeyValues(text);
  for (const auto& [key, value] : all) {
    FUZZ_CHECK(!key.empty());
    // Keys are split at blanks; a stray '\r' inside a line stays part of its key.
    FUZZ_CHECK(key.find_first_of(" \t\n") == std::string::npos);
    (void)value;
  }
  // The key sets the sources ask for (memory_source.cpp).
  checkFiltered(all, text, {"anon", "inactive_file", "file_mapped"});
  checkFiltered(all, text, {"low", "high", "max", "oom", "oom_kill"});
  checkFiltered(all, text,
                {"total_rss", "total_inactive_file", "total_mapped_file", "hierarchical_memory_limit"});

  auto value = vigil::parseCgroupValue(text);
  if (value) {
    // One whole decimal number, surrounded by whitespace at most.
    std::string_view t = trim(text);
    FUZZ_CHECK(!t.empty() && t.find_first_not_of("0123456789") == std::string_view::npos);
    std::string_view digits = t.substr(std::min(t.find_first_not_of('0'), t.size()));
    FUZZ_CHECK(std::to_string(*value) == (digits.empty() ? std::string_view("0") : digits));
  }

  auto limit = vigil::parseCgroupLimit(text);
  if (limit) {
    if (*limit) FUZZ_CHECK(**limit < vigil::kUnlimitedThreshold);
    FUZZ_CHECK(trim(text) == "max" || value);
    if (value && *value < vigil::kUnlimitedThreshold) FUZZ_CHECK(*limit && **limit == *value);
  } else {
    FUZZ_CHECK(!value);
  }

  auto oom = vigil::parseOomControl(text);
  if (oom) {
    if (all.count("oom_kill"))
      FUZZ_CHECK(*oom == all.at("oom_kill"));
    else
      FUZZ_CHECK(*oom == 0 && (all.count("oom_kill_disable") || all.count("under_oom")));
  }
  return 0;
}
