package model

import (
	"context"
	"errors"
)

// ImportOptions say how Import combines a source with what is stored.
type ImportOptions struct {
	// Merge adds and updates hosts, groups, memberships and vars and removes
	// nothing. Without it the stored inventory becomes exactly the source.
	Merge bool
	// DryRun computes the changes and writes nothing.
	DryRun bool
}

// ImportResult says what an import changed (or would change).
type ImportResult struct {
	Changes    []Change
	Generation int64 // stored generation after the import
	Written    bool  // false for a dry run or when nothing changed
}

// Import stores src in s as one atomic change: readers see the inventory
// before or after, never a mix, whatever its size. On any error nothing is
// written.
func Import(ctx context.Context, s Store, src *Inventory, opts ImportOptions) (ImportResult, error) {
	if err := src.Validate(); err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	if opts.DryRun {
		cur, gen, err := s.Load(ctx)
		if errors.Is(err, ErrNotFound) {
			cur, err = New(), nil
		}
		if err != nil {
			return res, err
		}
		next := cur.Clone()
		apply(next, src, opts.Merge)
		if err := next.Validate(); err != nil {
			return res, err
		}
		return ImportResult{Changes: Diff(cur, next), Generation: gen}, nil
	}
	gen, err := s.Update(ctx, func(inv *Inventory) error {
		old := inv.Clone()
		apply(inv, src, opts.Merge)
		res.Changes = Diff(old, inv)
		return nil
	})
	if err != nil {
		return res, err
	}
	res.Generation = gen
	res.Written = len(res.Changes) > 0
	return res, nil
}

// apply makes inv the source, or merges the source into it.
func apply(inv, src *Inventory, merge bool) {
	if !merge {
		*inv = *src.Clone()
		return
	}
	Merge(inv, src)
}

// Merge adds src's hosts, groups, memberships, children and vars to dst and
// removes nothing. A var set in both takes src's value; a group's priority
// takes src's. New hosts and groups go at the end, in src's order.
func Merge(dst, src *Inventory) {
	for _, h := range src.Hosts {
		d := dst.AddHost(h.Name)
		d.Vars.Update(h.Vars.Clone())
		d.FileVars.Update(h.FileVars.Clone())
		if d.Source == "" {
			d.Source = h.Source
		}
		d.VarSources = mergeSources(d.VarSources, h.VarSources)
		d.FileVarSources = mergeSources(d.FileVarSources, h.FileVarSources)
	}
	for _, g := range src.Groups {
		d := dst.AddGroup(g.Name)
		d.Vars.Update(g.Vars.Clone())
		d.FileVars.Update(g.FileVars.Clone())
		d.Priority = g.Priority
		if d.Source == "" {
			d.Source = g.Source
		}
		d.VarSources = mergeSources(d.VarSources, g.VarSources)
		d.FileVarSources = mergeSources(d.FileVarSources, g.FileVarSources)
	}
	for _, g := range src.Groups {
		d := dst.Group(g.Name)
		member := make(map[string]bool, len(d.Hosts))
		for _, h := range d.Hosts {
			member[h] = true
		}
		for _, h := range g.Hosts {
			if !member[h] {
				member[h] = true
				d.Hosts = append(d.Hosts, h)
			}
		}
	}
	for _, g := range src.Groups {
		// A cycle that only the merge creates is left for Validate to report.
		d := dst.Group(g.Name)
		for _, c := range g.Children {
			if !contains(d.Children, c) {
				d.Children = append(d.Children, c)
			}
		}
	}
	dst.Reconcile()
}

func mergeSources(dst, src map[string]string) map[string]string {
	if len(src) == 0 {
		return dst
	}
	if dst == nil {
		dst = make(map[string]string, len(src))
	}
	for k, v := range src {
		dst[k] = v
	}
	return dst
}
