// SPDX-License-Identifier: Apache-2.0
// parseConfig invoked as dumb-init: dumb-init's options and DUMB_INIT_* variables (plus VIGIL_*
// and a config file). The input is laid out as config_fuzz.h describes.
#include "config_fuzz.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::fuzzConfig("/sbin/dumb-init", fuzz::asText(data, size));
  return 0;
}
