// Package spool is the durable on-disk queue between receiving an event and
// finishing its work: an append-only journal of JSON records, each line
// checksummed (CRC-32C) and fsynced before Put returns. Concurrent Puts are
// group-committed: one write and one fsync for every request waiting.
//
// Guarantees:
//   - Put returns nil only once the items are on disk; a kill -9 at any
//     instant afterwards loses none of them. A torn record at the tail of
//     the journal (a write cut short by the crash) was never acknowledged
//     and is cut off when the spool is reopened.
//   - Put is idempotent by item ID (the event id) and by content: an item
//     whose (recording id, document id) pairs are all known already is a
//     duplicate and is not stored again.
//   - Items are handed to one worker at a time (Next), and two items of the
//     same recording are never handed out at once, so a recording is never
//     downloaded by two workers of one process.
//
// The journal is compacted (live items rewritten into a new segment, temp
// file + fsync + rename + directory fsync) when a segment grows past
// Options.SegmentBytes. One process owns a spool directory (flock);
// OpenReadOnly inspects it while a server runs.
package spool
