// The registry of command descriptors, what is derived from it (option specs, the command list,
// --list-commands), and running one command.
#include "mortem/commands/registry.h"

#include <algorithm>
#include <charconv>
#include <set>
#include <sstream>

#include "command_helpers.h"
#include "mortem/analysis/inspect.h"
#include "mortem/analysis/isolate_pairs.h"
#include "mortem/commands/core_facts.h"
#include "mortem/core/escape.h"
#include "mortem/core/text.h"
#include "mortem/format/table.h"

namespace mortem::commands {
namespace {

std::vector<Command> BuildRegistry() {
  std::vector<Command> r;
  AddHeapCommands(r);
  AddBufferCommands(r);
  AddMemoryCommands(r);
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
  if (command.isolates == IsolateScope::kOne)
    options.add_options()("isolate", po::value<std::string>()->default_value("0"),
                          "the isolate: N (0: the main thread; see `info`)");
  else if (command.isolates != IsolateScope::kProcess)
    options.add_options()("isolate", po::value<std::string>()->default_value("all"),
                          "the isolate to analyse: N (0: the main thread; see `info`) or all");
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
                        {"isolates", c.isolates == IsolateScope::kProcess ? "process"
                                     : c.isolates == IsolateScope::kOne   ? "one"
                                                                          : "each"},
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

std::string IsolateTitle(const IsolateInfo& i) {
  std::string title = "isolate " + std::to_string(i.index) + ": ";
  title += i.main_thread ? "main thread" : i.tid ? "worker thread" : "thread not found";
  if (i.tid) title += " (tid " + std::to_string(i.tid) + ")";
  return title;
}

nlohmann::json IsolateJson(const IsolateInfo& i) {
  return {{"isolate", i.index},
          {"tid", i.tid},
          {"main_thread", i.main_thread},
          {"isolate_address", Hex(i.isolate)},
          {"heap_address", Hex(i.heap)}};
}

// One document for all isolates: the first isolate's fields; every top-level array of objects
// concatenated over the isolates, each element tagged with its "isolate"; warnings prefixed with
// their isolate where there are several; a top-level "partial" true if any isolate's is; and
// "isolates": each isolate with its own top-level values that are not such arrays.
nlohmann::json MergeIsolateDocuments(
    const std::vector<std::pair<IsolateInfo, nlohmann::json>>& docs) {
  nlohmann::json merged = docs.front().second;
  nlohmann::json isolates = nlohmann::json::array();
  for (auto& [key, value] : merged.items())
    if (value.is_array() && (value.empty() || value.front().is_object()))
      value = nlohmann::json::array();
  std::set<std::string> warnings_seen;
  nlohmann::json warnings = nlohmann::json::array();
  for (const auto& [info, doc] : docs) {
    nlohmann::json entry = IsolateJson(info);
    for (const auto& [key, value] : doc.items()) {
      if (key == "warnings" && value.is_array()) {
        for (const auto& w : value) {
          if (!w.is_string()) continue;
          std::string text = w.get<std::string>();
          if (docs.size() > 1 && !warnings_seen.count(text))
            text = "isolate " + std::to_string(info.index) + ": " + text;
          if (warnings_seen.insert(w.get<std::string>()).second) warnings.push_back(text);
        }
      } else if (value.is_array() && (value.empty() || value.front().is_object())) {
        for (auto element : value) {
          element["isolate"] = info.index;
          merged[key].push_back(std::move(element));
        }
      } else if (key != "schema") {
        entry[key] = value;
        if (key == "partial" && value.is_boolean() && value.get<bool>()) merged[key] = true;
      }
    }
    isolates.push_back(std::move(entry));
  }
  if (merged.contains("warnings")) merged["warnings"] = warnings;
  merged["isolates"] = isolates;
  return merged;
}

namespace {

size_t ParseIsolateIndex(const std::string& which) {
  size_t index = 0;
  auto [end, ec] = std::from_chars(which.data(), which.data() + which.size(), index);
  if (ec != std::errc() || end != which.data() + which.size())
    throw po::error("--isolate takes an isolate's index (see `info`) or all");
  return index;
}

// The isolates a run of the command covers: --isolate N, the isolate of an address argument, or
// all of them.
std::vector<size_t> TargetIsolates(const Command& command, Session& session,
                                   const po::variables_map& vm) {
  const auto& isolates = session.isolates();
  const std::string which = vm.count("isolate") ? vm["isolate"].as<std::string>() : "all";
  if (which == "all" && command.isolates == IsolateScope::kOne)
    throw po::error(command.name + " describes one isolate: --isolate N (see `info`)");
  if (which != "all") {
    const size_t index = ParseIsolateIndex(which);
    session.SelectIsolate(index);  // throws if out of range
    return {index};
  }
  if (command.isolates == IsolateScope::kByAddress && !command.positionals.empty() &&
      vm.count(command.positionals.front()) && !vm.count("name") && !vm.count("string")) {
    try {
      auto address = ParseAddress(vm[command.positionals.front()].as<std::string>());
      if (auto index = session.IsolateOf(address)) return {*index};
    } catch (const Error&) {
      // Not an address: the command says so itself.
    }
    return {0};
  }
  std::vector<size_t> all;
  for (const auto& i : isolates) all.push_back(i.index);
  return all;
}

// Exit codes of the isolates' runs as one: a condition met wins, then a partial result; "not
// found" (bad input) only if no isolate had a result.
ExitCode CombineCodes(const std::vector<ExitCode>& codes) {
  bool any_ok = false, partial = false, condition = false;
  for (ExitCode c : codes) {
    any_ok |= c == ExitCode::kOk || c == ExitCode::kPartial || c == ExitCode::kConditionMet;
    partial |= c == ExitCode::kPartial;
    condition |= c == ExitCode::kConditionMet;
  }
  if (!any_ok) return codes.front();
  return condition ? ExitCode::kConditionMet : partial ? ExitCode::kPartial : ExitCode::kOk;
}

// A command whose result came out whole from a heap the session found damaged (pages it could
// not parse, page lists it could not follow) is partial all the same: said on stderr, set in the
// JSON document's `partial` where it has one, and exit 5. A result the command found partial
// itself gets the same lines: the damage is most often why. `damage`: the selected isolate's
// (and its pair's in the second core), or, for a command of the whole process, every isolate's.
ExitCode WithHeapDamage(const Command& command, Invocation& in, ExitCode code, nlohmann::json* doc,
                        std::vector<std::string> damage) {
  if (code != ExitCode::kOk && code != ExitCode::kPartial) return code;
  if (damage.empty()) return code;
  for (const auto& d : damage)
    in.err << "mortem " << command.name << ": partial heap: " << d << "\n";
  if (doc && doc->contains("partial")) (*doc)["partial"] = true;
  return ExitCode::kPartial;
}

ExitCode WithHeapDamage(const Command& command, Invocation& in, ExitCode code,
                        nlohmann::json* doc) {
  std::vector<std::string> damage = in.session.HeapDamage();
  if (in.second)
    for (auto& d : in.second->HeapDamage()) damage.push_back("the second core: " + std::move(d));
  return WithHeapDamage(command, in, code, doc, std::move(damage));
}

// A command of the whole process: run once, then partial by the damage of every isolate whose
// heap it found (its JSON document held back until that is known).
ExitCode RunForProcess(const Command& command, Invocation& in) {
  if (!in.json) {
    const ExitCode code = command.run(in);  // before the damage it found is asked for
    return WithHeapDamage(command, in, code, nullptr, in.session.HeapDamageOfAll());
  }
  std::ostringstream captured;
  Invocation here{in.session, in.second, in.force,     in.options, in.json,
                  captured,   in.err,    in.thread_id, in.overview};
  ExitCode code = command.run(here);
  nlohmann::json doc = nlohmann::json::parse(captured.str(), nullptr, false);
  if (doc.is_discarded()) {  // not one document: passed on as it is
    in.out << captured.str();
    return code;
  }
  code = WithHeapDamage(command, in, code, &doc, in.session.HeapDamageOfAll());
  in.out << doc.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  return code;
}

// One run of a command: the isolate it describes (of the first core), its section title, and
// how to select it (and its pair in the second core).
struct Target {
  IsolateInfo info;
  std::string title;
  std::function<void()> select;
  std::optional<uint64_t> thread_id;  // second_core: Node's threadId of both isolates
};

// Runs the command once per target: text in sections (where the cores hold several isolates,
// after the command's overview of them if it has one), JSON merged into one document.
ExitCode RunTargets(const Command& command, Invocation& in, const std::vector<Target>& targets,
                    bool sections, const std::vector<std::string>& warnings = {}) {
  Session& session = in.session;
  std::vector<ExitCode> codes;
  std::vector<std::pair<IsolateInfo, nlohmann::json>> docs;
  // With an overview, the sections wait for it: each run's text is kept until all have run.
  const bool overview = !in.json && sections && command.overview && targets.size() > 1;
  std::ostringstream sections_text;
  std::ostream& text_out = overview ? sections_text : in.out;
  std::vector<std::any> overviews;
  bool failed = false;
  for (size_t n = 0; n < targets.size(); ++n) {
    const Target& target = targets[n];
    target.select();
    std::ostringstream captured;
    std::any left;
    Invocation here{session,    in.second,        in.force,
                    in.options, in.json,          in.json ? captured : text_out,
                    in.err,     target.thread_id, overview ? &left : nullptr};
    if (!in.json && sections) text_out << (n ? "\n" : "") << "== " << target.title << " ==\n";
    try {
      codes.push_back(command.run(here));
    } catch (const Error& e) {
      if (targets.size() == 1) throw;
      // One unreadable isolate: said, and the others still analysed.
      in.err << "mortem " << command.name << ": " << target.title << ": error: " << e.what()
             << "\n";
      failed = true;
      continue;
    }
    if (left.has_value()) overviews.push_back(std::move(left));
    nlohmann::json doc = in.json ? nlohmann::json::parse(captured.str()) : nlohmann::json();
    codes.back() = WithHeapDamage(command, in, codes.back(), in.json ? &doc : nullptr);
    if (in.json) docs.emplace_back(target.info, std::move(doc));
  }
  session.SelectIsolate(0);
  if (in.second) in.second->SelectIsolate(0);
  if (overview) {
    if (!overviews.empty()) {
      command.overview(in, overviews);
      in.out << "\n";
    }
    in.out << sections_text.str();
  }
  if (in.json && !docs.empty()) {
    nlohmann::json merged = MergeIsolateDocuments(docs);
    for (const auto& w : warnings) merged["warnings"].push_back(w);
    in.out << merged.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else if (!in.json) {
    for (const auto& w : warnings) in.out << "warning: " << w << "\n";
  }
  if (codes.empty()) throw Error("no isolate could be analysed");
  ExitCode code = CombineCodes(codes);
  if (code == ExitCode::kOk && (failed || !session.broken_isolates().empty()))
    code = ExitCode::kPartial;
  return code;
}

// A command comparing two cores: once per pair of isolates, paired by Node's threadId; --isolate
// N: the first core's isolate N and its pair. Isolates without a pair are warned about.
ExitCode RunPairedIsolates(const Command& command, Invocation& in) {
  Session& session = in.session;
  const std::string which = in.options["isolate"].as<std::string>();
  std::optional<size_t> only;
  if (which != "all") only = ParseIsolateIndex(which);
  const IsolatePairing pairing = PairIsolates(session, *in.second, only);
  if (pairing.pairs.empty())
    throw Error("no isolate of the first core has its pair in the second: " +
                (pairing.warnings.empty() ? std::string("none found") : pairing.warnings.back()));
  std::vector<Target> targets;
  for (const auto& pair : pairing.pairs) {
    std::string title = "isolate " + std::to_string(pair.old_index) + " of the old core, " +
                        std::to_string(pair.new_index) + " of the new core";
    if (pair.thread_id) title += " (threadId " + std::to_string(*pair.thread_id) + ")";
    targets.push_back({session.isolates()[pair.old_index], title,
                       [&session, &in, pair] {
                         session.SelectIsolate(pair.old_index);
                         in.second->SelectIsolate(pair.new_index);
                       },
                       pair.thread_id});
  }
  const bool sections = session.isolates().size() > 1 || in.second->isolates().size() > 1;
  return RunTargets(command, in, targets, sections, pairing.warnings);
}

// Runs the command once per target isolate: text in sections, JSON merged into one document.
ExitCode RunOverIsolates(const Command& command, Invocation& in) {
  if (command.isolates == IsolateScope::kProcess) return RunForProcess(command, in);
  Session& session = in.session;
  if (command.isolates == IsolateScope::kOne) {  // selected, and run as it is
    session.SelectIsolate(TargetIsolates(command, session, in.options).front());
    const ExitCode code = WithHeapDamage(command, in, command.run(in), nullptr);
    session.SelectIsolate(0);
    return code;
  }
  if (command.second_core) return RunPairedIsolates(command, in);
  std::vector<Target> targets;
  for (size_t index : TargetIsolates(command, session, in.options))
    targets.push_back({session.isolates()[index], IsolateTitle(session.isolates()[index]),
                       [&session, index] { session.SelectIsolate(index); }, std::nullopt});
  return RunTargets(command, in, targets, session.isolates().size() > 1);
}

}  // namespace

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
    ExitCode code = RunOverIsolates(command, in);
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
