// SPDX-License-Identifier: Apache-2.0
// Size and limit grammar for --mem-limit / --mem-hard-limit, and byte formatting.
#include "mem_limit.h"

#include <array>
#include <charconv>
#include <limits>

namespace vigil {
namespace {

__extension__ using Wide = unsigned __int128;

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
constexpr std::array<std::string_view, 7> kUnits = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool equalsNoCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

bool isDigit(char c) { return c >= '0' && c <= '9'; }

// A decimal number "123" or "12.375", split into its integer part and its fraction.
struct Decimal {
  uint64_t whole = 0;
  uint64_t frac = 0;  // the digits after the point, as an integer
  unsigned frac_digits = 0;
};

// Parses the leading decimal of `text`, leaving the rest (the unit) in `text`.
Result<Decimal> leadingDecimal(std::string_view& text, std::string_view shown) {
  size_t n = 0;
  while (n < text.size() && isDigit(text[n])) ++n;
  if (n == 0) return makeError("'" + std::string(shown) + "': expected a number, e.g. 512M");
  Decimal d;
  auto [end, ec] = std::from_chars(text.data(), text.data() + n, d.whole);
  if (ec != std::errc()) return makeError("'" + std::string(shown) + "': too large");
  (void)end;
  text.remove_prefix(n);
  if (!text.empty() && text[0] == '.') {
    size_t m = 1;
    while (m < text.size() && isDigit(text[m])) ++m;
    if (m == 1) return makeError("'" + std::string(shown) + "': expected digits after '.'");
    if (m - 1 > 18) return makeError("'" + std::string(shown) + "': too many decimal places");
    std::from_chars(text.data() + 1, text.data() + m, d.frac);
    d.frac_digits = static_cast<unsigned>(m - 1);
    text.remove_prefix(m);
  }
  return d;
}

uint64_t pow10(unsigned n) {
  uint64_t v = 1;
  while (n--) v *= 10;
  return v;
}

// The multiplier of a unit suffix, or 0 when it is not one.
uint64_t unitMultiplier(std::string_view unit) {
  if (equalsNoCase(unit, "b")) return 1;
  static constexpr std::string_view kLetters = "kmgtpe";
  if (unit.empty()) return 0;
  size_t power = kLetters.find(lower(unit[0]));
  if (power == std::string_view::npos) return 0;
  std::string_view rest = unit.substr(1);
  if (!rest.empty() && !equalsNoCase(rest, "b") && !equalsNoCase(rest, "i") &&
      !equalsNoCase(rest, "ib"))
    return 0;
  return uint64_t{1} << (10 * (power + 1));
}

}  // namespace

Result<uint64_t> parseSize(std::string_view text) {
  std::string_view rest = text;
  auto d = leadingDecimal(rest, text);
  if (!d) return d.error();
  if (rest.empty())
    return makeError("'" + std::string(text) +
                     "': a unit is required, e.g. 512M (1024-based: K, M, G, T; B for bytes)");
  uint64_t mult = unitMultiplier(rest);
  if (mult == 0)
    return makeError("'" + std::string(text) + "': unknown unit '" + std::string(rest) +
                     "' (valid: B, K, M, G, T, P, E, optionally followed by i, B or iB)");
  if (mult == 1 && d->frac_digits > 0)
    return makeError("'" + std::string(text) + "': a byte count cannot have a fraction");
  Wide value = Wide{d->whole} * mult + Wide{d->frac} * mult / pow10(d->frac_digits);
  if (value > kMax) return makeError("'" + std::string(text) + "': too large");
  return static_cast<uint64_t>(value);
}

Result<LimitSpec> parseLimit(std::string_view text) {
  LimitSpec spec;
  if (text.size() > 4 && equalsNoCase(text.substr(0, 4), "max-")) {
    auto size = parseSize(text.substr(4));
    if (!size) return makeError("'" + std::string(text) + "': after 'max-': " + size.error().what);
    spec.kind = LimitSpec::Kind::Headroom;
    spec.bytes = *size;
    return spec;
  }
  if (!text.empty() && text.back() == '%') {
    std::string_view rest = text.substr(0, text.size() - 1);
    auto d = leadingDecimal(rest, text);
    if (!d) return d.error();
    if (!rest.empty() || d->frac_digits > 2)
      return makeError("'" + std::string(text) + "': expected a percentage such as 90% or 92.5%");
    uint64_t bp = d->whole > 100 ? 10001 : d->whole * 100 + d->frac * pow10(2 - d->frac_digits);
    if (bp == 0 || bp > 10000)
      return makeError("'" + std::string(text) +
                       "': a percentage must be above 0% and at most 100%");
    spec.kind = LimitSpec::Kind::Percent;
    spec.basis_points = static_cast<uint32_t>(bp);
    return spec;
  }
  auto size = parseSize(text);
  if (!size) return size.error();
  if (*size == 0) return makeError("'" + std::string(text) + "': a limit must be above zero");
  spec.bytes = *size;
  return spec;
}

Result<uint64_t> resolveLimit(const LimitSpec& spec, std::optional<uint64_t> cgroup_max) {
  if (spec.kind == LimitSpec::Kind::Absolute) return spec.bytes;
  if (!cgroup_max)
    return makeError("'" + formatLimitSpec(spec) +
                     "' needs a visible memory limit (cgroup memory.max or "
                     "memory.limit_in_bytes), and this cgroup has none; give a size such as 1.5G");
  uint64_t resolved = 0;
  if (spec.kind == LimitSpec::Kind::Percent) {
    resolved = static_cast<uint64_t>(Wide{*cgroup_max} * spec.basis_points / 10000);
  } else if (spec.bytes < *cgroup_max) {
    resolved = *cgroup_max - spec.bytes;
  }
  if (resolved == 0)
    return makeError("'" + formatLimitSpec(spec) + "' leaves nothing of the memory limit " +
                     formatBytes(*cgroup_max));
  return resolved;
}

std::string formatLimitSpec(const LimitSpec& spec) {
  switch (spec.kind) {
    case LimitSpec::Kind::Absolute:
      return formatBytes(spec.bytes);
    case LimitSpec::Kind::Headroom:
      return "max-" + formatBytes(spec.bytes);
    case LimitSpec::Kind::Percent: {
      std::string out = std::to_string(spec.basis_points / 100);
      uint32_t cents = spec.basis_points % 100;
      if (cents != 0) {
        out += '.';
        out += static_cast<char>('0' + cents / 10);
        if (cents % 10 != 0) out += static_cast<char>('0' + cents % 10);
      }
      return out + "%";
    }
  }
  return "?";
}

std::string formatBytes(uint64_t bytes) {
  size_t k = 0;
  while (k + 1 < kUnits.size() && bytes >= (uint64_t{1} << (10 * (k + 1)))) ++k;
  if (k == 0) return std::to_string(bytes) + "B";
  while (true) {
    const Wide unit = Wide{1} << (10 * k);
    // Tenths of a unit, rounded half up; 100 units and more are shown without a decimal.
    auto tenths = static_cast<uint64_t>((Wide{bytes} * 10 + unit / 2) / unit);
    auto whole = static_cast<uint64_t>((Wide{bytes} + unit / 2) / unit);
    if (whole >= 1024 && k + 1 < kUnits.size()) {
      ++k;  // 1023.99KiB reads better as 1MiB
      continue;
    }
    std::string out;
    if (tenths >= 1000 || tenths % 10 == 0) {
      out = std::to_string(tenths >= 1000 ? whole : tenths / 10);
    } else {
      out = std::to_string(tenths / 10) + "." + std::to_string(tenths % 10);
    }
    return out + std::string(kUnits[k]);
  }
}

}  // namespace vigil
