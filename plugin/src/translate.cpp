#include "translate.h"

#include <cctype>

namespace mortem::lldb_plugin {
namespace {

bool IsFlag(const std::string& word) {
  return word.size() > 1 && word[0] == '-';
}

// llnode's inspect flags: -F (full strings), -s (a function's source), -l N (string length);
// -m (the map) is always shown.
void TranslateInspectFlags(std::vector<std::string>& args, std::vector<std::string>& notes) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-m" || a == "--print-map") {
      notes.push_back("the map is always shown by mortem's inspect");
    } else if (a == "-s" || a == "--print-source") {
      out.push_back("--source");
    } else if (a == "-F" || a == "--full-string") {
      out.push_back("--full-string");
    } else if ((a == "-l" || a == "--length") && i + 1 < args.size()) {
      out.push_back("--string-length");
      out.push_back(args[++i]);
    } else {
      out.push_back(a);
    }
  }
  args = std::move(out);
}

// llnode's findrefs: -v EXPR (the default), -n NAME, -s STRING; -r (recursive) asks for the
// chain to the roots, which is `retainers`.
std::optional<Translation> TranslateFindRefs(std::vector<std::string> args, std::string& error,
                                             const TakesValue& takes_value) {
  Translation t;
  t.command = "refs";
  std::optional<std::string> mode;
  std::vector<std::string> rest;
  for (auto& a : args) {
    if (a == "-v" || a == "--value" || a == "-n" || a == "--name" || a == "-s" || a == "--string")
      mode = a;
    else if (a == "-r" || a == "--recursive")
      t.command = "retainers";
    else
      rest.push_back(a);
  }
  if (mode == "-n" || mode == "--name" || mode == "-s" || mode == "--string") {
    if (t.command == "retainers") {
      error = "findrefs: -r works with an address (-v EXPR) only";
      return std::nullopt;
    }
    std::vector<std::string> words, flags;
    for (auto& a : rest) (IsFlag(a) ? flags : words).push_back(a);
    if (words.empty()) {
      error = "findrefs: " + *mode + " needs a value";
      return std::nullopt;
    }
    std::string value = words[0];
    for (size_t i = 1; i < words.size(); ++i) value += " " + words[i];
    t.args = {value, (mode == "-n" || mode == "--name") ? "--name" : "--string"};
    t.args.insert(t.args.end(), flags.begin(), flags.end());
    return t;
  }
  t.args = std::move(rest);
  t.address_arg = MergePositionals(t.command, t.args, takes_value);
  if (!t.address_arg) {
    error = "findrefs: missing the address (usage: v8 findrefs [-v EXPR | -n NAME | -s TEXT])";
    return std::nullopt;
  }
  return t;
}

}  // namespace

std::optional<size_t> MergePositionals(const std::string& command, std::vector<std::string>& args,
                                       const TakesValue& takes_value) {
  std::optional<size_t> first;
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (!IsFlag(args[i])) {
      if (first) {
        out[*first] += " " + args[i];
      } else {
        first = out.size();
        out.push_back(args[i]);
      }
      continue;
    }
    out.push_back(args[i]);
    if (args[i].starts_with("--") && args[i].find('=') == std::string::npos &&
        takes_value(command, args[i]) && i + 1 < args.size())
      out.push_back(args[++i]);
  }
  args = std::move(out);
  return first;
}

bool IsPlainNumber(const std::string& text) {
  if (text.empty()) return false;
  size_t i = 0;
  bool hex = text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
  if (hex) i = 2;
  for (; i < text.size(); ++i) {
    unsigned char c = text[i];
    if (!(hex ? std::isxdigit(c) : std::isdigit(c))) return false;
  }
  return true;
}

const std::vector<std::pair<std::string, std::string>>& Aliases() {
  static const std::vector<std::pair<std::string, std::string>> aliases = {
      {"findjsobjects", "objects"},
      {"findjsinstances", "instances"},
      {"print", "inspect --depth 0"},
      {"nodeinfo", "info"},
      {"bt", "stack --thread SELECTED [--frames N]"},
      {"findrefs", "refs (-v EXPR | -n NAME --name | -s TEXT --string; -r: retainers)"},
      {"source list", "source --thread SELECTED --frame SELECTED [--lines N]"},
      {"getactivehandles", "handles --handles-only"},
      {"getactiverequests", "handles --requests-only"},
  };
  return aliases;
}

std::optional<Translation> Translate(const std::string& name, std::vector<std::string> args,
                                     std::string& error, const TakesValue& takes_value) {
  Translation t;
  t.command = name;
  if (name == "findjsobjects") {
    t.command = "objects";
    for (auto& a : args) {
      if (a == "-d" || a == "--detailed" || a == "-v" || a == "--verbose")
        t.notes.push_back("llnode's " + a +
                          " is ignored: mortem's objects rows are already per class; "
                          "`v8 instances NAME` lists one row's objects");
      else
        t.args.push_back(a);
    }
    return t;
  }
  if (name == "findjsinstances") {
    t.command = "instances";
    std::optional<std::string> limit, type_name;
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a == "-n" || a == "--output-limit") {
        if (i + 1 >= args.size()) {
          error = "findjsinstances: " + a + " needs a number";
          return std::nullopt;
        }
        limit = args[++i];
      } else if (a.starts_with("--output-limit=")) {
        limit = a.substr(15);
      } else if (a == "-d" || a == "--detailed" || a == "-v" || a == "--verbose" || a == "-m" ||
                 a == "-s" || a == "-F") {
        t.notes.push_back("llnode's " + a + " is ignored; `v8 inspect ADDRESS` shows one in full");
      } else if (!IsFlag(a) && !type_name) {
        type_name = a;
      } else {
        t.args.push_back(a);  // mortem's own flags (--limit, --kind, --json)
      }
    }
    if (!type_name) {
      error = "findjsinstances: missing the type name (usage: v8 findjsinstances [-n N] NAME)";
      return std::nullopt;
    }
    t.args.insert(t.args.begin(), *type_name);
    if (limit) {
      t.args.push_back("--limit");
      t.args.push_back(*limit);
    }
    return t;
  }
  if (name == "print" || name == "p") {
    t.command = "inspect";
    TranslateInspectFlags(args, t.notes);
    t.args = std::move(args);
    t.address_arg = MergePositionals(t.command, t.args, takes_value);
    t.args.push_back("--depth");
    t.args.push_back("0");
    return t;
  }
  if (name == "nodeinfo") {
    t.command = "info";
    t.args = std::move(args);
    return t;
  }
  if (name == "inspect" || name == "i") {
    t.command = "inspect";
    TranslateInspectFlags(args, t.notes);
    t.args = std::move(args);
    t.address_arg = MergePositionals(t.command, t.args, takes_value);
    return t;
  }
  if (name == "bt") {
    // llnode: `v8 bt [N]`, N frames of the selected thread.
    t.command = "stack";
    t.selected_thread = true;
    for (const auto& a : args) {
      if (!IsFlag(a) && IsPlainNumber(a)) {
        t.args.push_back("--frames");
        t.args.push_back(a);
      } else {
        t.args.push_back(a);
      }
    }
    return t;
  }
  if (name == "getactivehandles" || name == "getactiverequests") {
    t.command = "handles";
    t.args = std::move(args);
    t.args.push_back(name == "getactivehandles" ? "--handles-only" : "--requests-only");
    return t;
  }
  if (name == "source") {
    // llnode: `v8 source list [-l LINE]`: the source around the selected JS frame.
    t.command = "source";
    t.selected_thread = t.selected_frame = true;
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "list" && i == 0) continue;
      if ((args[i] == "-l" || args[i] == "--line") && i + 1 < args.size()) {
        t.args.push_back("--lines");
        t.args.push_back(args[++i]);
      } else {
        t.args.push_back(args[i]);
      }
    }
    return t;
  }
  if (name == "findrefs") return TranslateFindRefs(std::move(args), error, takes_value);
  t.args = std::move(args);
  if (name == "read") t.address_arg = MergePositionals(t.command, t.args, takes_value);
  return t;
}

}  // namespace mortem::lldb_plugin
