package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/kook-project/kook/export"
)

// ExportCmd is `kook export`.
type ExportCmd struct {
	Format string `short:"f" enum:"ini,yaml,json" required:"" help:"ini or yaml: an Ansible inventory; json: kook's full-fidelity backup."`
	Dir    string `short:"d" type:"path" placeholder:"DIR" help:"Write into DIR (created if needed) instead of stdout."`
	Force  bool   `help:"Replace an earlier export in DIR: its inventory file is overwritten and its group_vars/ and host_vars/ are removed first."`
}

// Help implements kong.HelpProvider.
func (c *ExportCmd) Help() string {
	return strings.TrimSpace(`
ini and yaml write DIR/hosts.ini or DIR/hosts.yml, plus DIR/group_vars/ and
DIR/host_vars/ files for vars that came from such files, so that every var
keeps its precedence level: 'ansible-inventory -i DIR/hosts.ini --list' then
prints what it prints for kook-inventory, and kook-import of the export stores
the same inventory. Without --dir the inventory goes to stdout, which works
only when no vars files are needed. INI cannot hold some values (vaulted
ones, NaN); those move to the vars files where that changes no host's vars,
else the export fails: use yaml. Anything the export cannot keep exactly is
reported on stderr.

json writes the backup (DIR/kook-backup.json with --dir): hosts and groups in
order, vars by level with exact types, priorities and provenance. kook-import
restores it exactly.

Examples:
  kook export -f yaml -d inventory/
  kook export -f ini > hosts.ini
  kook export -f json > backup.json && kook-import backup.json`)
}

// Run writes the export.
func (c *ExportCmd) Run(ctx context.Context, g *Globals) error {
	client, err := g.client(ctx)
	if err != nil {
		return err
	}
	defer client.Close()
	inv, gen, err := client.Inventory(ctx)
	if err != nil {
		return err
	}
	if c.Format == "json" {
		data := export.WriteBackup(inv)
		if c.Dir == "" {
			_, err := g.stdout.Write(data)
			return err
		}
		e := &export.Result{Files: []export.File{{Path: "kook-backup.json", Data: data}}}
		return c.write(g, e, gen)
	}
	e, err := export.Inventory(inv, c.Format)
	if err != nil {
		return err
	}
	for _, n := range e.Notes {
		fmt.Fprintf(g.stderr, "kook: note: %s\n", n)
	}
	if c.Dir == "" {
		if e.NeedsDir() {
			return usagef("this inventory has vars from group_vars/ or host_vars/ files (%d files): give --dir DIR", len(e.Files)-1)
		}
		_, err := g.stdout.Write(e.Main().Data)
		return err
	}
	return c.write(g, e, gen)
}

func (c *ExportCmd) write(g *Globals, e *export.Result, gen int64) error {
	if c.Force {
		for _, sub := range []string{"group_vars", "host_vars"} {
			if err := os.RemoveAll(filepath.Join(c.Dir, sub)); err != nil {
				return fmt.Errorf("export: %w", err)
			}
		}
	}
	if err := e.WriteDir(c.Dir, c.Force); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%w (--force replaces an earlier export)", err)
		}
		return err
	}
	main := filepath.Join(c.Dir, filepath.FromSlash(e.Main().Path))
	fmt.Fprintf(g.stderr, "generation %d: wrote %d files under %s\n", gen, len(e.Files), c.Dir)
	if c.Format != "json" {
		fmt.Fprintf(g.stderr, "use: ansible-inventory -i %s --list\n", main)
	}
	return nil
}
