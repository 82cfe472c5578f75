// SPDX-License-Identifier: Apache-2.0
// The option value parsers, each on the whole input: durations, signals, exit codes, rewrite
// and delay rules, booleans, bounded numbers (values.h); sizes and memory limits and their
// resolution (mem_limit.h); --mem-metric, --mem-source, --compat names; --keep-caps lists.
// Parsed values must be in range, and what a formatter prints must parse back.
#include <signal.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "compat.h"
#include "fuzz_util.h"
#include "mem_limit.h"
#include "memory_source.h"
#include "privs.h"
#include "values.h"

namespace {

using fuzz::asText;
using vigil::LimitSpec;

constexpr long long kMaxMs = 1000000000000LL;

bool validSignal(int s) { return s >= 1 && s <= SIGRTMAX; }

void durations(std::string_view text) {
  auto d = vigil::parseDuration(text);
  if (!d) return;
  FUZZ_CHECK(d->count() >= 0 && d->count() <= kMaxMs);
  auto again = vigil::parseDuration(vigil::formatDuration(*d));
  FUZZ_CHECK(again && *again == *d);
}

void signals(std::string_view text) {
  auto s = vigil::parseSignal(text);
  auto z = vigil::parseSignalOrZero(text);
  if (s) {
    FUZZ_CHECK(validSignal(*s));
    FUZZ_CHECK(z && *z == *s);
    // signalName spells numbers it has no name for as "SIG<n>"; every other name parses back.
    std::string name = vigil::signalName(*s);
    bool numeric = name.size() > 3 && name[3] >= '0' && name[3] <= '9';
    if (!numeric) {
      auto again = vigil::parseSignal(name);
      FUZZ_CHECK(again && *again == *s);
    }
  }
  if (z) FUZZ_CHECK(*z == 0 || validSignal(*z));
  if (z && *z == 0) FUZZ_CHECK(!s);

  if (auto r = vigil::parseRewrite(text)) {
    FUZZ_CHECK(validSignal(r->from));
    FUZZ_CHECK(r->to == 0 || validSignal(r->to));
  }
  if (auto d = vigil::parseDelay(text)) {
    FUZZ_CHECK(validSignal(d->signo));
    FUZZ_CHECK(d->delay.count() >= 0 && d->delay.count() <= kMaxMs);
  }
}

void numbers(std::string_view text) {
  if (auto e = vigil::parseExitCode(text)) FUZZ_CHECK(*e >= 0 && *e <= 255);
  (void)vigil::parseBool(text);
  for (unsigned long long max : {0ULL, 9ULL, 255ULL, std::numeric_limits<unsigned long long>::max()}) {
    auto n = vigil::parseUnsigned(text, max);
    if (!n) continue;
    FUZZ_CHECK(*n <= max);
    FUZZ_CHECK(std::to_string(*n).size() <= text.size());
  }
}

// formatBytes rounds to one decimal of its unit: at most 5% off, and never up past 2^64-1
// except for the largest values, which it shows as "16EiB".
void checkFormattedSize(uint64_t bytes) {
  std::string shown = vigil::formatBytes(bytes);
  auto back = vigil::parseSize(shown);
  if (!back) {
    FUZZ_CHECK(shown == "16EiB");
    return;
  }
  uint64_t diff = *back > bytes ? *back - bytes : bytes - *back;
  FUZZ_CHECK(diff <= bytes / 20 + 1);
}

void sizes(std::string_view text) {
  if (auto s = vigil::parseSize(text)) checkFormattedSize(*s);

  auto l = vigil::parseLimit(text);
  if (!l) return;
  switch (l->kind) {
    case LimitSpec::Kind::Absolute:
      FUZZ_CHECK(l->bytes > 0);
      checkFormattedSize(l->bytes);
      break;
    case LimitSpec::Kind::Headroom:
      checkFormattedSize(l->bytes);
      break;
    case LimitSpec::Kind::Percent: {
      FUZZ_CHECK(l->basis_points >= 1 && l->basis_points <= 10000);
      auto again = vigil::parseLimit(vigil::formatLimitSpec(*l));
      FUZZ_CHECK(again && again->kind == LimitSpec::Kind::Percent &&
                 again->basis_points == l->basis_points);
      break;
    }
  }
  for (std::optional<uint64_t> max :
       {std::optional<uint64_t>{}, std::optional<uint64_t>{1}, std::optional<uint64_t>{4096},
        std::optional<uint64_t>{uint64_t{3} << 29}, std::optional<uint64_t>{UINT64_MAX}}) {
    auto r = vigil::resolveLimit(*l, max);
    if (l->kind == LimitSpec::Kind::Absolute) {
      FUZZ_CHECK(r && *r == l->bytes);
      continue;
    }
    if (!max) {
      FUZZ_CHECK(!r);
      continue;
    }
    if (!r) continue;
    FUZZ_CHECK(*r > 0 && *r <= *max);
    if (l->kind == LimitSpec::Kind::Headroom) FUZZ_CHECK(*r == *max - l->bytes);
  }
}

void names(std::string_view text) {
  if (auto m = vigil::parseMemMetric(text)) FUZZ_CHECK(vigil::metricName(*m) == text);
  if (auto k = vigil::parseMemSourceKind(text)) FUZZ_CHECK(vigil::sourceKindName(*k) == text);
  if (auto c = vigil::parseCompatName(text)) FUZZ_CHECK(std::string_view(vigil::compatName(*c)) == text);
  (void)vigil::compatFromProgramName(text);
}

void capabilities(std::string_view text) {
  auto caps = vigil::parseCapList(text);
  if (!caps) return;
  auto again = vigil::parseCapList(vigil::capListToString(*caps));
  FUZZ_CHECK(again && *again == *caps);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = asText(data, size);
  durations(text);
  signals(text);
  numbers(text);
  sizes(text);
  names(text);
  capabilities(text);
  return 0;
}
