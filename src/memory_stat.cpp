// SPDX-License-Identifier: Apache-2.0
// Pure parsers for cgroup memory files.
#include "memory_stat.h"

#include <algorithm>

#include <charconv>

namespace vigil {
namespace {

constexpr std::string_view kSpace = " \t\r\n";

std::string_view trim(std::string_view s) {
  size_t b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  size_t e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

// A whole-string unsigned decimal: no sign, no spaces, no trailing characters.
std::optional<uint64_t> toUnsigned(std::string_view s) {
  if (s.empty() || s[0] < '0' || s[0] > '9') return std::nullopt;
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

std::string quoted(std::string_view s) {
  constexpr size_t kMaxShown = 40;
  std::string out = "'";
  out += s.substr(0, kMaxShown);
  if (s.size() > kMaxShown) out += "...";
  out += "'";
  return out;
}

}  // namespace

KeyValues parseKeyValues(std::string_view text) { return parseKeyValues(text, {}); }

KeyValues parseKeyValues(std::string_view text, std::initializer_list<std::string_view> only) {
  KeyValues out;
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    size_t sp = line.find_first_of(" \t");
    if (sp == std::string_view::npos) continue;
    std::string_view key = line.substr(0, sp);
    if (only.size() && std::find(only.begin(), only.end(), key) == only.end()) continue;
    auto value = toUnsigned(trim(line.substr(sp)));
    if (!value) continue;
    out.insert_or_assign(std::string(key), *value);
  }
  return out;
}

Result<uint64_t> requireKey(const KeyValues& values, std::string_view key) {
  auto it = values.find(key);
  if (it == values.end()) return makeError("missing key '" + std::string(key) + "'");
  return it->second;
}

uint64_t valueOr(const KeyValues& values, std::string_view key, uint64_t fallback) {
  auto it = values.find(key);
  return it == values.end() ? fallback : it->second;
}

Result<uint64_t> parseCgroupValue(std::string_view text) {
  std::string_view t = trim(text);
  if (t.empty()) return makeError("empty file, expected a number");
  auto v = toUnsigned(t);
  if (!v) return makeError("not a number: " + quoted(t));
  return *v;
}

Result<std::optional<uint64_t>> parseCgroupLimit(std::string_view text) {
  std::string_view t = trim(text);
  if (t == "max") return std::optional<uint64_t>{};
  auto v = parseCgroupValue(t);
  if (!v) return makeError(v.error().what + " (or 'max')");
  if (*v >= kUnlimitedThreshold) return std::optional<uint64_t>{};
  return std::optional<uint64_t>{*v};
}

Result<uint64_t> parseOomControl(std::string_view text) {
  KeyValues kv = parseKeyValues(text);
  if (auto it = kv.find("oom_kill"); it != kv.end()) return it->second;
  // Kernels before 4.13 have no oom_kill line; the file is still recognisable by its others.
  if (kv.count("oom_kill_disable") || kv.count("under_oom")) return uint64_t{0};
  return makeError("not a memory.oom_control file (no oom_kill_disable line)");
}

}  // namespace vigil
