#include "support.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace mortem::e2e {

std::string RunResult::Describe() const {
  std::ostringstream s;
  if (timed_out)
    s << "timed out after " << std::fixed << std::setprecision(1) << seconds << "s";
  else if (signaled)
    s << "killed by signal " << term_signal << " (" << strsignal(term_signal) << ")";
  else
    s << "exit " << exit_code;
  return s.str();
}

bool RunResult::CleanExit() const {
  if (!exited || timed_out || exit_code >= 128) return false;
  for (const char* marker : {"AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                             "runtime error:", "terminate called"})
    if (err.find(marker) != std::string::npos) return false;
  return true;
}

std::vector<std::string> RunResult::ErrLines() const {
  std::vector<std::string> lines;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);)
    if (line.find_first_not_of(" \t\r") != std::string::npos) lines.push_back(line);
  return lines;
}

RunResult Run(const std::vector<std::string>& argv, std::chrono::seconds timeout,
              const std::vector<std::pair<std::string, std::string>>& env) {
  if (argv.empty()) throw std::invalid_argument("Run: empty argv");
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  auto start = std::chrono::steady_clock::now();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    ::dup2(out_pipe[1], 1);
    ::dup2(err_pipe[1], 2);
    int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
    ::execv(args[0], args.data());
    std::fprintf(stderr, "exec %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  RunResult r;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  std::string* sinks[2] = {&r.out, &r.err};
  int open_fds = 2;
  auto deadline = start + timeout;
  char buffer[65536];
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      ::kill(pid, SIGKILL);
      break;
    }
    int n = ::poll(fds, 2, static_cast<int>(std::min<int64_t>(left.count(), 1000)));
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t got = ::read(fds[i].fd, buffer, sizeof buffer);
      if (got > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0) ::close(f.fd);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (WIFEXITED(status)) {
    r.exited = !r.timed_out;
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.signaled = !r.timed_out;
    r.term_signal = WTERMSIG(status);
  }
  return r;
}

std::optional<std::string> Env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

std::string Require(const char* name) {
  auto v = Env(name);
  if (!v) FAIL("environment variable " << name << " is not set (run this test through ctest)");
  return *v;
}

std::vector<std::string> SplitList(const std::string& s, char separator) {
  std::vector<std::string> parts;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, separator))
    if (!part.empty()) parts.push_back(part);
  return parts;
}

std::string CliPath() {
  if (auto v = Env("MORTEM_CLI")) return *v;
#ifdef MORTEM_CLI_PATH
  return MORTEM_CLI_PATH;
#else
  return Require("MORTEM_CLI");
#endif
}

RunResult RunCli(const std::vector<std::string>& args) {
  std::vector<std::string> argv{CliPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  int seconds = 600;
  if (auto v = Env("MORTEM_E2E_TIMEOUT")) seconds = std::atoi(v->c_str());
  return Run(argv, std::chrono::seconds(seconds));
}

nlohmann::json RunCliJson(std::vector<std::string> args, int expected_exit) {
  args.push_back("--json");
  auto r = RunCli(args);
  INFO("mortem " << args[0] << ": " << r.Describe() << "\nstderr:\n" << r.err);
  REQUIRE(r.CleanExit());
  auto result = nlohmann::json::parse(r.out);
  bool partial = r.exit_code == 5 && expected_exit == 0 && result.is_object() &&
                 result.value("partial", false);
  REQUIRE((r.exit_code == expected_exit || partial));
  return result;
}

nlohmann::json RunCliJsonStrict(std::vector<std::string> args) {
  args.push_back("--json");
  auto r = RunCli(args);
  INFO("mortem " << args[0] << ": " << r.Describe() << " in " << r.seconds << "s\nstderr:\n"
                 << r.err);
  REQUIRE(r.CleanExit());
  REQUIRE(r.exit_code == 0);
  return nlohmann::json::parse(r.out);
}

bool CliHasCommand(const std::string& command) {
  auto r = Run({CliPath(), "--help"}, std::chrono::seconds(60));
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);) {
    std::istringstream words(line);
    std::string first;
    words >> first;
    if (first == command && line.starts_with("  ")) return true;
  }
  return false;
}

std::string RowName(const std::string& kind, const std::string& node_name) {
  // An anonymous closure is "" in the snapshot; DevTools (and mortem) show it as "(anonymous)".
  if (kind == "closure" && node_name.empty()) return "(anonymous)";
  if (kind == "object" || kind == "native" || kind == "closure") return node_name;
  if (kind == "hidden") return "(system)";
  if (kind == "code") return "(compiled code)";
  if (kind == "number") return "(heap number)";
  return "(" + kind + ")";
}

bool IsComparedKind(const std::string& kind) {
  return kind != "synthetic" && kind != "native";
}

Snapshot LoadSnapshot(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  auto doc = nlohmann::json::parse(in);
  const auto& meta = doc.at("snapshot").at("meta");
  Snapshot s;
  s.node_fields = meta.at("node_fields").get<std::vector<std::string>>();
  auto field = [&](const std::string& name) -> size_t {
    for (size_t i = 0; i < s.node_fields.size(); ++i)
      if (s.node_fields[i] == name) return i;
    throw std::runtime_error(path.string() + ": snapshot has no node field '" + name + "'");
  };
  const size_t stride = s.node_fields.size(), type_at = field("type"), name_at = field("name"),
               size_at = field("self_size");
  // node_types[type_at] is the enum of type words; the other entries are "string"/"number".
  auto types = meta.at("node_types").at(type_at).get<std::vector<std::string>>();
  const auto& strings = doc.at("strings");
  const auto& nodes = doc.at("nodes");
  if (stride == 0 || nodes.size() % stride != 0)
    throw std::runtime_error(path.string() + ": nodes array is not a multiple of node_fields");
  // Per (type, name string index) first: names repeat a lot, strings are many.
  std::map<std::pair<uint64_t, uint64_t>, RowStats> raw;
  for (size_t i = 0; i < nodes.size(); i += stride) {
    uint64_t type = nodes[i + type_at].get<uint64_t>();
    uint64_t name = nodes[i + name_at].get<uint64_t>();
    if (type >= types.size()) throw std::runtime_error("node type index out of range");
    bool named = types[type] == "object" || types[type] == "native" || types[type] == "closure";
    auto& r = raw[{type, named ? name : 0}];
    r.count++;
    r.self_size += nodes[i + size_at].get<uint64_t>();
    s.nodes++;
  }
  for (const auto& [key, stats] : raw) {
    const std::string& kind = types[key.first];
    if (!IsComparedKind(kind)) {
      s.excluded += stats.count;
      continue;
    }
    std::string node_name = strings.at(key.second).get<std::string>();
    auto& row = s.rows[RowKey{kind, RowName(kind, node_name)}];
    row.count += stats.count;
    row.self_size += stats.self_size;
  }
  return s;
}

Rows ParseObjectsJson(const std::string& json_text, std::optional<size_t> isolate) {
  auto doc = nlohmann::json::parse(json_text);
  Rows rows;
  for (const auto& t : doc.at("types")) {
    if (isolate && t.at("isolate").get<size_t>() != *isolate) continue;
    auto& row = rows[RowKey{t.at("kind").get<std::string>(), t.at("name").get<std::string>()}];
    row.count += t.at("count").get<uint64_t>();
    row.self_size += t.at("self_size").get<uint64_t>();
  }
  return rows;
}

std::string FormatTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& r : rows)
    for (size_t i = 0; i < r.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], r[i].size());
    }
  std::ostringstream s;
  for (const auto& r : rows) {
    for (size_t i = 0; i < r.size(); ++i) {
      // First column left-aligned (names), numbers right-aligned.
      if (i == 0)
        s << std::left << std::setw(static_cast<int>(widths[i])) << r[i];
      else
        s << "  " << std::right << std::setw(static_cast<int>(widths[i])) << r[i];
    }
    s << "\n";
  }
  return s.str();
}

std::string WithCommas(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

// Copies the first `length` bytes of `from` to `to`, leaving blocks of zeros as holes (as the
// cores themselves have them) so that a copy of a 4 GB core takes its data's size on disk.
std::vector<Elf64_Phdr> ReadProgramHeaders(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  Elf64_Ehdr eh{};
  in.read(reinterpret_cast<char*>(&eh), sizeof eh);
  if (!in.good() || eh.e_phentsize != sizeof(Elf64_Phdr)) return {};
  std::vector<Elf64_Phdr> headers(eh.e_phnum);
  in.seekg(static_cast<std::streamoff>(eh.e_phoff));
  in.read(reinterpret_cast<char*>(headers.data()),
          static_cast<std::streamsize>(headers.size() * sizeof(Elf64_Phdr)));
  if (!in.good()) return {};
  return headers;
}

uint64_t CoreFileOffset(const std::filesystem::path& core, uint64_t address, uint64_t length) {
  for (const auto& p : ReadProgramHeaders(core))
    if (p.p_type == PT_LOAD && address >= p.p_vaddr && address - p.p_vaddr + length <= p.p_filesz)
      return p.p_offset + (address - p.p_vaddr);
  return 0;
}

void CopyPrefix(const std::filesystem::path& from, const std::filesystem::path& to,
                uint64_t length) {
  std::ifstream in(from, std::ios::binary);
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  REQUIRE_MESSAGE((in && out), "cannot copy " << from << " to " << to);
  std::vector<char> buffer(1 << 20);
  uint64_t copied = 0;
  while (length > 0 && in) {
    in.read(buffer.data(), static_cast<std::streamsize>(std::min<uint64_t>(buffer.size(), length)));
    auto got = static_cast<uint64_t>(in.gcount());
    const auto end = buffer.begin() + static_cast<std::ptrdiff_t>(got);
    if (std::all_of(buffer.begin(), end, [](char c) { return c == 0; })) {
      out.seekp(static_cast<std::streamoff>(got), std::ios::cur);
    } else {
      out.write(buffer.data(), static_cast<std::streamsize>(got));
    }
    length -= got;
    copied += got;
  }
  out.close();
  REQUIRE_MESSAGE(out.good(), "writing " << to << " failed (disk full?)");
  std::filesystem::resize_file(to, copied);  // a trailing hole still counts towards the size
}

}  // namespace mortem::e2e
