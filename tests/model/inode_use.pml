/*
 * The references to a VFS inode and its release, as the C++ implements them
 * (fs/vfs/lookup.cpp: PinnedInode::pin, try_pin, drop_reference; fs/vfs/ops.cpp:
 * remove_locked, vfs_close; fs/vfs/objects.cpp: the file and inode services). One inode,
 * named in its parent directory and on its cluster's inode list, with one reference for its
 * name (Inode::m_refcount starts at 1):
 *   - walkers add a reference under the parent's lock while the name is there (a path walk's
 *     step, pinned_parent), use the inode, and drop it;
 *   - openers do the same for an open file, then close it: vfs_close adds a reference of its
 *     own, VFS_FILE_DESTROY drops the file's (never the last), and vfs_close drops its own;
 *   - syncers add one under the list's read lock unless the count is 0 (try_pin, a CAS loop),
 *     use the inode, and drop it;
 *   - a remover, under the parent's lock, takes the name away and drops its reference (a new
 *     inode whose lookup failed is discarded the same way);
 *   - whoever drops the last reference releases the inode: VFS_INODE_DESTROY takes it off the
 *     list under the list's write lock, then frees it.
 * Every atomic operation of the C++ is one step.
 *
 * Properties (safety run): no use of the inode once destroyed (assert in use(); a syncer's
 * reads of the count are uses); destroyed at most once; at the end, when every process is
 * done, destroyed exactly once, with no reference left -- checked by the last process.
 *
 * -DPLAIN_PIN: the syncers add their reference whatever the count (a count of 0 brought back):
 * the check must fail.
 */

#ifndef NWALKERS
#define NWALKERS 1
#endif
#ifndef NOPENERS
#define NOPENERS 1
#endif
#ifndef NSYNCERS
#define NSYNCERS 2
#endif

byte refs = 1;        /* Inode::m_refcount: the name's reference */
bool named = true;    /* its dentry in the parent (guarded by parent_lock) */
bool on_list = true;  /* on its cluster's inode list (guarded by the list lock) */
byte destroyed = 0;   /* times VFS_INODE_DESTROY freed it */

bool parent_lock = false;  /* the parent directory's lock (readers and writers alike: a mutex here) */
byte list_readers = 0;     /* the cluster's m_inodes_lock */
bool list_writer = false;

inline lock(l) { atomic { !l -> l = true } }
inline unlock(l) { l = false }

/* A use of the inode (a read of one of its words included): it must not be freed. */
inline use() { assert(destroyed == 0) }

/* drop_reference: the one whose decrement took the count to 0 releases it. */
inline drop() {
  byte before;
  atomic { use(); before = refs; refs-- };
  if
  :: before == 1 ->
     atomic { !list_writer && list_readers == 0 -> list_writer = true };
     on_list = false;
     list_writer = false;
     destroyed++;
     assert(destroyed == 1)
  :: else -> skip
  fi
}

/* A reference taken under the parent's lock while the name is there. */
inline pin_by_name(pinned) {
  lock(parent_lock);
  if
  :: named -> use(); refs++; pinned = true
  :: else -> skip
  fi;
  unlock(parent_lock)
}

proctype walker() {
  bool pinned = false;
  pin_by_name(pinned);
  if
  :: pinned -> use(); drop()
  :: else -> skip
  fi
}

proctype opener() {
  bool pinned = false;
  pin_by_name(pinned);  /* the open file's reference */
  if
  :: pinned ->
     use();
     refs++;                                         /* vfs_close's own */
     atomic { use(); assert(refs > 1); refs-- };     /* VFS_FILE_DESTROY: never the last */
     drop()                                          /* vfs_close's */
  :: else -> skip
  fi
}

proctype syncer() {
  bool pinned = false;
  byte seen;
  atomic { !list_writer -> list_readers++ };
  if
  :: on_list ->
#ifdef PLAIN_PIN
     use(); refs++; pinned = true
#else
     do
     :: atomic { use(); seen = refs };
        if
        :: seen == 0 -> break
        :: else ->
           if
           :: atomic { refs == seen -> refs = seen + 1; pinned = true }; break
           :: atomic { refs != seen -> skip }  /* the CAS failed: read again */
           fi
        fi
     od
#endif
  :: else -> skip
  fi;
  list_readers--;
  if
  :: pinned -> use(); drop()
  :: else -> skip
  fi
}

proctype remover() {
  lock(parent_lock);
  named = false;
  drop();  /* the name's reference (remove_locked runs under the parent's lock) */
  unlock(parent_lock)
}

init {
  byte i;
  atomic {
    run remover();
    for (i : 1 .. NWALKERS) { run walker() }
    for (i : 1 .. NOPENERS) { run opener() }
    for (i : 1 .. NSYNCERS) { run syncer() }
  }
  _nr_pr == 1;  /* every other process done */
  assert(destroyed == 1 && refs == 0 && !on_list)
}
