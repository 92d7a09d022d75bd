/*
 * A fork's image against the kernel's holds of the parent's pages for writing, as the C++
 * implements them (mm/vmm/vmm.cpp vmm_fork_image, vmm_hold_page, vmm_release_page). A thread
 * in read(2) holds one user page at a time for writing: under the VMM's lock, unless a fork
 * waits (m_forks_waiting), it takes the page and counts the hold (m_write_holds), lets the
 * lock go, moves its bytes, and drops the count; when a fork waits it lets the lock go and
 * tries again. The forking thread counts itself as waiting, then, under the lock, makes the
 * image once the count is 0 (else it lets the lock go and tries again), and stops waiting.
 *
 * Properties: the image is never made while a hold for writing is open (assert: the bytes
 * still to come would reach the child alone); with weak fairness the fork is made however the
 * readers loop (`ltl fork_made`: a reader that holds again at once cannot keep the count
 * above 0 for ever); the readers go on after it. -DNO_GATE (new holds do not wait for a
 * waiting fork) must fail the liveness run: two readers taking turns keep the count up.
 */

#ifndef NREADERS
#define NREADERS 2
#endif

byte next_ticket = 0;   /* Vmm::m_lock, a queuelock: FIFO, as kern's (a ticket lock here) */
byte serving = 0;
byte holds = 0;         /* Vmm::m_write_holds */
byte forks_waiting = 0; /* Vmm::m_forks_waiting */
bool forked = false;
bool imaging = false;   /* the image being made */

inline lock_vmm(ticket) {
  atomic { ticket = next_ticket; next_ticket++ };
  serving == ticket
}
inline unlock_vmm() { serving++ }

/* A thread in read(2), for ever: one page held at a time. */
proctype reader() {
  byte ticket;
  do
  :: lock_vmm(ticket);
#ifndef NO_GATE
     if
     :: forks_waiting > 0 -> unlock_vmm()  /* then sched_yield, and again */
     :: else ->
#endif
       holds++;
       unlock_vmm();
       assert(!imaging);  /* the bytes move into the page */
       holds--
#ifndef NO_GATE
     fi
#endif
  od
}

proctype forker() {
  byte ticket;
  forks_waiting++;
  do
  :: lock_vmm(ticket);
     if
     :: holds == 0 ->
        imaging = true;  /* every entry copy-on-write, the image made */
        imaging = false;
        forked = true;
        forks_waiting--;
        unlock_vmm();
        break
     :: else -> unlock_vmm()  /* sched_yield */
     fi
  od
}

ltl fork_made { <> forked }

init {
  byte i = 0;
  atomic {
    do
    :: i < NREADERS -> run reader(); i++
    :: else -> break
    od;
    run forker()
  }
}
