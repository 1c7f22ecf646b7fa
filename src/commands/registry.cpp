// The registry of command descriptors, what is derived from it (option specs, the command list,
// --list-commands), and running one command.
#include "mortem/commands/registry.h"

#include <algorithm>

#include "command_helpers.h"
#include "mortem/commands/core_facts.h"
#include "mortem/core/escape.h"
#include "mortem/format/table.h"

namespace mortem::commands {
namespace {

std::vector<Command> BuildRegistry() {
  std::vector<Command> r;
  AddHeapCommands(r);
  AddBufferCommands(r);
  AddGraphCommands(r);
  AddSnapshotCommands(r);
  AddStackCommands(r);
  AddDiffCommands(r);
  return r;
}

}  // namespace

const std::vector<Command>& Registry() {
  static const std::vector<Command> registry = BuildRegistry();
  return registry;
}

const Command* FindCommand(const std::string& name) {
  for (const auto& c : Registry())
    if (c.name == name) return &c;
  return nullptr;
}

po::options_description CommandOptions(const Command& command) {
  po::options_description options(command.name + " options");
  options.add_options()("json", "print JSON instead of text")(
      "threads", po::value<unsigned>(), "worker threads for heap walks (default: all cores)");
  command.add_options(options);
  return options;
}

bool OptionTakesValue(const std::string& command, const std::string& option) {
  const Command* c = FindCommand(command);
  if (!c || !option.starts_with("--")) return false;
  const auto options = CommandOptions(*c);
  const auto* o = options.find_nothrow(option.substr(2), false);
  return o && o->semantic()->max_tokens() > 0;
}

void PrintCommandList(std::ostream& out, const std::function<std::string(const Command&)>& note) {
  format::Table table;
  table.AddColumn("");  // the indent
  table.AddColumn("command");
  table.AddColumn("summary");
  for (const auto& c : Registry()) table.AddRow({"", c.name, c.summary + (note ? note(c) : "")});
  table.Print(out, false);
}

nlohmann::json DescribeCommands() {
  nlohmann::json commands = nlohmann::json::array();
  for (const auto& c : Registry()) {
    nlohmann::json aliases = nlohmann::json::array();
    for (const auto& a : c.aliases)
      aliases.push_back({{"name", a.name}, {"usage", a.usage}, {"means", a.means}});
    commands.push_back({{"name", c.name},
                        {"summary", c.summary},
                        {"positionals", c.positionals},
                        {"second_core", c.second_core},
                        {"schema", c.schema},
                        {"aliases", aliases}});
  }
  return commands;
}

po::variables_map ParseOptions(const Command& command, const std::vector<std::string>& args) {
  auto options = CommandOptions(command);
  po::options_description hidden;
  po::positional_options_description positional;
  for (const auto& p : command.positionals) {
    hidden.add_options()(p.c_str(), po::value<std::string>());
    positional.add(p.c_str(), 1);
  }
  po::options_description all;
  all.add(options).add(hidden);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
  po::notify(vm);
  for (const auto& p : command.positionals)
    if (!vm.count(p)) throw po::error("missing argument " + p);
  return vm;
}

ExitCode RunCommand(const Command& command, Session& session, const std::vector<std::string>& args,
                    std::ostream& out, std::ostream& err, const Frontend& frontend) {
  try {
    const po::variables_map vm = ParseOptions(command, args);
    CoreSession other;
    Session* second = nullptr;
    if (command.second_core) {
      if (!frontend.other_cores)
        throw po::error("this frontend has one target; " + command.name +
                        " compares two cores (use the mortem CLI)");
      CoreTargetOptions where = *frontend.other_cores;
      where.core_path = vm[command.positionals.front()].as<std::string>();
      other = OpenCoreSession(where);
      second = other.session.get();
    }
    for (Session* s : {&session, second}) {
      if (s && vm.count("threads")) s->set_threads(std::max(1u, vm["threads"].as<unsigned>()));
    }
    // Text goes out with the control bytes of names and strings from the core escaped (JSON
    // escapes them itself).
    const bool json = vm.count("json") > 0;
    ControlEscaper escaped_out(out.rdbuf()), escaped_err(err.rdbuf());
    std::ostream text_out(&escaped_out), text_err(&escaped_err);
    Invocation in{session, second, frontend.force, vm, json, json ? out : text_out, text_err};
    ExitCode code = command.run(in);
    // A result from a truncated core may miss what the lost bytes held.
    const bool truncated = session.facts().truncated || (second && second->facts().truncated);
    if (code == ExitCode::kOk && truncated) code = ExitCode::kPartial;
    return code;
  } catch (const po::error& e) {
    err << "mortem " << command.name << ": " << e.what() << "\n";
    return ExitCode::kUsage;
  } catch (const Error& e) {
    err << "mortem " << command.name << ": error: " << e.what() << "\n";
    return e.code();
  } catch (const std::exception& e) {
    err << "mortem " << command.name << ": internal error: " << e.what() << "\n";
    return ExitCode::kInternal;
  }
}

}  // namespace mortem::commands
