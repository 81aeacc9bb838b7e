package zkstore

import "path"

// The writer queue: fairness for writers that keep losing races.
//
// Every writer checks head's version in its multi, so when many write at
// once one wins each round and the others start over. A loser backs off
// for a random time that doubles with each loss (zkconn.Backoff), so a
// writer that lost a few times waits longest while newcomers get in: with
// 20 processes adding hosts to 100,000, one edit waited 6 s in a round
// that took 6.5 s in all. So a writer that has lost queueAfter races takes
// a number in a queue (zkconn.Enqueue, under <root>/inventory/queue) and,
// once the writers queued before it are gone, tries again at once instead
// of backing off. A writer that has not lost does not queue: an edit
// without contention costs nothing more. The queue only orders attempts:
// every attempt is still version-checked, so a writer that does not queue
// (an older kook, a hand edit) is never clobbered; it only gets in first.
const queueAfter = 2

func (s *Store) queueDir() string { return path.Join(s.base(), "queue") }
