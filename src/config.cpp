// SPDX-License-Identifier: Apache-2.0
// Merges the command line, VIGIL_* variables and the JSON config file through the option
// table. Each source becomes a layer of settings; the highest layer naming an option wins.
#include "config.h"

#include <algorithm>
#include <map>

#include <nlohmann/json.hpp>

#include "options.h"

namespace vigil {

int Config::rewritten(int signo) const {
  if (signo <= 0 || signo >= kMaxSignal) return signo;
  int r = rewrite[static_cast<size_t>(signo)];
  return r == 0 ? signo : r < 0 ? 0 : r;
}

namespace {

using json = nlohmann::ordered_json;

/// The values one source gives one option, and how to name that source in an error.
struct Setting {
  std::vector<std::string> values;
  std::string where;
  bool compat = false;  ///< from a tini/dumb-init option or variable
};

using Layer = std::map<const OptionSpec*, Setting>;

const OptionSpec* findLong(std::string_view name) {
  for (const auto& o : optionTable())
    if (o.name == name) return &o;
  return nullptr;
}

const OptionSpec* findShort(char c) {
  for (const auto& o : optionTable())
    if (o.short_name == c) return &o;
  return nullptr;
}

void addValue(Layer& layer, const OptionSpec* spec, std::string value, std::string where) {
  auto& s = layer[spec];
  if (spec->kind == OptionKind::Count) {
    // Repeated -v on the command line counts up; values arrive as "1" per occurrence.
    int prev = s.values.empty() ? 0 : static_cast<int>(parseUnsigned(s.values[0], 9).valueOr(0));
    s.values = {std::to_string(prev < 9 ? prev + 1 : 9)};
  } else if (spec->kind == OptionKind::List) {
    s.values.push_back(std::move(value));
  } else {
    s.values = {std::move(value)};
  }
  s.where = std::move(where);
}

Result<Layer> parseArgs(const std::vector<std::string>& args, std::vector<std::string>& command) {
  Layer layer;
  size_t i = 0;
  auto needValue = [&](const OptionSpec* spec, std::string shown) -> Result<std::string> {
    if (i + 1 >= args.size())
      return makeError(shown + ": needs a value (" + std::string(spec->metavar) + ")");
    return args[++i];
  };
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;  // the first non-option is the program
    if (a[1] == '-') {
      auto [name, value, has_value] = splitLongArg(std::string_view(a).substr(2));
      const OptionSpec* spec = findLong(name);
      if (!spec) return makeError("unknown option '--" + name + "' (see vigil --help)");
      std::string shown = "--" + name;
      if (spec->name == "compat")
        return makeError(shown + " must be the first argument (it decides how the rest is read)");
      if (spec->kind == OptionKind::Value || spec->kind == OptionKind::List) {
        if (!has_value) {
          auto v = needValue(spec, shown);
          if (!v) return v.error();
          value = *v;
        }
      } else if (has_value && spec->kind != OptionKind::Flag) {
        return makeError(shown + ": takes no value");
      } else if (!has_value) {
        value = "1";
      }
      addValue(layer, spec, value, shown);
      continue;
    }
    // A cluster of short options: "-gv", "-p9", "-p 9".
    for (size_t k = 1; k < a.size(); ++k) {
      const OptionSpec* spec = findShort(a[k]);
      std::string shown = std::string("-") + a[k];
      if (!spec) return makeError("unknown option '" + shown + "' (see vigil --help)");
      shown += "/--" + std::string(spec->name);  // errors name both spellings: "-u/--user"
      if (spec->kind == OptionKind::Value || spec->kind == OptionKind::List) {
        std::string value;
        if (k + 1 < a.size()) {
          value = a.substr(k + 1);
        } else {
          auto v = needValue(spec, shown);
          if (!v) return v.error();
          value = *v;
        }
        addValue(layer, spec, value, shown);
        break;
      }
      addValue(layer, spec, "1", shown);
    }
  }
  command.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
  return layer;
}

std::vector<std::string> splitList(std::string_view v) {
  std::vector<std::string> out;
  while (!v.empty()) {
    auto comma = v.find(',');
    std::string_view item = v.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (!item.empty()) out.emplace_back(item);
    if (comma == std::string_view::npos) break;
    v.remove_prefix(comma + 1);
  }
  return out;
}

Result<Layer> parseEnv(const std::vector<std::string>& env) {
  Layer layer;
  for (const auto& entry : env) {
    if (entry.rfind("VIGIL_", 0) != 0) continue;
    auto eq = entry.find('=');
    std::string name = entry.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : entry.substr(eq + 1);
    const OptionSpec* spec = nullptr;
    for (const auto& o : optionTable())
      if (o.env_and_file && envName(o.name) == name) spec = &o;
    if (!spec) return makeError("unknown variable " + name + " (see vigil --help)");
    Setting s{{}, name};
    if (spec->kind == OptionKind::List)
      s.values = splitList(value);
    else
      s.values = {value};
    layer[spec] = std::move(s);
  }
  return layer;
}

// JSON scalars become the same strings the command line would give.
Result<std::string> jsonScalar(const json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return std::string(v.get<bool>() ? "true" : "false");
  if (v.is_number_unsigned()) return std::to_string(v.get<unsigned long long>());
  if (v.is_number_integer()) return std::to_string(v.get<long long>());
  // An array or object is named, not printed: dump() recurses once per level of nesting, and a
  // deeply nested value would overflow the stack.
  if (v.is_structured())
    return makeError(std::string("has a value of the wrong type (") + v.type_name() + ")");
  return makeError("has a value of the wrong type " + v.dump(-1, ' ', false,
                                                              json::error_handler_t::replace));
}

Result<Layer> parseFile(const std::string& path, const std::string& text) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for a number like 1e400
    std::string what = e.what();
    if (auto p = what.find("parse error"); p != std::string::npos)
      what = what.substr(p);
    else if (auto q = what.find("] "); q != std::string::npos)
      what = what.substr(q + 2);  // "[json.exception.out_of_range.406] number overflow ..."
    return makeError(path + ": malformed JSON: " + what);
  }
  if (!doc.is_object()) return makeError(path + ": expected a JSON object of option names");
  Layer layer;
  for (const auto& [key, value] : doc.items()) {
    const OptionSpec* spec = findLong(key);
    std::string where = path + ": key \"" + key + "\"";
    if (!spec || !spec->env_and_file || spec->name == "config")
      return makeError(path + ": unknown key \"" + key + "\" (keys are long option names)");
    if (spec->name == "compat")
      return makeError(where + ": cannot be set in a config file (use the program name, "
                               "--compat or VIGIL_COMPAT)");
    Setting s{{}, where};
    // true/false only mean something to switches: {"termination-log": false} is not a path.
    auto wrongBool = [&](const json& v) {
      return v.is_boolean() && spec->kind != OptionKind::Flag && spec->kind != OptionKind::Count;
    };
    if (wrongBool(value) || (value.is_array() && std::any_of(value.begin(), value.end(), wrongBool)))
      return makeError(where + ": has a value of the wrong type (boolean; expected " +
                       std::string(spec->metavar.empty() ? "a value" : spec->metavar) + ")");
    if (value.is_array()) {
      if (spec->kind != OptionKind::List) return makeError(where + ": takes one value, not a list");
      for (const auto& item : value) {
        auto v = jsonScalar(item);
        if (!v) return makeError(where + ": " + v.error().what);
        s.values.push_back(*v);
      }
    } else {
      auto v = jsonScalar(value);
      if (!v) return makeError(where + ": " + v.error().what);
      s.values = {*v};
    }
    layer[spec] = std::move(s);
  }
  return layer;
}

void addCompat(Layer& layer, const std::vector<CompatSetting>& settings) {
  for (const auto& c : settings) {
    const OptionSpec* spec = findLong(c.option);
    if (!spec) continue;  // every name the compat parsers use is in the table (unit-tested)
    auto& s = layer[spec];
    if (spec->kind == OptionKind::List)
      s.values.push_back(c.value);
    else
      s.values = {c.value};
    s.where = c.where;
    s.compat = true;
  }
}

/// Splits `--compat MODE` / `--compat=MODE` off the front of the arguments.
Result<std::optional<Compat>> takeCompatArg(std::vector<std::string>& args) {
  if (args.empty()) return std::optional<Compat>();
  std::string value;
  if (args[0] == "--compat") {
    if (args.size() < 2) return makeError("--compat: needs a value (tini or dumb-init)");
    value = args[1];
    args.erase(args.begin(), args.begin() + 2);
  } else if (args[0].rfind("--compat=", 0) == 0) {
    value = args[0].substr(9);
    args.erase(args.begin());
  } else {
    return std::optional<Compat>();
  }
  auto mode = parseCompatName(value);
  if (!mode) return makeError("--compat: '" + value + "' is not valid (expected tini or dumb-init)");
  return std::optional<Compat>(*mode);
}

std::optional<std::string> envValue(const std::vector<std::string>& env, std::string_view name) {
  std::optional<std::string> found;
  for (const auto& e : env)
    if (e.size() > name.size() && e.compare(0, name.size(), name) == 0 && e[name.size()] == '=')
      found = e.substr(name.size() + 1);
  return found;
}

}  // namespace

Compat selectedCompat(const ConfigInput& input) {
  std::vector<std::string> args(input.args.begin(),
                                input.args.begin() + std::min<std::ptrdiff_t>(
                                                         2, static_cast<std::ptrdiff_t>(input.args.size())));
  if (auto m = takeCompatArg(args); m && *m) return **m;
  if (auto v = envValue(input.env, "VIGIL_COMPAT")) return parseCompatName(*v).value_or(Compat::None);
  return compatFromProgramName(input.argv0);
}

Result<Config> parseConfig(const ConfigInput& input) {
  Config cfg;
  std::vector<std::string> args = input.args;
  auto arg_mode = takeCompatArg(args);
  if (!arg_mode) return arg_mode.error();
  if (*arg_mode) {
    cfg.compat = **arg_mode;
  } else if (auto v = envValue(input.env, "VIGIL_COMPAT")) {
    auto mode = parseCompatName(*v);
    if (!mode) return makeError("VIGIL_COMPAT: '" + *v + "' is not valid (expected tini or dumb-init)");
    cfg.compat = *mode;
  } else {
    cfg.compat = compatFromProgramName(input.argv0);
  }

  Layer defaults;
  Result<Layer> cli = Layer{};
  std::vector<CompatSetting> compat_env;
  if (cfg.compat == Compat::None) {
    cli = parseArgs(args, cfg.command);
    if (!cli) return cli.error();
  } else {
    auto c = cfg.compat == Compat::Tini ? parseTiniArgs(args, input.env)
                                        : parseDumbInitArgs(args, input.env);
    if (!c) return Error{kCompatUsageExit, c.error().what};
    switch (c->action) {
      case CompatAction::Help:
        cfg.action = Action::Help;
        return cfg;
      case CompatAction::Version:
        cfg.action = Action::Version;
        return cfg;
      case CompatAction::License:
        cfg.action = Action::License;
        return cfg;
      case CompatAction::Run:
        break;
    }
    cfg.command = std::move(c->command);
    cfg.setsid = c->setsid;
    addCompat(defaults, c->defaults);
    addCompat(*cli, c->cli);
    compat_env = std::move(c->env);
  }
  auto env = parseEnv(input.env);
  if (!env) return env.error();
  // TINI_* / DUMB_INIT_* sit at the environment's precedence; a VIGIL_* variable for the same
  // option is the more specific one and wins.
  for (const auto& c : compat_env) {
    const OptionSpec* spec = findLong(c.option);
    if (spec && !env->count(spec)) addCompat(*env, {c});
  }

  std::optional<std::string> config_path;
  std::string config_where = "--config";
  for (const Layer* l : {&*env, &*cli}) {
    for (const auto& [spec, s] : *l) {
      if (spec->name == "config" && !s.values.empty()) {
        config_path = s.values.back();
        config_where = s.where;
      }
    }
  }
  Layer file;
  if (config_path) {
    if (!input.read_file) return makeError(config_where + ": cannot read files here");
    auto text = input.read_file(*config_path);
    if (!text) return makeError(config_where + ": " + text.error().what);
    auto f = parseFile(*config_path, *text);
    if (!f) return f.error();
    file = std::move(*f);
  }

  for (const auto& spec : optionTable()) {
    const Setting* chosen = nullptr;
    for (const Layer* l : {&defaults, &file, &*env, &*cli}) {
      if (auto it = l->find(&spec); it != l->end()) chosen = &it->second;
    }
    if (!chosen) continue;
    for (const auto& v : chosen->values) {
      auto r = spec.apply(cfg, v);
      if (!r)
        return Error{chosen->compat ? kCompatUsageExit : 0, chosen->where + ": " + r.error().what};
    }
    // Limits and users are resolved later (against the cgroup, /etc/passwd); their errors must
    // name what the user wrote.
    if (spec.name == "mem-limit") cfg.mem.soft_origin = chosen->where;
    if (spec.name == "mem-hard-limit") cfg.mem.hard_origin = chosen->where;
    if (spec.name == "user") cfg.privs.user_origin = chosen->where;
    if (spec.name == "keep-caps") cfg.privs.caps_origin = chosen->where;
  }

  // -g is another spelling of --signal-target group: the higher source wins, and only two
  // different answers from the same source conflict.
  int group_layer = -1, target_layer = -1;
  std::string target_value, target_where;
  const Layer* layers[] = {&defaults, &file, &*env, &*cli};
  for (int i = 0; i < 4; ++i) {
    for (const auto& [spec, s] : *layers[i]) {
      if (spec->name == "group" && !s.values.empty() && parseBool(s.values.back()).valueOr(false))
        group_layer = i;
      if (spec->name == "signal-target" && !s.values.empty()) {
        target_layer = i;
        target_value = s.values.back();
        target_where = s.where;
      }
    }
  }
  if (group_layer >= 0) {
    if (group_layer == target_layer && target_value != "group")
      return makeError("-g/--group conflicts with " + target_where + " " + target_value +
                       " (give one of them)");
    if (group_layer >= target_layer) cfg.signal_target = SignalTarget::Group;
  }
  if (cfg.action == Action::Health && !cfg.command.empty())
    return makeError("--health takes no program (got '" + cfg.command[0] + "')");
  if (cfg.mem.soft && cfg.mem.hard && cfg.mem.soft->kind == LimitSpec::Kind::Absolute &&
      cfg.mem.hard->kind == LimitSpec::Kind::Absolute && cfg.mem.soft->bytes > cfg.mem.hard->bytes)
    return makeError("--mem-limit " + formatLimitSpec(*cfg.mem.soft) + " is above --mem-hard-limit " +
                     formatLimitSpec(*cfg.mem.hard) + " (the soft limit must not exceed the hard one)");
  if (cfg.action == Action::Run && cfg.command.empty())
    return makeError("no program given (usage: vigil [OPTIONS] [--] PROGRAM [ARG...])");
  return cfg;
}

std::string helpText() {
  std::string out =
      "usage: vigil [OPTIONS] [--] PROGRAM [ARG...]\n"
      "       vigil --version | --help | --license\n\n"
      "Runs PROGRAM as the child of a container init: reaps every zombie and forwards\n"
      "signals. Every option also reads VIGIL_<NAME> and the JSON key NAME of --config;\n"
      "precedence: command line > environment > config file > default.\n\n"
      "options:\n";
  for (const auto& o : optionTable()) {
    if (o.hidden) continue;
    std::string left = "  ";
    left += o.short_name ? std::string("-") + o.short_name + ", " : std::string("    ");
    left += "--";
    left += o.name;
    if (!o.metavar.empty()) {
      left += ' ';
      left += o.metavar;
    }
    if (left.size() < 34) left.resize(34, ' ');
    else left += "\n" + std::string(34, ' ');
    out += left;
    out += o.help;
    if (o.env_and_file) {
      out += " [";
      out += envName(o.name);
      out += "]";
    }
    out += '\n';
  }
  return out;
}

}  // namespace vigil
