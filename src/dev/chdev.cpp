// chdev: creation, the client's submit, the DEV server loop, stop. Layer: dev.
// Calls kern (thread_create, thread_block / unblock, sched_yield), hal, mm/kmem.
#include "dev/chdev.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "kern/sched.hpp"
#include "mm/kmem.hpp"

namespace mkh::dev {

namespace {

std::string_view func_name(ChdevFunc func) { return func == ChdevFunc::IOC ? "ioc" : "txt"; }

template <typename T>
void count(hal::Xptr<Chdev> chdev, T Chdev::*field, T delta = 1) {
  hal::remote_atomic_add(chdev.field(field), delta);
}

// Runs a command in the calling thread and counts it.
Errno run_command(hal::Xptr<Chdev> chdev, const kern::DevCommand& command, bool direct) {
  const ChdevIo io{hal::remote_load(chdev.field(&Chdev::m_io).field(&ChdevIo::host_fd)),
                   hal::remote_load(chdev.field(&Chdev::m_io).field(&ChdevIo::size))};
  const auto fn = hal::remote_load(chdev.field(&Chdev::m_command));
  uint64_t bytes = 0;
  const Errno e = fn(io, command, &bytes);
  count(chdev, &Chdev::m_commands, uint64_t(1));
  count(chdev, &Chdev::m_bytes, bytes);
  if (e != Errno::kOk) count(chdev, &Chdev::m_errors, uint64_t(1));
  if (direct) count(chdev, &Chdev::m_direct, uint64_t(1));
  return e;
}

// The DEV thread: serves the queue until the chdev is stopped and its queue empty.
void server_loop(void* arg) {
  auto* local = static_cast<Chdev*>(arg);
  const hal::Xptr<Chdev> chdev(hal::local_cxy(), local);
  const auto lock = chdev.field(&Chdev::m_lock);
  const auto root = chdev.field(&Chdev::m_queue);
  const auto self = kern::thread_current_xptr();
  for (;;) {
    hal::remote_busylock_acquire(lock);
    const auto first = hal::xlist_first(root);
    if (first.is_null()) {
      if (hal::remote_load(chdev.field(&Chdev::m_stop)) != 0) {
        hal::remote_store(chdev.field(&Chdev::m_server_gone), 1u);
        hal::remote_busylock_release(lock);
        return;  // the thread exits; the chdev is not touched again
      }
      // Blocked under the lock, yield after it: see the header comment.
      kern::thread_block(self, kern::THREAD_BLOCKED_IDLE);
      hal::remote_busylock_release(lock);
      kern::sched_yield();
      continue;
    }
    hal::remote_busylock_release(lock);

    // The client waits blocked (IO) in the queue: its command is stable until we unblock it.
    const auto client = hal::xlist_element(first, &kern::Thread::m_wait_entry);
    const auto command_field = client.field(&kern::Thread::m_dev_command);
    const kern::DevCommand command = hal::remote_read(command_field);
    const Errno e = run_command(chdev, command, false);
    hal::remote_store(command_field.field(&kern::DevCommand::error), int32_t(e));

    hal::remote_busylock_acquire(lock);
    hal::xlist_unlink(first);
    hal::remote_atomic_add(chdev.field(&Chdev::m_queued), ~0u);
    hal::remote_busylock_release(lock);
    kern::thread_unblock(client, kern::THREAD_BLOCKED_IO);
  }
}

}  // namespace

Result<Chdev*> chdev_create(ChdevFunc func, uint32_t channel, ChdevCommandFn command, ChdevIo io) {
  if (command == nullptr) return error(Errno::kInval);
  Chdev* chdev = TRY(mm::kmem_new<Chdev>());
  chdev->m_func = func;
  chdev->m_channel = channel;
  chdev->m_cxy = hal::local_cxy();
  chdev->m_command = command;
  chdev->m_io = io;
  std::snprintf(chdev->m_name, sizeof chdev->m_name, "%.*s%u", int(func_name(func).size()), func_name(func).data(),
                channel);
  hal::xlist_root_init(hal::Xptr<Chdev>(hal::local_cxy(), chdev).field(&Chdev::m_queue));
  return chdev;
}

Result<void> chdev_start(Chdev* chdev, hal::lid_t lid) {
  kern::Thread* server = TRY(kern::thread_create(kern::ThreadType::DEV, server_loop, chdev, lid, chdev->m_name));
  hal::local_store(chdev->m_server, hal::XPTR(hal::local_cxy(), server));
  return {};
}

Result<void> chdev_submit(hal::Xptr<Chdev> chdev, const kern::DevCommand& command) {
  kern::Thread* self = kern::thread_current();
  if (self == nullptr) {
    if (const Errno e = run_command(chdev, command, true); e != Errno::kOk) return error(e);
    return {};
  }
  const auto lock = chdev.field(&Chdev::m_lock);
  const auto self_xptr = kern::thread_current_xptr();
  self->m_dev_command = command;
  self->m_dev_command.error = 0;
  // Blocked before it is linked: the server's unblock cannot come before the block.
  kern::thread_block(self_xptr, kern::THREAD_BLOCKED_IO);
  hal::remote_busylock_acquire(lock);
  if (hal::remote_load(chdev.field(&Chdev::m_stop)) != 0) {
    hal::remote_busylock_release(lock);
    kern::thread_unblock(self_xptr, kern::THREAD_BLOCKED_IO);
    if (const Errno e = run_command(chdev, command, true); e != Errno::kOk) return error(e);
    return {};
  }
  hal::xlist_add_last(chdev.field(&Chdev::m_queue), self_xptr.field(&kern::Thread::m_wait_entry));
  const uint32_t queued = hal::remote_atomic_add(chdev.field(&Chdev::m_queued), 1u) + 1;
  const auto high_water = chdev.field(&Chdev::m_queue_high_water);
  if (queued > hal::remote_load(high_water)) hal::remote_store(high_water, uint64_t(queued));
  // Under the lock: the server cannot leave (and be destroyed) while this client is queued.
  kern::thread_unblock(hal::Xptr<kern::Thread>(hal::remote_load(chdev.field(&Chdev::m_server))),
                       kern::THREAD_BLOCKED_IDLE);
  hal::remote_busylock_release(lock);
  kern::sched_yield();  // runs again once the server has unblocked it
  if (const auto e = Errno(hal::local_load(self->m_dev_command.error)); e != Errno::kOk) return error(e);
  return {};
}

void chdev_stop(hal::Xptr<Chdev> chdev) {
  const auto lock = chdev.field(&Chdev::m_lock);
  hal::remote_busylock_acquire(lock);
  hal::remote_store(chdev.field(&Chdev::m_stop), 1u);
  // The server is blocked idle (wake it), or running (it sees the flag at its next look).
  // Under the lock: it leaves only under the lock, so it is still there.
  const auto server = hal::Xptr<kern::Thread>(hal::remote_load(chdev.field(&Chdev::m_server)));
  if (!server.is_null()) kern::thread_unblock(server, kern::THREAD_BLOCKED_IDLE);
  hal::remote_busylock_release(lock);
}

bool chdev_server_gone(hal::Xptr<Chdev> chdev) {
  if (hal::remote_load(chdev.field(&Chdev::m_server)) == hal::XPTR_NULL) return true;  // never started
  const auto lock = chdev.field(&Chdev::m_lock);
  hal::remote_busylock_acquire(lock);
  const bool gone = hal::remote_load(chdev.field(&Chdev::m_server_gone)) != 0;
  hal::remote_busylock_release(lock);
  return gone;
}

void chdev_destroy(Chdev* chdev) { mm::kmem_delete(chdev); }

}  // namespace mkh::dev
