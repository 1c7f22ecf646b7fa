#include "mortem/elf/core_unwinder.h"

#include <cxxabi.h>
#include <libunwind.h>

#include <cstdlib>
#include <cstring>

// libunwind's table search over a remote .eh_frame_hdr, exported for its ptrace and coredump
// back-ends (the one piece of find_proc_info we do not write ourselves).
extern "C" int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t, unw_word_t, unw_dyn_info_t*,
                                                  unw_proc_info_t*, int, void*);

namespace mortem {
namespace {

constexpr uint8_t kEhPeOmit = 0xff, kEhPeUdata4 = 0x03, kEhPeSdata4 = 0x0b, kEhPeUdata8 = 0x04,
                  kEhPeSdata8 = 0x0c, kEhPeDatarelSdata4 = 0x3b;

struct Context {
  const CoreTarget* target = nullptr;
  const CoreThread* thread = nullptr;
};

int AccessMem(unw_addr_space_t, unw_word_t address, unw_word_t* value, int write, void* arg) {
  if (write) return -UNW_EINVAL;
  auto* context = static_cast<Context*>(arg);
  auto word = context->target->ReadWord(address);
  if (!word) return -UNW_EINVAL;
  *value = *word;
  return 0;
}

// libunwind's x86-64 register numbers against the kernel's user_regs_struct.
std::optional<Reg> RegisterOf(unw_regnum_t number) {
  static constexpr Reg kByNumber[] = {Reg::rax, Reg::rdx, Reg::rcx, Reg::rbx, Reg::rsi, Reg::rdi,
                                      Reg::rbp, Reg::rsp, Reg::r8,  Reg::r9,  Reg::r10, Reg::r11,
                                      Reg::r12, Reg::r13, Reg::r14, Reg::r15, Reg::rip};
  if (number < 0 || number >= static_cast<int>(std::size(kByNumber))) return std::nullopt;
  return kByNumber[number];
}

int AccessReg(unw_addr_space_t, unw_regnum_t number, unw_word_t* value, int write, void* arg) {
  auto reg = RegisterOf(number);
  if (write || !reg) return -UNW_EBADREG;
  *value = static_cast<Context*>(arg)->thread->reg(*reg);
  return 0;
}

int AccessFpReg(unw_addr_space_t, unw_regnum_t, unw_fpreg_t*, int, void*) {
  return -UNW_EBADREG;
}
int Resume(unw_addr_space_t, unw_cursor_t*, void*) {
  return -UNW_EINVAL;
}
int GetDynInfoListAddr(unw_addr_space_t, unw_word_t*, void*) {
  return -UNW_ENOINFO;
}
// libunwind frees the DWARF unwind info it allocates itself (dwarf_put_unwind_info).
void PutUnwindInfo(unw_addr_space_t, unw_proc_info_t*, void*) {}

// Reads one encoded pointer of the .eh_frame_hdr; only the encodings its header fields use.
bool ReadEncoded(const Memory& memory, Address& at, uint8_t encoding, uint64_t& out) {
  switch (encoding & 0x0f) {
    case kEhPeUdata4:
    case kEhPeSdata4: {
      auto v = memory.ReadValue<uint32_t>(at);
      if (!v) return false;
      out = (encoding & 0x0f) == kEhPeSdata4 ? static_cast<uint64_t>(static_cast<int32_t>(*v)) : *v;
      at += 4;
      break;
    }
    case kEhPeUdata8:
    case kEhPeSdata8: {
      auto v = memory.ReadWord(at);
      if (!v) return false;
      out = *v;
      at += 8;
      break;
    }
    default:
      return false;
  }
  return true;
}

int FindProcInfo(unw_addr_space_t space, unw_word_t ip, unw_proc_info_t* info, int need_info,
                 void* arg) {
  auto* context = static_cast<Context*>(arg);
  const CoreTarget& target = *context->target;
  auto at = target.ModuleAt(ip);
  if (!at || !at->module->elf || at->module->elf->eh_frame_hdr() == 0) return -UNW_ENOINFO;
  const ElfBinary& elf = *at->module->elf;
  uint64_t bias = ip - at->link_address;  // runtime = link-time + bias, per mapping
  Address header = elf.eh_frame_hdr() + bias;
  auto version = target.ReadValue<uint8_t>(header);
  auto encodings = target.ReadValue<std::array<uint8_t, 3>>(header + 1);
  if (!version || *version != 1 || !encodings) return -UNW_ENOINFO;
  auto [frame_pointer_encoding, count_encoding, table_encoding] = *encodings;
  if (frame_pointer_encoding == kEhPeOmit || count_encoding == kEhPeOmit ||
      table_encoding != kEhPeDatarelSdata4)
    return -UNW_ENOINFO;
  Address cursor = header + 4;
  uint64_t ignored = 0, fde_count = 0;
  if (!ReadEncoded(target, cursor, frame_pointer_encoding, ignored) ||
      !ReadEncoded(target, cursor, count_encoding, fde_count))
    return -UNW_ENOINFO;
  unw_dyn_info_t table;
  std::memset(&table, 0, sizeof table);
  // The whole module's range in this mapping's bias.
  table.start_ip = ~unw_word_t{0};
  for (const auto& segment : elf.segments()) {
    table.start_ip = std::min<unw_word_t>(table.start_ip, segment.vaddr + bias);
    table.end_ip = std::max<unw_word_t>(table.end_ip, segment.vaddr + segment.mem_size + bias);
  }
  table.format = UNW_INFO_FORMAT_REMOTE_TABLE;
  table.u.rti.segbase = header;
  table.u.rti.table_len = fde_count;  // 8-byte entries, counted in 8-byte words
  table.u.rti.table_data = cursor;
  return _Ux86_64_dwarf_search_unwind_table(space, ip, &table, info, need_info, arg);
}

int GetProcName(unw_addr_space_t, unw_word_t, char*, size_t, unw_word_t*, void*) {
  return -UNW_ENOINFO;  // symbolized by CoreUnwinder::Symbolize instead
}

std::string Demangle(std::string_view name) {
  std::string copy(name);
  int status = 0;
  char* demangled = abi::__cxa_demangle(copy.c_str(), nullptr, nullptr, &status);
  if (status != 0 || !demangled) return copy;
  std::string out(demangled);
  std::free(demangled);
  return out;
}

std::string BaseName(const std::string& path) {
  auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

}  // namespace

struct CoreUnwinder::AddressSpace {
  unw_accessors_t accessors{};
  unw_addr_space_t space = nullptr;
};

CoreUnwinder::CoreUnwinder(const CoreTarget& target)
    : target_(target), space_(std::make_unique<AddressSpace>()) {
  auto& a = space_->accessors;
  a.find_proc_info = FindProcInfo;
  a.put_unwind_info = PutUnwindInfo;
  a.get_dyn_info_list_addr = GetDynInfoListAddr;
  a.access_mem = AccessMem;
  a.access_reg = AccessReg;
  a.access_fpreg = AccessFpReg;
  a.resume = Resume;
  a.get_proc_name = GetProcName;
  space_->space = unw_create_addr_space(&a, 0);
}

CoreUnwinder::~CoreUnwinder() {
  if (space_->space) unw_destroy_addr_space(space_->space);
}

void CoreUnwinder::Symbolize(Address pc, NativeFrame& frame) const {
  auto at = target_.ModuleAt(pc);
  if (!at) return;
  frame.module = BaseName(at->module->path);
  if (!at->module->elf) return;
  if (auto symbol = at->module->elf->FindByAddress(at->link_address)) {
    frame.symbol = Demangle(symbol->name);
    frame.symbol_offset = at->link_address - symbol->address;
  }
}

UnwoundThread CoreUnwinder::Unwind(int tid, size_t max_frames) const {
  UnwoundThread out;
  out.tid = tid;
  const CoreThread* thread = nullptr;
  for (const auto& t : target_.core().threads())
    if (t.tid == tid) thread = &t;
  if (!thread) {
    out.stopped_because = "no such thread in the core";
    return out;
  }
  if (!space_->space) {
    out.stopped_because = "libunwind could not create an address space";
    return out;
  }
  std::lock_guard lock(mutex_);
  Context context{&target_, thread};
  unw_flush_cache(space_->space, 0, 0);
  unw_cursor_t cursor;
  if (int rc = unw_init_remote(&cursor, space_->space, &context); rc < 0) {
    out.stopped_because = std::string("libunwind: ") + unw_strerror(rc);
    return out;
  }
  Address previous_sp = 0;
  while (out.frames.size() < max_frames) {
    unw_word_t pc = 0, sp = 0, fp = 0;
    unw_get_reg(&cursor, UNW_REG_IP, &pc);
    unw_get_reg(&cursor, UNW_REG_SP, &sp);
    unw_get_reg(&cursor, UNW_X86_64_RBP, &fp);
    if (!out.frames.empty() && sp <= previous_sp) {
      out.stopped_because = "the stack pointer did not grow (corrupt stack?)";
      break;
    }
    NativeFrame frame{pc, sp, fp, "", 0, ""};
    // A return address points after its call: symbolize the call itself.
    Symbolize(out.frames.empty() ? pc : pc - 1, frame);
    if (!out.frames.empty() && frame.symbol_offset > 0) frame.symbol_offset += 1;
    out.frames.push_back(std::move(frame));
    previous_sp = sp;
    int step = unw_step(&cursor);
    if (step == 0) break;
    if (step < 0) {
      out.stopped_because = std::string("libunwind: ") + unw_strerror(step);
      break;
    }
  }
  if (out.frames.size() >= max_frames) out.stopped_because = "frame limit reached";
  return out;
}

}  // namespace mortem
