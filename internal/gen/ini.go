package gen

import (
	"bufio"
	"fmt"
	"os"
)

// writeINI writes the hosts file: ungrouped hosts before any section, then
// the host groups with each host's vars on the line in its first host
// group, the tag groups, the [p:children] sections and the [g:vars]
// sections, the order many hand-kept inventories follow.
func (inv *layout) writeINI(w *bufio.Writer) {
	o := inv.opts
	fmt.Fprintf(w, "# Synthetic inventory from kook's internal/gen: %d hosts, %d groups, depth %d, seed %d.\n",
		o.Hosts, o.Groups, o.Depth, o.Seed)
	for i := range inv.hosts {
		if inv.hosts[i].ungrouped {
			inv.writeHost(w, i, true)
		}
	}
	for li, g := range inv.leaves {
		fmt.Fprintf(w, "\n[%s]\n", g.name)
		for _, i := range g.hosts {
			inv.writeHost(w, i, inv.hosts[i].leaf == li)
		}
	}
	for _, g := range inv.tags {
		fmt.Fprintf(w, "\n[%s]\n", g.name)
		for _, i := range g.hosts {
			inv.writeHost(w, i, false)
		}
	}
	for _, g := range inv.parents {
		fmt.Fprintf(w, "\n[%s:children]\n", g.name)
		for _, c := range g.children {
			w.WriteString(c)
			w.WriteByte('\n')
		}
	}
	w.WriteString("\n[all:vars]\nansible_user=deploy\nansible_python_interpreter=/usr/bin/python3\n")
	for _, name := range inv.varGroup {
		fmt.Fprintf(w, "\n[%s:vars]\n", name)
		for _, v := range inv.gvars[name] {
			w.WriteString(v.key)
			w.WriteByte('=')
			w.WriteString(v.val)
			w.WriteByte('\n')
		}
	}
}

func (inv *layout) writeHost(w *bufio.Writer, i int, withVars bool) {
	h := &inv.hosts[i]
	w.WriteString(h.name)
	if withVars {
		for _, v := range h.vars {
			w.WriteByte(' ')
			w.WriteString(v.key)
			w.WriteByte('=')
			w.WriteString(v.val)
		}
	}
	w.WriteByte('\n')
}

// writeFile creates path and fills it with fn through a buffer.
func writeFile(path string, fn func(*bufio.Writer)) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("generate: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<16)
	fn(w)
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("generate: write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("generate: write %s: %w", path, err)
	}
	return nil
}
