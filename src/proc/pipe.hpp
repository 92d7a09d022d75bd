// pipe(2)'s pipes: bytes from the descriptors of a write end to those of a read end, shared by
// the processes that inherit or duplicate them, in any cluster. Layer: proc. Calls kern
// (blocking), the VMM (the user's pages), rpc (a block released from another cluster).
//
// A pipe is one block of pages of the cluster that made it: this header in its first page, the
// ring in the others (kPipeBytes). Each end counts the references that name it — entries of
// file tables in any process, and the holds of the system calls using them (fd_lookup) — and
// keeps its status flags (O_NONBLOCK), as an open file description does. The header is
// reached by remote access from any cluster, under its busylock; bytes move between the ring and
// a user page the mover holds (or, for a write of at most PIPE_BUF bytes across two pages, a
// page of the writer's cluster it was copied into), so nothing faults or blocks under the lock. A thread that must wait — a reader of an empty pipe that has
// writers, a writer to a full one that has readers — links a PipeWaiter record of its stack and
// blocks itself (cause SLEEP) under the lock, as a futex waiter does; whoever changes the pipe
// (bytes in or out, an end's last reference gone) unlinks, marks and unblocks every waiter
// under it. A waiter whose process ends is unblocked too (SLEEP is a killable cause) and leaves
// with kIntr. ppoll and pselect6 link their records through pipe_poll, woken the same way. The last reference of both ends frees the block. tests/model/pipe.pml models the
// wait, the wake-ups and the release.
#pragma once

#include <cstdint>

#include "hal/busylock.hpp"
#include "hal/xlist.hpp"
#include "hal/xptr.hpp"
#include "libk/result.hpp"
#include "mm/page.hpp"

namespace mkh::kern {
struct Thread;
}

namespace mkh::proc {

struct Process;

enum class PipeEnd : uint32_t { kRead = 0, kWrite = 1 };

inline constexpr uint32_t kPipeOrder = 4;                                          // a block of 16 pages
inline constexpr uint32_t kPipeBytes = ((1u << kPipeOrder) - 1) * hal::kPageSize;  // the ring: 60 KiB
inline constexpr uint32_t kPipeAtomicBytes = 4096;                                 // PIPE_BUF
inline constexpr uint32_t kPipeNonblock = 04000;                                   // Linux's O_NONBLOCK

struct PipeWaiter {
  hal::XlistEntry m_entry;
  hal::Xptr<kern::Thread> m_thread;
  uint32_t m_woken = 0;  // written by the waker, under the lock
};

struct Pipe {
  hal::RemoteBusylock m_lock;
  // guarded by m_lock
  uint32_t m_head = 0;   // the ring's offset of the first byte to read
  uint32_t m_count = 0;  // bytes in the ring
  hal::XlistEntry m_waiters;
  // references to each end: added by remote atomics (from a reference held), dropped under m_lock
  uint32_t m_refs[2] = {};
  uint32_t m_status[2] = {};  // each end's status flags (O_NONBLOCK, O_APPEND...), under m_lock
  mm::Page* m_block = nullptr;
  hal::Xptr<uint8_t> m_ring;
};

// A pipe of this cluster, each end named by one reference (the caller's), with `status` flags
// (kPipeNonblock); kNoMem.
[[nodiscard]] Result<hal::Xptr<Pipe>> pipe_create(uint32_t status);
// One more reference to `end`, while the caller holds one to either end.
void pipe_take(hal::Xptr<Pipe> pipe, PipeEnd end);
// Drops one reference to `end`: the last wakes the waiters (a reader then sees the end of the
// bytes, a writer that no reader is left); the last of both ends frees the pipe.
void pipe_release(hal::Xptr<Pipe> pipe, PipeEnd end);

// read(2) of the read end: up to `size` bytes into the user's buffer at `address`. With
// `wait`, waits for a first byte while a writer is left (kAgain when the end is non-blocking);
// without (a readv's later vectors), takes only what is there. Then takes what is there; 0 when
// no writer is left and the ring is empty. kFault when no byte could be moved into the buffer,
// kIntr when the process ends during the wait.
[[nodiscard]] Result<uint32_t> pipe_read(Process* process, hal::Xptr<Pipe> pipe, uint32_t address, uint32_t size,
                                         bool wait);
// What a write put in the ring, and whether it met no reader (its caller sends SIGPIPE, as
// Linux does even after some bytes went in; EPIPE when none did).
struct PipeWritten {
  uint32_t count = 0;
  bool no_reader = false;
};
// write(2) to the write end: the `size` bytes at `address`, waiting for room as long as it
// takes (a write of at most kPipeAtomicBytes goes in at once, never between another writer's
// bytes); a non-blocking end takes what fits (kAgain for nothing). kFault, kIntr as pipe_read;
// after some bytes, a failure answers their count.
[[nodiscard]] Result<PipeWritten> pipe_write(Process* process, hal::Xptr<Pipe> pipe, uint32_t address, uint32_t size);
// The same for `size` bytes (at most kPipeAtomicBytes: at once) of this cluster's memory at
// `bytes`: a writev's vectors gathered first, so that they go in whole as one write's.
[[nodiscard]] Result<PipeWritten> pipe_write_staged(Process* process, hal::Xptr<Pipe> pipe, const void* bytes,
                                                    uint32_t size);
// poll(2)'s events (Linux's POLL bits, the same on RV32 and the host).
inline constexpr uint32_t kPollIn = 0x001, kPollPri = 0x002, kPollOut = 0x004, kPollErr = 0x008, kPollHup = 0x010,
                          kPollNval = 0x020, kPollRdNorm = 0x040, kPollRdBand = 0x080, kPollWrNorm = 0x100,
                          kPollWrBand = 0x200;
// poll(2)'s look at `end` (Linux's pipe_poll): the read end has kPollIn | kPollRdNorm with bytes
// in the ring, kPollHup with no writer left; the write end kPollOut | kPollWrNorm with room for
// PIPE_BUF bytes, kPollErr with no reader left. With `waiter`, links it on the pipe under the
// lock of the look, for the calling thread, which blocked itself (cause SLEEP) before: whoever
// changes the pipe after the look unblocks it, as it does a reader or writer that waits. The
// caller takes the record off (pipe_poll_unlink) before the record goes, holding a reference
// to `end` until then.
uint32_t pipe_poll(hal::Xptr<Pipe> pipe, PipeEnd end, PipeWaiter* waiter);
// Takes the record pipe_poll linked off the pipe, unless a waker did.
void pipe_poll_unlink(hal::Xptr<Pipe> pipe, PipeWaiter* waiter);
// The bytes waiting in the ring (FIONREAD).
uint32_t pipe_bytes(hal::Xptr<Pipe> pipe);
// An end's status flags (F_GETFL's, without the access mode), and their bits in `mask` set to
// `value`'s (F_SETFL, FIONBIO): the end's descriptors in every process see them.
uint32_t pipe_status(hal::Xptr<Pipe> pipe, PipeEnd end);
void pipe_set_status(hal::Xptr<Pipe> pipe, PipeEnd end, uint32_t mask, uint32_t value);

}  // namespace mkh::proc
