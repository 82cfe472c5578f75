// SPDX-License-Identifier: Apache-2.0
// Pure parsers for the kernel's memory accounting files: cgroup memory.stat / memory.events /
// memory.current / memory.max and their cgroup v1 counterparts.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"

namespace vigil {

/// Values at or above this are "unlimited" (v1 prints PAGE_COUNTER_MAX pages as ~2^63 bytes).
inline constexpr uint64_t kUnlimitedThreshold = uint64_t{1} << 62;

/// The entries of a flat-keyed file, by key.
using KeyValues = std::map<std::string, uint64_t, std::less<>>;

/// Parses "key value" lines (memory.stat, memory.events, memory.oom_control); lines that are
/// not a key followed by one unsigned decimal number are skipped.
KeyValues parseKeyValues(std::string_view text);

/// Like parseKeyValues, but keeps only the keys in `only`: a sample needs three of the fifty
/// keys of memory.stat, and the others would only cost allocations.
KeyValues parseKeyValues(std::string_view text, std::initializer_list<std::string_view> only);

/// The value of `key`, or an Error "missing key 'KEY'".
Result<uint64_t> requireKey(const KeyValues& values, std::string_view key);

/// The value of `key`, or `fallback` when it is absent.
uint64_t valueOr(const KeyValues& values, std::string_view key, uint64_t fallback);

/// Parses a single-number file (memory.current, memory.usage_in_bytes); whitespace is trimmed.
Result<uint64_t> parseCgroupValue(std::string_view text);

/// Parses a limit file (memory.max, memory.limit_in_bytes): "max" or a value at or above
/// kUnlimitedThreshold is std::nullopt (unlimited).
Result<std::optional<uint64_t>> parseCgroupLimit(std::string_view text);

/// The oom_kill count of a v1 memory.oom_control file; 0 on kernels before 4.13 that lack it.
Result<uint64_t> parseOomControl(std::string_view text);

}  // namespace vigil
