// chdev: one channel of a device, its DEV server thread and its queue of client threads
// (the reference's chdev_t and chdev_register_command / chdev_sequencial_server).
// Layer: dev. Calls kern (threads, blocking, scheduler), hal (remote access, xlist,
// remote_busylock), mm (kmem: the CHDEV cache).
//
// A client puts its command in its own thread descriptor (Thread::m_dev_command), blocks on
// cause IO, links itself at the end of the chdev's queue and wakes the server; the server
// takes the first client, runs the driver's command, unlinks the client and unblocks it.
// With an empty queue the server blocks itself (cause IDLE) and yields.
//
// No wake-up is lost. Both sides decide under the queue's busylock: the server blocks itself
// (sets IDLE in its blocked word) while it holds the lock and finds the queue empty, and
// yields only after releasing it; a client links itself under the same lock and unblocks the
// server after releasing it. So either the client linked first and the server, looking under
// the lock, finds it and does not block; or the server's IDLE bit is set before the client
// links and the client's unblock clears it — if that comes between the server's release and
// its yield, the scheduler reads a clear word and runs the server again. The same holds for
// the client: it is blocked (IO) before it is linked, so the server's unblock, which can only
// come after the link, is never lost either, and a blocked IO client cannot be destroyed
// under the server (IO is not a killable cause).
//
// A host thread outside the machine (thread_current() == nullptr: boot code, unit tests)
// cannot block: it runs the driver's command itself, in its own host thread, as the locks do
// when they poll. So does a client that comes after the server was stopped (shutdown).
#pragma once

#include <cstdint>

#include "hal/busylock.hpp"
#include "hal/xlist.hpp"
#include "hal/xptr.hpp"
#include "kern/thread.hpp"
#include "libk/result.hpp"
#include "mm/kcm_types.hpp"

namespace mkh::dev {

enum class ChdevFunc : uint32_t { IOC, TXT };

inline constexpr std::size_t kChdevNameSize = 16;

// What a driver's command function is given: the host side of the channel, copied by value
// so that a direct (host-thread) run needs no pointer into the chdev's cluster.
struct ChdevIo {
  int32_t host_fd = -1;
  uint64_t size = 0;  // device size in the driver's unit (IOC: sectors)
};

// Runs `command`; returns kOk or the error. Sets `*bytes` to the bytes moved. Runs in the
// chdev's DEV thread, or in a host thread for a direct run.
using ChdevCommandFn = Errno (*)(const ChdevIo& io, const kern::DevCommand& command, uint64_t* bytes);

struct Chdev {
  static constexpr mm::KcmType kKcmType = mm::KcmType::CHDEV;

  // immutable after chdev_create
  ChdevFunc m_func = ChdevFunc::IOC;
  uint32_t m_channel = 0;
  hal::cxy_t m_cxy = 0;
  ChdevCommandFn m_command = nullptr;  // the driver's command function
  ChdevIo m_io;                        // the driver's data
  char m_name[kChdevNameSize] = {};    // "ioc0", "txt0"
  // written once by chdev_start, before any client can find the chdev
  hal::xptr_t m_server = hal::XPTR_NULL;  // the DEV thread

  hal::RemoteBusylock m_lock;
  // guarded by m_lock
  hal::XlistEntry m_queue;     // clients, by Thread::m_wait_entry, first come first served
  uint32_t m_queued = 0;       // clients in the queue
  uint32_t m_stop = 0;         // set by chdev_stop: the server drains the queue and leaves
  uint32_t m_server_gone = 0;  // set by the server as it leaves (it touches the chdev no more)

  // counters: relaxed remote atomics, read by anyone
  uint64_t m_commands = 0;
  uint64_t m_bytes = 0;
  uint64_t m_errors = 0;
  uint64_t m_queue_high_water = 0;  // most clients queued at once
  uint64_t m_direct = 0;            // commands run by host threads or after the stop
};

// A chdev of the local cluster; kNoMem.
[[nodiscard]] Result<Chdev*> chdev_create(ChdevFunc func, uint32_t channel, ChdevCommandFn command, ChdevIo io);
// Starts its DEV thread on core `lid` of the local cluster; kNoMem, kInval.
[[nodiscard]] Result<void> chdev_start(Chdev* chdev, hal::lid_t lid);
// Any cluster: runs `command` on the chdev (see the header comment); the driver's error.
[[nodiscard]] Result<void> chdev_submit(hal::Xptr<Chdev> chdev, const kern::DevCommand& command);
// Host thread, shutdown: asks the server to drain its queue and leave; then true once it has
// gone (poll it).
void chdev_stop(hal::Xptr<Chdev> chdev);
bool chdev_server_gone(hal::Xptr<Chdev> chdev);
// Local, once the cores have stopped: frees the chdev (its host fd is the driver's).
void chdev_destroy(Chdev* chdev);

}  // namespace mkh::dev
