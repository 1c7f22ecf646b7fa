#include "mortem/elf/core_target.h"

#include <elf.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <string_view>

#include "mortem/core/error.h"
#include "mortem/elf/mapped_file.h"

namespace mortem {

std::unique_ptr<CoreTarget> CoreTarget::Open(const CoreTargetOptions& options) {
  std::unique_ptr<CoreTarget> t(new CoreTarget());
  t->core_ = std::make_unique<CoreFile>(options.core_path);
  if (t->core_->truncated_bytes() > 0)
    t->warnings_.push_back("core is truncated: " + std::to_string(t->core_->truncated_bytes()) +
                           " bytes of memory missing from the file");
  t->FindExecutable();
  std::string binary = options.binary_path.empty() ? t->recorded_executable_ : options.binary_path;
  if (binary.empty())
    throw Error("the core records no executable path; pass --binary PATH to the node binary");
  if (options.binary_path.empty()) binary = t->UndeletedPath(binary);
  if (::access(binary.c_str(), R_OK) != 0)
    throw Error("node binary " + binary + " (recorded in the core) is not readable here; " +
                "pass --binary PATH");
  t->binary_ = std::make_shared<ElfBinary>(binary);
  Module executable{t->recorded_executable_, {}, t->binary_, "", "", true};
  for (const auto& f : t->core_->mapped_files())
    if (f.path == t->recorded_executable_) executable.mappings.push_back(f);
  t->modules_.push_back(std::move(executable));
  t->CheckBuildId(options.force);
  t->OpenLibraries();
  return t;
}

// The kernel records an executable replaced or removed after the process started as "PATH
// (deleted)": the file now at PATH is taken, with a warning; its build-id is checked as any.
std::string CoreTarget::UndeletedPath(const std::string& recorded) {
  static constexpr std::string_view kDeleted = " (deleted)";
  if (!recorded.ends_with(kDeleted) || ::access(recorded.c_str(), R_OK) == 0) return recorded;
  std::string path = recorded.substr(0, recorded.size() - kDeleted.size());
  if (::access(path.c_str(), R_OK) != 0) return recorded;
  warnings_.push_back("the core records the node binary as deleted (" + recorded + "); using " +
                      path + " (the same build-id)");
  return path;
}

namespace {
// Whether the file starts with the ELF magic. Throws Error if it is not a regular file (the core
// names the paths: a FIFO there must not block us).
bool LooksLikeElf(const std::string& path) {
  const int fd = OpenRegularFile(path);
  char magic[SELFMAG] = {};
  const bool elf =
      ::pread(fd, magic, SELFMAG, 0) == SELFMAG && std::memcmp(magic, ELFMAG, SELFMAG) == 0;
  ::close(fd);
  return elf;
}
}  // namespace

std::string CoreTarget::CoreBuildIdOf(const std::vector<MappedFileEntry>& mappings) const {
  for (const auto& f : mappings) {
    if (f.file_offset != 0) continue;
    uint64_t length = std::min<uint64_t>(f.end - f.start, 64 * 1024);
    std::vector<std::byte> image(length);
    image.resize(core_->Read(f.start, image.data(), length));
    return BuildIdFromElfImage(image);
  }
  return {};
}

void CoreTarget::OpenLibraries() {
  std::map<std::string, std::vector<MappedFileEntry>> by_path;
  for (const auto& f : core_->mapped_files())
    if (f.path != recorded_executable_) by_path[f.path].push_back(f);
  for (auto& [path, mappings] : by_path) {
    Module m{path, std::move(mappings), nullptr, "", "", false};
    m.core_build_id = CoreBuildIdOf(m.mappings);
    if (::access(path.c_str(), R_OK) != 0) {
      m.problem = "not readable here";
    } else {
      try {
        // A data file (locale archive, ICU data, ...): nothing to unwind or symbolize.
        if (!LooksLikeElf(path)) continue;
        auto elf = std::make_shared<ElfBinary>(path);
        if (!m.core_build_id.empty() && elf->build_id() != m.core_build_id)
          m.problem =
              "the file here has build-id " + elf->build_id() + ", the core's " + m.core_build_id;
        else
          m.elf = std::move(elf);
      } catch (const Error& e) {
        m.problem = e.what();
      }
    }
    modules_.push_back(std::move(m));
  }
}

std::optional<ModuleAddress> CoreTarget::ModuleAt(Address address) const {
  for (const auto& m : modules_)
    for (const auto& f : m.mappings) {
      if (address < f.start || address >= f.end) continue;
      ModuleAddress at{&m, 0};
      uint64_t offset = f.file_offset + (address - f.start);
      if (m.elf) {
        auto link = m.elf->FileOffsetToAddress(offset);
        if (!link) return at;
        at.link_address = *link;
      }
      return at;
    }
  return std::nullopt;
}

void CoreTarget::FindExecutable() {
  auto entry = core_->AuxValue(AT_ENTRY);
  auto phdr = core_->AuxValue(AT_PHDR);
  for (const auto& f : core_->mapped_files()) {
    bool hit = (entry && *entry >= f.start && *entry < f.end) ||
               (phdr && *phdr >= f.start && *phdr < f.end);
    if (hit) {
      recorded_executable_ = f.path;
      return;
    }
  }
  if (!core_->mapped_files().empty()) recorded_executable_ = core_->mapped_files().front().path;
}

void CoreTarget::CheckBuildId(bool force) {
  core_build_id_ = CoreBuildIdOf(modules_.front().mappings);
  modules_.front().core_build_id = core_build_id_;
  if (core_build_id_.empty()) {
    warnings_.push_back("cannot verify the binary: the core holds no build-id of its executable");
    return;
  }
  if (core_build_id_ == binary_->build_id()) return;
  std::string message = "wrong binary: the core ran build-id " + core_build_id_ + " but " +
                        binary_->path() + " has build-id " +
                        (binary_->build_id().empty() ? "(none)" : binary_->build_id());
  if (!force) throw Error(message + " (use --force to go on anyway)", ExitCode::kWrongBinary);
  warnings_.push_back(message);
}

std::span<const std::byte> CoreTarget::FileView(Address address, size_t length) const {
  for (const auto& module : modules_) {
    if (!module.elf) continue;
    auto file = module.elf->file_bytes();
    for (const auto& m : module.mappings) {
      if (address < m.start || address >= m.end || length > m.end - address) continue;
      uint64_t offset = m.file_offset + (address - m.start);
      if (offset > file.size() || file.size() - offset < length) return {};
      return file.subspan(offset, length);
    }
  }
  return {};
}

std::span<const std::byte> CoreTarget::View(Address address, size_t length) const {
  auto view = core_->View(address, length);
  if (view.size() == length) return view;
  return FileView(address, length);
}

size_t CoreTarget::FileRun(Address address, size_t length) const {
  // Up to the end of the module's mapping, and up to the next bytes the core itself holds.
  for (const auto& module : modules_) {
    if (!module.elf) continue;
    for (const auto& m : module.mappings) {
      if (address < m.start || address >= m.end) continue;
      uint64_t run = std::min<uint64_t>(length, m.end - address);
      for (const auto& seg : core_->segments())
        if (seg.file_size > 0 && seg.vaddr > address)
          run = std::min<uint64_t>(run, seg.vaddr - address);
      return FileView(address, run).size() == run ? run : 0;
    }
  }
  return 0;
}

size_t CoreTarget::Read(Address address, void* out, size_t length) const {
  auto* bytes = static_cast<std::byte*>(out);
  size_t done = 0;
  while (done < length) {
    size_t got = core_->Read(address + done, bytes + done, length - done);
    done += got;
    if (done == length) break;
    size_t run = FileRun(address + done, length - done);
    if (run == 0) break;
    std::memcpy(bytes + done, FileView(address + done, run).data(), run);
    done += run;
  }
  return done;
}

std::vector<Region> CoreTarget::Regions() const {
  auto regions = core_->Regions();
  std::vector<MappedFileEntry> file_backed;
  for (const auto& module : modules_)
    if (module.elf)
      file_backed.insert(file_backed.end(), module.mappings.begin(), module.mappings.end());
  std::vector<Region> from_files;
  for (const auto& m : file_backed) {
    // Parts of the modules' mappings that the core left out.
    Address cursor = m.start;
    for (const auto& r : regions) {
      if (r.end <= cursor || r.start >= m.end) continue;
      if (r.start > cursor)
        from_files.push_back(Region{cursor, r.start, true, false, false, m.path});
      cursor = std::max(cursor, r.end);
    }
    if (cursor < m.end) from_files.push_back(Region{cursor, m.end, true, false, false, m.path});
  }
  regions.insert(regions.end(), from_files.begin(), from_files.end());
  std::sort(regions.begin(), regions.end(),
            [](const Region& a, const Region& b) { return a.start < b.start; });
  return regions;
}

}  // namespace mortem
