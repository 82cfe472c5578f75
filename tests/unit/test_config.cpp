// SPDX-License-Identifier: Apache-2.0
// Configuration: command line, VIGIL_* variables and JSON file, with precedence and errors.
#include <doctest/doctest.h>
#include <signal.h>

#include <map>

#include "config.h"
#include "options.h"

using namespace vigil;

namespace {

struct Inputs {
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::map<std::string, std::string> files;
};

Result<Config> parse(const Inputs& in) {
  ConfigInput ci;
  ci.args = in.args;
  ci.env = in.env;
  auto files = in.files;
  ci.read_file = [files](const std::string& path) -> Result<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return Error{2, "open " + path + ": No such file or directory"};
    return it->second;
  };
  return parseConfig(ci);
}

std::string errorOf(const Inputs& in) {
  auto c = parse(in);
  REQUIRE_FALSE(c);
  return c.error().what;
}

}  // namespace

TEST_SUITE("config") {
  TEST_CASE("stops option parsing at the first non-option") {
    auto c = parse({{"-v", "python", "-m", "app", "--verbose"}, {}, {}});
    REQUIRE(c);
    CHECK(c->verbose == 1);
    CHECK(c->command == std::vector<std::string>{"python", "-m", "app", "--verbose"});
  }

  TEST_CASE("takes everything after -- as the program") {
    auto c = parse({{"--", "-weird-name", "x"}, {}, {}});
    REQUIRE(c);
    CHECK(c->command == std::vector<std::string>{"-weird-name", "x"});
  }

  TEST_CASE("applies defaults") {
    auto c = parse({{"true"}, {}, {}});
    REQUIRE(c);
    CHECK(c->signal_target == SignalTarget::Child);
    CHECK(c->cleanup_grace.count() == 5000);
    CHECK_FALSE(c->wait_all);
    CHECK(c->log_format == LogFormat::Text);
    CHECK(c->remap_exit.none());
    CHECK(c->rewritten(SIGTERM) == SIGTERM);
  }

  TEST_CASE("reads short clusters, attached values and --name=value") {
    auto c = parse({{"-gvv", "-p9", "-e", "143", "--remap-exit=130", "--cleanup-grace=2s", "x"},
                    {},
                    {}});
    REQUIRE(c);
    CHECK(c->signal_target == SignalTarget::Group);
    CHECK(c->verbose == 2);
    CHECK(c->pdeathsig == 9);
    CHECK(c->remap_exit.test(143));
    CHECK(c->remap_exit.test(130));
    CHECK(c->cleanup_grace.count() == 2000);
  }

  TEST_CASE("rewrites and drops signals") {
    auto c = parse({{"-r", "15:3", "-r", "USR1:0", "x"}, {}, {}});
    REQUIRE(c);
    CHECK(c->rewritten(SIGTERM) == SIGQUIT);
    CHECK(c->rewritten(SIGUSR1) == 0);
    CHECK(c->rewritten(SIGINT) == SIGINT);
  }

  TEST_CASE("every option has an environment variable and a JSON key") {
    for (const auto& o : optionTable()) {
      CAPTURE(o.name);
      if (o.kind == OptionKind::Action) {
        CHECK_FALSE(o.env_and_file);
        continue;
      }
      CHECK(envName(o.name).rfind("VIGIL_", 0) == 0);
      if (!o.hidden) CHECK(helpText().find(envName(o.name)) != std::string::npos);
    }
    CHECK(envName("mem-limit") == "VIGIL_MEM_LIMIT");
  }

  TEST_CASE("precedence is command line over environment over file over default") {
    Inputs in{{"--config", "c.json", "--cleanup-grace", "1s", "x"},
              {"VIGIL_CLEANUP_GRACE=2s", "VIGIL_SIGNAL_TARGET=all"},
              {{"c.json", R"({"cleanup-grace": "3s", "signal-target": "group", "wait-all": true})"}}};
    auto c = parse(in);
    REQUIRE(c);
    CHECK(c->cleanup_grace.count() == 1000);          // command line
    CHECK(c->signal_target == SignalTarget::All);     // environment over file
    CHECK(c->wait_all);                               // file over default
  }

  TEST_CASE("-g and --signal-target are one setting: the higher source wins") {
    auto c = parse({{"-g", "x"}, {"VIGIL_SIGNAL_TARGET=child"}, {}});
    REQUIRE(c);
    CHECK(c->signal_target == SignalTarget::Group);
    auto d = parse({{"--signal-target", "all", "x"}, {"VIGIL_GROUP=1"}, {}});
    REQUIRE(d);
    CHECK(d->signal_target == SignalTarget::All);
    auto e = parse({{"-g", "--signal-target", "group", "x"}, {}, {}});
    REQUIRE(e);
    CHECK(e->signal_target == SignalTarget::Group);
  }

  TEST_CASE("the config file can be named by VIGIL_CONFIG") {
    auto c = parse({{"x"}, {"VIGIL_CONFIG=/etc/vigil.json"},
                    {{"/etc/vigil.json", R"({"remap-exit": [143, "130"], "verbose": 2})"}}});
    REQUIRE(c);
    CHECK(c->remap_exit.test(143));
    CHECK(c->remap_exit.test(130));
    CHECK(c->verbose == 2);
  }

  TEST_CASE("list variables are comma-separated and a higher layer replaces the whole list") {
    auto c = parse({{"-e", "1", "x"}, {"VIGIL_REMAP_EXIT=143, 130"}, {}});
    REQUIRE(c);
    CHECK(c->remap_exit.test(1));
    CHECK_FALSE(c->remap_exit.test(143));
    auto e = parse({{"x"}, {"VIGIL_REMAP_EXIT=143, 130"}, {}});
    REQUIRE(e);
    CHECK(e->remap_exit.test(143));
    CHECK(e->remap_exit.test(130));
  }

  TEST_CASE("a false flag in a higher layer overrides a true one below") {
    auto c = parse({{"--config", "f", "x"}, {"VIGIL_WAIT_ALL=0"}, {{"f", R"({"wait-all": true})"}}});
    REQUIRE(c);
    CHECK_FALSE(c->wait_all);
  }

  TEST_CASE("bad input gives one line naming the option, the value and what is valid") {
    SUBCASE("unknown option") {
      CHECK(errorOf({{"--bogus", "x"}, {}, {}}) == "unknown option '--bogus' (see vigil --help)");
      CHECK(errorOf({{"-Z", "x"}, {}, {}}).find("'-Z'") != std::string::npos);
    }
    SUBCASE("bad value on the command line") {
      auto e = errorOf({{"--signal-target", "kids", "x"}, {}, {}});
      CHECK(e.find("--signal-target") == 0);
      CHECK(e.find("'kids'") != std::string::npos);
      CHECK(e.find("child, group or all") != std::string::npos);
    }
    SUBCASE("missing value") {
      CHECK(errorOf({{"--cleanup-grace"}, {}, {}}).find("needs a value") != std::string::npos);
    }
    SUBCASE("bad environment value") {
      auto e = errorOf({{"x"}, {"VIGIL_CLEANUP_GRACE=5"}, {}});
      CHECK(e.find("VIGIL_CLEANUP_GRACE") == 0);
      CHECK(e.find("'5'") != std::string::npos);
    }
    SUBCASE("unknown environment variable") {
      CHECK(errorOf({{"x"}, {"VIGIL_NOPE=1"}, {}}).find("VIGIL_NOPE") != std::string::npos);
    }
    SUBCASE("unknown JSON key") {
      auto e = errorOf({{"--config", "f", "x"}, {}, {{"f", R"({"bogus": 1})"}}});
      CHECK(e.find("unknown key \"bogus\"") != std::string::npos);
    }
    SUBCASE("malformed JSON") {
      auto e = errorOf({{"--config", "f", "x"}, {}, {{"f", "{\"verbose\": "}}});
      CHECK(e.find("f: malformed JSON") == 0);
    }
    SUBCASE("a JSON number out of range is malformed, not a crash") {
      auto e = errorOf({{"--config", "f", "x"}, {}, {{"f", R"({"verbose": 1e400})"}}});
      CHECK(e.find("f: malformed JSON") == 0);
      CHECK(e.find("number overflow") != std::string::npos);
    }
    SUBCASE("deeply nested JSON values are named by type, not printed") {
      std::string deep = "{\"rewrite\": [" + std::string(200000, '[') + std::string(200000, ']') + "]}";
      auto e = errorOf({{"--config", "f", "x"}, {}, {{"f", deep}}});
      CHECK(e.find("wrong type (array)") != std::string::npos);
      CHECK(e.size() < 200);
    }
    SUBCASE("JSON value of the wrong type") {
      auto e = errorOf({{"--config", "f", "x"}, {}, {{"f", R"({"cleanup-grace": [1]})"}}});
      CHECK(e.find("cleanup-grace") != std::string::npos);
    }
    SUBCASE("missing config file") {
      CHECK(errorOf({{"--config", "nope", "x"}, {}, {}}).find("nope") != std::string::npos);
      CHECK(errorOf({{"x"}, {"VIGIL_CONFIG=nope"}, {}}).rfind("VIGIL_CONFIG: ", 0) == 0);
    }
    SUBCASE("conflicting options") {
      CHECK(errorOf({{"-g", "--signal-target", "child", "x"}, {}, {}}).find("conflicts") !=
            std::string::npos);
    }
    SUBCASE("no program") {
      CHECK(errorOf({{"-v"}, {}, {}}).find("no program") != std::string::npos);
    }
    SUBCASE("errors are one line") {
      for (auto& e : {errorOf({{"--delay", "TERM", "x"}, {}, {}}),
                      errorOf({{"-r", "15", "x"}, {}, {}}),
                      errorOf({{"-e", "999", "x"}, {}, {}})}) {
        CHECK(e.find('\n') == std::string::npos);
      }
    }
  }

  TEST_CASE("actions need no program") {
    auto h = parse({{"--help"}, {}, {}});
    REQUIRE(h);
    CHECK(h->action == Action::Help);
    auto v = parse({{"--version"}, {}, {}});
    REQUIRE(v);
    CHECK(v->action == Action::Version);
  }

  TEST_CASE("help lists every visible option") {
    auto text = helpText();
    for (const auto& o : optionTable()) {
      if (o.hidden) continue;
      CHECK(text.find("--" + std::string(o.name)) != std::string::npos);
    }
  }
}
