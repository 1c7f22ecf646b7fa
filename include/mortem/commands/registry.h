// Purpose: the one command registry that the CLI and the LLDB plugin share: each command's name,
// summary, options (one Boost.Program_options spec), positional arguments and run function. The
// frontends only supply the target (a Session) and the output streams.
#pragma once
#include <boost/program_options.hpp>
#include <functional>
#include <ostream>
#include <string>
#include <vector>

#include "mortem/analysis/session.h"
#include "mortem/core/error.h"

namespace mortem::commands {

namespace po = boost::program_options;

struct Invocation {
  Session& session;
  const po::variables_map& options;
  bool json = false;
  std::ostream& out;
  std::ostream& err;
};

struct Command {
  std::string name;
  std::string summary;
  std::vector<std::string> positionals;  // after the target, e.g. {"address"}
  std::function<void(po::options_description&)> add_options;
  std::function<ExitCode(Invocation&)> run;
};

const std::vector<Command>& Registry();
const Command* FindCommand(const std::string& name);

// Options every command takes (--json, --threads), and the command's own.
po::options_description CommandOptions(const Command& command);

// Parses args (without the target) and runs the command on the session. Errors are printed to
// err and turned into exit codes; nothing is thrown.
ExitCode RunCommand(const Command& command, Session& session, const std::vector<std::string>& args,
                    std::ostream& out, std::ostream& err);

}  // namespace mortem::commands
