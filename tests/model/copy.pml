/*
 * A process copy's VMM and its reference, as the C++ implements them (mm/vmm/vmm.cpp:
 * ChangeSection, vmm_copy_get_pte; proc/copy.cpp: the reference's generation by remote load,
 * VMM_GET_VSEG and its fields read after the answer, VMM_GET_PTE). One virtual page of one
 * vseg: two fields of the vseg (its protection, say, and its size, written one at a time), its
 * entry at the reference naming a physical page. The reference's state k (k changes made):
 * both fields k, the entry page k + 1; an odd k's vseg forbids the copy's access. The reference
 * makes RUNS changes, each under its VMM's lock and inside a change section (the generation
 * odd): the fields written, the entry removed, its page freed, a new page mapped. The copy
 * faults FAULTS times under its own lock (its faults are serialised by it): it reads the
 * generation, waits out an odd one, drops what it holds when the generation moved since it
 * filled it, and otherwise hits its held entry, or asks the reference for the vseg (RPC 20: its
 * fields read without the reference's lock, after the answer), refuses the access itself when
 * the vseg forbids it, else asks for the entry (RPC 21: under the reference's lock), keeping
 * what it got only if the generation did not move.
 *
 * The heap's growth (brk) is no change: a third field of the vseg, its size, grows at any
 * moment (one store, outside the lock's change sections: the reference holds its lock, which
 * the copy's questions do not take), and a copy that is answered a larger size than its own
 * grows its own.
 *
 * Property (safety run): each answer the copy gives is one state of the reference's, whole (a
 * vseg of one write, the entry and the refusal that go with it), and a state that was current
 * at some moment of the fault: not one older than the fault's start (what the copy does with
 * an answer once the reference changed is the TLB shootdown's: shootdown.pml); the size it
 * answers is one the vseg had during the fault. -DLATE_READ (the generation read after the
 * questions), -DNO_ODD (an odd generation not waited out) and -DNO_RECHECK (the answers kept
 * without reading the generation again) must fail; -DNO_GROW (the copy keeps its own size)
 * too.
 */

#ifndef RUNS
#define RUNS 3
#endif
#ifndef FAULTS
#define FAULTS 3
#endif

byte generation = 0;   /* Vmm::m_generation at the reference */
bool ref_lock = false; /* the reference's Vmm::m_lock */
byte field_a = 0;      /* the vseg's two fields: equal at rest */
byte field_b = 0;
byte size = 1;         /* the vseg's size: it only grows, at no change of the generation */
byte entry = 1;        /* the reference's entry: the page mapped, 0 when none */
bool freed[RUNS + 2];  /* a page given back to the ppm */

inline lock(l) { atomic { !l -> l = true } }
inline unlock(l) { l = false }

proctype reference() {
  byte round = 0;
  byte old;
  do
  :: round < RUNS ->
     round++;
     lock(ref_lock);
     generation++;          /* ChangeSection: odd */
     field_a = round;       /* the vseg's fields, one store each */
     field_b = round;
     old = entry;
     entry = 0;
     freed[old] = true;     /* (the shootdown of the reference's own threads comes before) */
     entry = round + 1;
     generation++;          /* even again */
     unlock(ref_lock)
  :: else -> break
  od
}

proctype grower() {
  do
  :: size < 3 -> size++   /* vmm_brk: one store of the heap vseg's size */
  :: else -> break
  od
}

proctype copy() {
  byte seen = 0;          /* m_copy_generation */
  byte held = 0;          /* the copy's entry (0: none) */
  byte held_a;            /* the copy's vseg, when has_vseg */
  byte held_b;
  byte held_size;
  byte start_size;        /* ghost: the vseg's size when the fault began */
  byte z;                 /* the size answered */
  bool has_vseg = false;
  byte g;
  byte start;             /* ghost: the changes made when the fault began */
  byte answer;            /* the page answered, 0 for a refusal */
  byte a;
  byte b;
  byte fault = 0;
  do
  :: fault < FAULTS ->
     fault++;
     start = generation / 2;
     start_size = size;
     do
     :: true ->
#ifndef LATE_READ
        g = generation;
#endif
#ifndef NO_ODD
        if
        :: g % 2 == 1 -> goto again   /* a change runs: yield and read it again */
        :: else -> skip
        fi;
#endif
        if
        :: g != seen -> held = 0; has_vseg = false; seen = g   /* dropped */
        :: else -> skip
        fi;
        if
        :: held != 0 && held_size >= start_size -> answer = held; a = held_a; b = held_b; z = held_size; break   /* a hit */
        :: else -> skip
        fi;
        if
        :: !has_vseg ->
           a = field_a;   /* VMM_GET_VSEG, then the vseg's fields by remote loads */
           b = field_b;
           z = size;
#ifdef LATE_READ
           g = generation; seen = g;
#endif
#ifndef NO_RECHECK
           if
           :: generation != g -> goto again
           :: else -> skip
           fi;
#endif
           held_a = a; held_b = b; held_size = z; has_vseg = true
        :: else ->
           a = held_a; b = held_b;
           /* An address past the copy's vseg: asked again, the answer larger grows the copy's
            * own (copy_vseg_locked). Modelled as the question every fault after a growth. */
           z = size;
#ifndef NO_GROW
           if
           :: z > held_size -> held_size = z
           :: else -> skip
           fi;
#endif
           z = held_size
        fi;
        if
        :: a % 2 == 1 -> answer = 0   /* the vseg forbids it: refused here */
        :: else ->
           atomic { !ref_lock -> if :: field_a % 2 == 1 -> answer = 0 :: else -> answer = entry fi }  /* VMM_GET_PTE */
        fi;
#ifndef NO_RECHECK
        if
        :: generation != g -> goto again
        :: else -> skip
        fi;
#endif
        held = answer;
        break;
again:  skip
     od;
     /* The answer, as the fault returns it. */
     assert(a == b && a >= start && (a % 2 == 1 && answer == 0 || a % 2 == 0 && answer == a + 1));
     assert(z >= start_size && z <= size);
     assert(answer == 0 || !freed[answer] || generation != g)
  :: else -> break
  od
}

init {
  atomic {
    run reference();
    run grower();
    run copy()
  }
}
