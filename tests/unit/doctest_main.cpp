// SPDX-License-Identifier: Apache-2.0
// The doctest main of the unit-test executable. Each meson test selects one module with
// --source-file=*test_<module>.cpp; a selection that matches no test case is a failure, so a
// renamed or emptied module cannot pass by running nothing.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>
#include <string>
#include <string_view>

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    constexpr std::string_view kFilter = "--source-file=*";
    if (arg.substr(0, kFilter.size()) != kFilter) continue;
    std::string_view want = arg.substr(kFilter.size());
    bool found = false;
    for (const auto& tc : doctest::detail::getRegisteredTests()) {
      std::string_view file = tc.m_file.c_str();
      if (file.size() >= want.size() && file.substr(file.size() - want.size()) == want)
        found = true;
    }
    if (!found) {
      std::fprintf(stderr, "no test cases in %s\n", std::string(want).c_str());
      return 1;
    }
  }
  doctest::Context context(argc, argv);
  return context.run();
}
