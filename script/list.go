package script

import (
	"bufio"
	"bytes"
	"io"

	"github.com/kook-project/kook/model"
)

// WriteList writes what kook-inventory --list prints, from the view
// tables: every group in seq order (an empty one as {"hosts": []}), its
// hosts from the members table, then "_meta": {"hostvars": ...}. It costs
// one pass over the tables; reading their segments ahead (Snapshot's
// Prefetch) saves the round trips.
func WriteList(w io.Writer, tables func(string) model.TableReader) error {
	groups, err := rankedGroups(tables(TableGroups))
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	bw.WriteByte('{')
	membersTable := tables(TableMembers)
	var hosts, name []byte
	for i, g := range groups {
		hosts = hosts[:0]
		prefix := membersPrefix(string(g.name))
		if err := membersTable.Scan(prefix, nextKey(prefix), func(_, h []byte) bool {
			if len(hosts) > 0 {
				hosts = append(hosts, ',')
			}
			hosts = append(hosts, h...)
			return true
		}); err != nil {
			return err
		}
		if i > 0 {
			bw.WriteByte(',')
		}
		name = model.AppendString(name[:0], string(g.name))
		bw.Write(name)
		bw.WriteByte(':')
		writeGroupObject(bw, hosts, g.vars, g.children)
	}
	if len(groups) > 0 {
		bw.WriteByte(',')
	}
	bw.WriteString(`"_meta":{"hostvars":{`)
	n := 0
	var ferr error
	err = tables(TableHostvars).Scan(nil, nil, func(k, v []byte) bool {
		if len(k) < 4 {
			ferr = errBadEntry(TableHostvars, k)
			return false
		}
		if n > 0 {
			bw.WriteByte(',')
		}
		n++
		name = model.AppendString(name[:0], string(k[4:]))
		bw.Write(name)
		bw.WriteByte(':')
		bw.Write(v)
		return true
	})
	if err == nil {
		err = ferr
	}
	if err != nil {
		return err
	}
	bw.WriteString("}}}\n")
	return bw.Flush()
}

// writeGroupObject writes a group's object as the script plugin reads it:
// "hosts", "vars", "children", each only when not empty, and {"hosts": []}
// for a group with none (an object with none of the three would be read as
// a host).
func writeGroupObject(w *bufio.Writer, hosts, vars, children []byte) {
	if len(hosts) == 0 && len(vars) == 0 && len(children) == 0 {
		w.WriteString(`{"hosts":[]}`)
		return
	}
	w.WriteByte('{')
	sep := false
	if len(hosts) > 0 {
		w.WriteString(`"hosts":[`)
		w.Write(hosts)
		w.WriteByte(']')
		sep = true
	}
	if len(vars) > 0 {
		if sep {
			w.WriteByte(',')
		}
		w.WriteString(`"vars":`)
		w.Write(vars)
		sep = true
	}
	if len(children) > 0 {
		if sep {
			w.WriteByte(',')
		}
		w.WriteString(`"children":`)
		w.Write(children)
	}
	w.WriteByte('}')
}

// nextKey returns the least key greater than every key starting with k.
func nextKey(k []byte) []byte {
	out := bytes.Clone(k)
	for i := len(out) - 1; i >= 0; i-- {
		if out[i] < 0xff {
			out[i]++
			return out[:i+1]
		}
	}
	return nil
}

type badEntryError struct {
	table string
	key   []byte
}

func (e *badEntryError) Error() string {
	return "view table " + e.table + ": malformed entry " + string(bytes.ToValidUTF8(e.key, []byte("?")))
}

func errBadEntry(table string, key []byte) error { return &badEntryError{table, bytes.Clone(key)} }
