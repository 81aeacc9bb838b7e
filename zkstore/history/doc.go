// Package history reads back the change records zkstore writes with every
// change, and undoes changes.
//
// zkstore writes one record per generation in the same transaction as the
// change (inventory/history/<generation>): who, when, with which tool and
// why, and every node the change touched, before and after, with the
// mzxid each node had before. This package builds on that:
//
//   - Commits reads a run of generations; EntityLog follows one host's or
//     group's own chain of changes without reading the others (read.go);
//   - Follow gives each change once, in order, as it commits, riding out
//     lost connections and pruned records;
//   - Revert undoes one change aspect by aspect, refusing (a
//     *model.ConflictError) when a later change touched the same aspect;
//     Rollback makes every node what it was at a generation (undo.go).
//
// Undo is a new change like any other, made with zkstore's Update (or
// Replace when the views must be rendered whole), on top of the generation
// its records were read at (model.UpdateOptions.At).
package history
