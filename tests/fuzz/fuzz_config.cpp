// SPDX-License-Identifier: Apache-2.0
// parseConfig: the command line, VIGIL_* (and TINI_*/DUMB_INIT_*) variables and the JSON config
// file, under each name vigil may be invoked as. The first byte picks the name (its value
// modulo 4: '0' vigil, '1' tini, '2' dumb-init, '3' docker-init); the rest is laid out as
// config_fuzz.h describes.
#include <array>

#include "config_fuzz.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static constexpr std::array<const char*, 4> kNames = {"vigil", "tini", "dumb-init",
                                                        "docker-init"};
  if (size == 0) return 0;
  std::string argv0 = std::string("/usr/bin/") + kNames[data[0] % kNames.size()];
  fuzz::fuzzConfig(std::move(argv0), fuzz::asText(data + 1, size - 1));
  return 0;
}
