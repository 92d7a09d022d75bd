// exec: a new image from an ELF file, and service 2. Layer: proc.
#include "proc/exec.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <span>

#include "fs/vfs/vfs.hpp"
#include "hal/remote.hpp"
#include "kern/cluster.hpp"
#include "mm/kmem.hpp"
#include "proc/copy.hpp"
#include "proc/process.hpp"
#include "proc/services.hpp"
#include "proc/user_thread.hpp"
#include "rpc/services/pmem.hpp"
#include "user/elf.hpp"

namespace mkh::proc {

namespace {

namespace elf = user::elf;

// Linux's auxiliary vector keys.
enum : uint32_t { AT_NULL = 0, AT_PHDR = 3, AT_PHENT = 4, AT_PHNUM = 5, AT_PAGESZ = 6, AT_ENTRY = 9, AT_RANDOM = 25 };

constexpr uint32_t kInfoOrder = 2;  // an ExecInfo in 16 KiB
static_assert(sizeof(ExecInfo) <= (hal::kPageSize << kInfoOrder));
constexpr uint32_t kStackImageOrder = 3;  // the initial stack is built in 32 KiB, then copied
constexpr uint32_t kStackImageBytes = uint32_t(hal::kPageSize) << kStackImageOrder;
static_assert(kStackImageBytes >= kExecStringsMax + 16 + (kExecArgsMax + 3) * 4 + 16 * 8 + 64);

struct Program {
  hal::Xptr<fs::File> file;
  elf::Image image{};
};

// Reads `size` bytes at `offset` of the open file into `buffer` (local); kNoExec when short.
Result<void> read_at(hal::Xptr<fs::File> file, uint64_t offset, void* buffer, uint32_t size) {
  TRY(fs::vfs_lseek(file, int64_t(offset), fs::Whence::kSet));
  const uint64_t got = TRY(fs::vfs_read(file, hal::Xptr<void>(hal::local_cxy(), buffer), size));
  if (got != size) return error(Errno::kNoExec);
  return {};
}

// Checks the program open as `file` (its reference the caller's: closed when it fails).
Result<Program> check_program(hal::Xptr<fs::File> file) {
  Program program{.file = file};
  auto checked = [&]() -> Result<void> {
    const fs::Stat stat = TRY(fs::vfs_fstat(file));
    uint8_t head[elf::kHeaderSize];
    if (stat.size < elf::kHeaderSize) return error(Errno::kNoExec);
    TRY(read_at(file, 0, head, elf::kHeaderSize));
    auto header = elf::parse_header(head, stat.size);
    if (!header) return error(Errno::kNoExec);
    auto table = TRY(mm::PageBlock::alloc(0));
    TRY(read_at(file, header->phoff, table.base(), header->phdr_bytes()));
    auto image = elf::check_program_headers(
        *header, std::span<const uint8_t>(static_cast<const uint8_t*>(table.base()), header->phdr_bytes()), stat.size,
        elf::UserRange{.begin = vmm::kUserBase, .end = vmm::kStackZone});
    if (!image) return error(Errno::kNoExec);
    program.image = *image;
    return {};
  }();
  if (!checked) {
    (void)fs::vfs_close(file);
    return error(checked.error());
  }
  return program;
}

// Opens and checks the program; the file stays open in the result.
Result<Program> open_program(fs::At at, const char* path) { return check_program(TRY(exec_open(at, path))); }

// The vsegs of the program's segments, backed by its mapper.
Result<void> map_segments(Process* process, const Program& program) {
  const auto inode = fs::rload(program.file, &fs::File::m_inode);
  const auto mapper = fs::rload(inode, &fs::Inode::m_mapper);
  for (const elf::Segment& segment : program.image.loads()) {
    const uint32_t base = segment.page_begin();
    const uint32_t lead = segment.vaddr - base;  // file bytes before vaddr in its first page
    const uint32_t prot = (segment.readable() ? vmm::VSEG_READ : 0) | (segment.writable() ? vmm::VSEG_WRITE : 0) |
                          (segment.executable() ? vmm::VSEG_EXEC : 0);
    TRY(vmm::vmm_create_vseg(&process->m_vmm, segment.writable() ? vmm::VsegType::kData : vmm::VsegType::kCode, base,
                             uint32_t(segment.page_end() - base), prot, segment.offset - lead, segment.filesz + lead,
                             mapper, hal::local_cxy()));
  }
  vmm::vmm_set_heap_start(&process->m_vmm, program.image.brk);
  return {};
}

// A stack image: built downwards from the top of a local buffer that stands for the top of
// the user stack, then copied to the user's pages.
class StackImage {
 public:
  StackImage(uint8_t* buffer, uint32_t user_top) : m_buffer(buffer), m_user_top(user_top) {}
  // Pushes bytes; their user address.
  Result<uint32_t> push(const void* bytes, uint32_t size) {
    if (m_used > kStackImageBytes || size > kStackImageBytes - m_used) return error(Errno::kInval);  // E2BIG
    m_used += size;
    std::memcpy(m_buffer + kStackImageBytes - m_used, bytes, size);
    return m_user_top - m_used;
  }
  Result<uint32_t> push_word(uint32_t word) { return push(&word, 4); }
  void align(uint32_t alignment) {
    m_used = std::min(kStackImageBytes, (m_used + alignment - 1) / alignment * alignment);
  }
  // Pads so that `words` more words leave the stack pointer aligned on 16.
  void align_for(uint32_t words) {
    while ((m_used + words * 4) % 16 != 0) m_used += 4;
  }
  uint32_t sp() const { return m_user_top - m_used; }
  Result<void> copy_out(Process* process) const {
    return copy_to_user(process, sp(), m_buffer + kStackImageBytes - m_used, m_used);
  }

 private:
  uint8_t* m_buffer;
  uint32_t m_user_top;
  uint32_t m_used = 0;
};

// The main thread's stack vseg and its initial contents; the initial stack pointer.
Result<uint32_t> build_stack(Process* process, const ExecInfo& info, const Program& program) {
  const uint32_t top = vmm::kUserEnd;
  const uint32_t base = top - vmm::kStackSlot + vmm::kPageSize;  // a guard page below
  const uint32_t prot =
      vmm::VSEG_READ | vmm::VSEG_WRITE | (program.image.stack_executable ? uint32_t(vmm::VSEG_EXEC) : 0u);
  TRY(vmm::vmm_create_vseg(&process->m_vmm, vmm::VsegType::kStack, base, top - base, prot, 0, 0, {}, hal::local_cxy()));
  auto block = TRY(mm::PageBlock::alloc(kStackImageOrder));
  StackImage stack(static_cast<uint8_t*>(block.base()), top);
  // The strings, envp's above argv's, as Linux copies them.
  const uint32_t count = info.argc + info.envc;
  uint32_t addresses[kExecArgsMax];
  uint32_t at = info.strings_size;
  for (uint32_t i = count; i-- > 0;) {
    uint32_t start = at - 1;  // at - 1 is the NUL of string i
    while (start > 0 && info.strings[start - 1] != '\0') --start;
    addresses[i] = TRY(stack.push(info.strings + start, at - start));
    at = start;
  }
  // AT_RANDOM's 16 bytes: drawn from the pid (runs are reproducible).
  uint32_t random[4];
  uint32_t seed = process->m_pid * 2654435761u + 1;
  for (uint32_t& word : random) {
    seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
    word = seed;
  }
  stack.align(16);
  const uint32_t random_at = TRY(stack.push(random, sizeof random));
  const uint32_t auxv[][2] = {{AT_PHDR, program.image.phdr_vaddr},
                              {AT_PHENT, elf::kProgramHeaderSize},
                              {AT_PHNUM, program.image.phnum},
                              {AT_PAGESZ, vmm::kPageSize},
                              {AT_ENTRY, program.image.entry},
                              {AT_RANDOM, random_at},
                              {AT_NULL, 0}};
  const uint32_t words = 1 + info.argc + 1 + info.envc + 1 + uint32_t(sizeof auxv / 4);
  stack.align_for(words);
  for (uint32_t i = uint32_t(sizeof auxv / sizeof auxv[0]); i-- > 0;) {
    TRY(stack.push_word(auxv[i][1]));
    TRY(stack.push_word(auxv[i][0]));
  }
  TRY(stack.push_word(0));
  for (uint32_t i = count; i-- > info.argc;) TRY(stack.push_word(addresses[i]));
  TRY(stack.push_word(0));
  for (uint32_t i = info.argc; i-- > 0;) TRY(stack.push_word(addresses[i]));
  TRY(stack.push_word(info.argc));
  TRY(stack.copy_out(process));
  return stack.sp();
}

// The image of `program` (open, checked) in `process`, which has no thread and no program; its
// main thread started with the signal mask `signals_blocked` and `signals_pending` pending, with
// their `origins`. The file is the process's, or closed on failure.
Result<void> exec_image(Process* process, const ExecInfo& info, const Program& program, uint64_t signals_blocked,
                        uint64_t signals_pending, const SignalOrigin (&origins)[64]) {
  // The point of no return: the old image (its copies, vsegs and pages) goes.
  process_copies_delete(process, true);
  if (auto reset = vmm::vmm_reset(&process->m_vmm); !reset) {
    (void)fs::vfs_close(program.file);
    return reset;
  }
  process->m_exec_file = program.file;
  process_set_comm(process, info.path);
  hal::local_store(process->m_execed, 1u);
  auto built = [&]() -> Result<void> {
    TRY(map_segments(process, program));
    const uint32_t sp = TRY(build_stack(process, info, program));
    const uint32_t lid = pid_index(process->m_pid) % kern::local_cluster()->m_cores_nr;
    user::Context context;
    context.pc = program.image.entry;
    context.x[2] = sp;
    UserThread* main = TRY(user_thread_make(process, context, signals_blocked, true));
    main->m_signals_pending = signals_pending;
    std::copy(std::begin(origins), std::end(origins), std::begin(main->m_signal_origins));
    process_exec_window_close(process);  // the new thread judges the signals sent from now on
    std::atomic_ref<uint32_t>(process->m_next_lid)
        .store(lid + 1);  // the threads it clones go to the next cores in turn
    TRY(user_thread_start(main, hal::lid_t(lid)));
    return {};
  }();
  if (!built) {  // nothing of the new image is left
    (void)vmm::vmm_reset(&process->m_vmm);
    (void)fs::vfs_close(program.file);
    process->m_exec_file = {};
  }
  return built;
}

}  // namespace

// What an execve leaves for the last thread of its process (Process::m_exec_pending), in a
// page block of the cluster of the thread that asked.
struct PendingExec {
  mm::Page* block;           // its own, in its cluster
  hal::Xptr<fs::File> file;  // the program, open and checked
  elf::Image image;
  uint64_t signals_blocked;         // the caller's mask, the new thread's
  uint64_t signals_pending;         // the caller's own pending signals, the new thread's
  SignalOrigin signal_origins[64];  // theirs
  ExecInfo info;
};
static_assert(sizeof(PendingExec) <= (hal::kPageSize << kInfoOrder));

Result<hal::Xptr<fs::File>> exec_open(fs::At at, const char* path) {
  const auto file = TRY(fs::vfs_open(at, path, fs::O_RDONLY));
  auto stat = fs::vfs_fstat(file);
  if (!stat || stat->type != fs::InodeType::kFile) {  // a folder, a device: EACCES, as Linux
    (void)fs::vfs_close(file);
    return error(stat ? Errno::kAcces : stat.error());
  }
  return file;
}

Result<void> exec_from_thread(UserThread* thread, hal::Xptr<fs::File> file, const ExecInfo& info) {
  const Program program = TRY(check_program(file));
  auto block = mm::PageBlock::alloc(kInfoOrder);
  if (!block) {
    (void)fs::vfs_close(program.file);
    return error(block.error());
  }
  auto* pending = static_cast<PendingExec*>(block->base());
  pending->block = mm::local_memory()->m_ppm.base_to_page(pending);
  pending->file = program.file;
  pending->image = program.image;
  pending->signals_blocked = thread->m_signals_blocked;
  pending->signals_pending = 0;
  std::memcpy(&pending->info, &info, sizeof info);
  if (!process_stop_for_exec(thread->m_process, hal::Xptr<PendingExec>(hal::local_cxy(), pending), thread->m_tid,
                             thread->m_signals_blocked)) {
    (void)fs::vfs_close(program.file);
    return error(Errno::kIntr);
  }
  // The caller's own pending signals go to the new image's thread with their origins, as they
  // are under the signal lock (Linux's exec'ing thread keeps them); one sent to it after this
  // look goes with it.
  {
    hal::RemoteBusylockGuard guard(process_reference(thread->m_process).field(&Process::m_signal_lock));
    std::copy(std::begin(thread->m_signal_origins), std::end(thread->m_signal_origins),
              std::begin(pending->signal_origins));
    hal::remote_store(hal::Xptr<uint64_t>(hal::local_cxy(), &pending->signals_pending),
                      std::atomic_ref<uint64_t>(thread->m_signals_pending).exchange(0));
  }
  block->release();  // the last thread out frees it
  return {};
}

namespace {

// Linux's exec: every signal action loses its handler (the old image's code is gone: SIG_DFL),
// flags and mask; an ignored signal stays ignored.
void reset_signal_actions(Process* process) {
  const hal::Xptr<Process> self(hal::local_cxy(), process);
  const hal::RemoteBusylockGuard guard(self.field(&Process::m_signal_lock));
  for (Process::SignalAction& action : process->m_signal_actions) {
    hal::local_store(action.handler, 0u);
    hal::local_store(action.flags, 0u);
    hal::local_store(action.mask, uint64_t(0));
  }
}

}  // namespace

bool exec_after_last_thread(Process* process) {
  const hal::Xptr<Process> self(hal::local_cxy(), process);
  const auto pending = hal::remote_exchange(self.field(&Process::m_exec_pending), {});
  if (pending.is_null()) return false;
  // The request comes to this cluster, and its block goes back to its own.
  auto local = mm::PageBlock::alloc(kInfoOrder);
  const auto file = hal::remote_load(pending.field(&PendingExec::file));
  if (local) hal::remote_memcpy(hal::Xptr<void>(self.cxy(), local->base()), pending.as<void>(), sizeof(PendingExec));
  mm::Page* const block = hal::remote_load(pending.field(&PendingExec::block));
  if (pending.cxy() == hal::local_cxy()) mm::kmem_free_pages(block);
  else if (!rpc::rpc_pmem_release_pages_client(pending.cxy(), block)) kern::cluster_count_error();
  if (!local) {
    process_make_exit(process, 0, kSigKill);  // Linux's OOM killer
    (void)fs::vfs_close(file);
    return false;
  }
  const auto* request = static_cast<const PendingExec*>(local->base());
  const Program program{.file = file, .image = request->image};
  // The old image goes while the threads of its copies, out of the thread table, may still be
  // on their way out: they are waited for while the process counts as ending.
  process_copies_delete(process, true);
  fd_close_on_exec(process);
  process_release_image(process);
  // A kill decided meanwhile wins: the process ends.
  if (!hal::remote_cas(self.field(&Process::m_exiting), kExitingForExec, 0u)) {
    (void)fs::vfs_close(program.file);
    return false;
  }
  process->m_main_exit_code = 0;
  reset_signal_actions(process);
  if (auto made = exec_image(process, request->info, program, request->signals_blocked, request->signals_pending,
                             request->signal_origins);
      !made) {
    process_make_exit(process, 0, kSigSegv);
    return false;
  }
  hal::stat_add(local_proc()->m_execs, uint64_t(1));
  return true;
}

Result<void> exec_info_add(ExecInfo* info, const char* text, bool to_env) {
  const uint32_t size = uint32_t(std::strlen(text)) + 1;
  if (info->argc + info->envc >= kExecArgsMax || size > kExecStringsMax - info->strings_size ||
      (!to_env && info->envc != 0))
    return error(Errno::kInval);
  std::memcpy(info->strings + info->strings_size, text, size);
  info->strings_size += size;
  ++(to_env ? info->envc : info->argc);
  return {};
}

Result<void> process_make_exec_server(hal::Xptr<ExecInfo> info) {
  if (info.is_null()) return error(Errno::kInval);
  auto block = TRY(mm::PageBlock::alloc(kInfoOrder));
  auto* local = static_cast<ExecInfo*>(block.base());
  hal::remote_memcpy(hal::Xptr<void>(hal::local_cxy(), local), info.as<void>(), sizeof(ExecInfo));
  // What arrives from another cluster is checked before it is used.
  local->path[kExecPathMax - 1] = '\0';
  if (local->strings_size > kExecStringsMax || local->argc + local->envc > kExecArgsMax ||
      (local->strings_size > 0 && local->strings[local->strings_size - 1] != '\0') ||
      uint32_t(std::count(local->strings, local->strings + local->strings_size, '\0')) != local->argc + local->envc)
    return error(Errno::kInval);
  const ProcessUse process = TRY(ProcessUse::by_pid(local->pid));
  if (ThreadTable(process.get()).count() != 0 || process->m_exec_file) return error(Errno::kBusy);
  const Program program = TRY(open_program(fs::At{}, local->path));
  constexpr SignalOrigin kNone[64] = {};
  return exec_image(process.get(), *local, program, 0, 0, kNone);
}

Result<void> rpc_process_make_exec_client(hal::cxy_t cxy, hal::Xptr<ExecInfo> info) {
  return rpc::rpc_call<rpc::RPC_PROCESS_MAKE_EXEC>(cxy, info);
}

}  // namespace mkh::proc
