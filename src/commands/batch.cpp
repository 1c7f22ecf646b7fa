// `--batch DIR_OR_GLOB`: one command over many cores, one JSON line per core, in sorted order,
// continuing past cores that cannot be read. For platform teams triaging many dumps a week.
#include "mortem/commands/batch.h"

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "mortem/commands/core_facts.h"
#include "mortem/elf/mapped_file.h"

namespace mortem::commands {
namespace {

// The regular files of DIR, or every path the glob matches. A directory entry that is no regular
// file (a subdirectory, a FIFO, a symbolic link loop) is skipped with a line on stderr.
std::vector<std::string> ExpandCores(const std::string& command, const std::string& pattern) {
  namespace fs = std::filesystem;
  std::vector<std::string> paths, skipped;
  std::error_code ec;
  if (fs::is_directory(pattern, ec)) {
    for (const auto& entry : fs::directory_iterator(pattern, ec)) {
      std::string path = entry.path().string();
      if (std::string why = NotRegularFile(path); why.empty())
        paths.push_back(std::move(path));
      else
        skipped.push_back(path + " " + why);
    }
    std::sort(skipped.begin(), skipped.end());
    for (const auto& s : skipped)
      std::cerr << "mortem " << command << ": --batch: " << s << ", skipped\n";
  } else {
    glob_t matches{};
    if (::glob(pattern.c_str(), 0, nullptr, &matches) == 0)
      for (size_t i = 0; i < matches.gl_pathc; ++i) paths.emplace_back(matches.gl_pathv[i]);
    ::globfree(&matches);
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// Runs the command on one core; the JSON line for it.
nlohmann::json RunOne(const Command& command, const CoreTargetOptions& base,
                      const std::string& core_path, const std::vector<std::string>& args,
                      ExitCode& code) {
  nlohmann::json line = {{"core", core_path}};
  std::ostringstream out, err;
  std::vector<std::string> warnings;
  try {
    CoreTargetOptions target = base;
    target.core_path = core_path;
    auto core = OpenCoreSession(target);
    warnings = core.core->warnings();
    code = RunCommand(command, *core.session, args, out, err);
  } catch (const Error& e) {
    code = e.code();
    err << e.what();
  } catch (const std::exception& e) {
    code = ExitCode::kInternal;
    err << "internal error: " << e.what();
  }
  line["exit_code"] = static_cast<int>(code);
  try {
    if (!out.str().empty()) line["result"] = nlohmann::json::parse(out.str());
  } catch (const nlohmann::json::exception&) {
    line["output"] = out.str();
  }
  std::string message = err.str();
  while (!message.empty() && message.back() == '\n') message.pop_back();
  const std::string prefixes[] = {"mortem " + command.name + ": error: ",
                                  "mortem " + command.name + ": "};
  for (const auto& prefix : prefixes)
    if (message.starts_with(prefix)) message.erase(0, prefix.size());
  if (!line.contains("result"))  // why it failed may be in what loading noticed
    for (const auto& w : warnings) message += " (" + w + ")";
  if (!message.empty()) line[line.contains("result") ? "messages" : "error"] = message;
  return line;
}

}  // namespace

int RunBatch(const Command& command, const std::string& pattern, const CoreTargetOptions& base,
             std::vector<std::string> args) {
  auto cores = ExpandCores(command.name, pattern);
  if (cores.empty()) {
    std::cerr << "mortem " << command.name << ": --batch " << pattern << " matches no file\n";
    return static_cast<int>(ExitCode::kUsage);
  }
  if (std::find(args.begin(), args.end(), "--json") == args.end()) args.push_back("--json");
  bool failed = false, condition = false;
  for (const auto& core : cores) {
    ExitCode code = ExitCode::kOk;
    auto line = RunOne(command, base, core, args, code);
    std::cout << line.dump() << "\n" << std::flush;
    if (line.contains("error"))
      std::cerr << "mortem " << command.name << ": " << core
                << ": error: " << line["error"].get<std::string>() << "\n";
    failed |= code != ExitCode::kOk && code != ExitCode::kConditionMet;
    condition |= code == ExitCode::kConditionMet;
  }
  if (failed) return static_cast<int>(ExitCode::kPartial);
  return static_cast<int>(condition ? ExitCode::kConditionMet : ExitCode::kOk);
}

}  // namespace mortem::commands
