package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode/utf8"

	"github.com/kook-project/kook/internal/pycompat"
	"github.com/kook-project/kook/model"
)

// ParseScript adds to inv the JSON an inventory script prints for --list, as
// Ansible's script inventory plugin (plugins/inventory/script.py) reads it:
// each top-level key is a group holding "hosts" (a list), "vars" and
// "children"; a value that is not an object is the group's host list, and an
// object with none of those keys is a host named like the group with those
// vars. Host vars come from "_meta"."hostvars"; a host listed only there is
// dropped. Host names are taken literally. Values keep Ansible's JSON forms
// ({"__ansible_vault": ...} is a model.Vault).
//
// Without "_meta"."hostvars" Ansible runs the script with --host for each
// host; ParseScript has no script to run, so those hosts get no vars (Load
// does run it).
func ParseScript(inv *model.Inventory, file string, data []byte) error {
	return parseScriptOutput(inv, file, data, nil)
}

// hostVarsFunc fetches a host's vars the way `script --host NAME` does.
type hostVarsFunc func(host string) (any, error)

func parseScriptOutput(inv *model.Inventory, file string, data []byte, hostVars hostVarsFunc) error {
	v, err := pycompat.DecodeJSON(data)
	if err != nil {
		line := 0
		if e := (*pycompat.Error)(nil); errors.As(err, &e) {
			line = e.Line
		}
		return errorf(file, line, "failed to parse inventory script results: %v", err)
	}
	top, ok := v.(*pycompat.Dict)
	if !ok {
		return errorf(file, 0, "failed to parse inventory script results: needs to be a JSON object, not %s", pycompat.TypeName(v))
	}
	s := &scriptParser{src: sourceSet{inv: inv, file: file, conv: pycompat.NewConverter(data)}, seen: map[string]bool{}}
	var meta any
	haveMeta := false
	for i, k := range top.Keys {
		name := k.(string) // JSON keys are strings
		if name != "_meta" {
			if err := s.group(name, top.Vals[i], top.KeyLines[i]); err != nil {
				return err
			}
			continue
		}
		hv, found, err := pyIndex(top.Vals[i], "hostvars")
		if err != nil {
			return errorf(file, top.KeyLines[i], "_meta: %v", err)
		}
		if found {
			meta, haveMeta = hv, hv != nil
		}
	}
	for _, h := range s.hosts {
		var got any = pycompat.NewDict(0)
		line := 0
		switch {
		case haveMeta:
			m, ok := meta.(*pycompat.Dict)
			if !ok {
				return errorf(file, 0, "improperly formatted host information for %s: _meta.hostvars is a %s, not an object", h, pycompat.TypeName(meta))
			}
			if i := m.Pos(h); i >= 0 {
				got, line = m.Vals[i], m.KeyLines[i]
			}
		case hostVars != nil:
			if got, err = hostVars(h); err != nil {
				return err
			}
		}
		vm, ok := got.(*pycompat.Dict)
		if !ok {
			return errorf(file, line, "invalid data for host %q: expected a dictionary, got %s", h, pycompat.TypeName(got))
		}
		for j, k := range vm.Keys {
			if err := s.src.setVar(h, k, vm.Vals[j], vm.KeyLines[j]); err != nil {
				return err
			}
		}
	}
	return nil
}

// pyIndex is Python's `key in v` followed by v[key], for the types JSON
// gives: only an object can be indexed by a string.
func pyIndex(v any, key string) (any, bool, error) {
	switch v := v.(type) {
	case *pycompat.Dict:
		x, ok := v.Get(key)
		return x, ok, nil
	case string:
		if strings.Contains(v, key) {
			return nil, false, errors.New("string indices must be integers")
		}
		return nil, false, nil
	case *pycompat.List:
		for _, x := range v.Items {
			if s, ok := pycompat.Text(x); ok && s == key {
				return nil, false, errors.New("list indices must be integers or slices, not str")
			}
		}
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("argument of type '%s' is not iterable", pycompat.TypeName(v))
}

type scriptParser struct {
	src   sourceSet
	hosts []string // the plugin's _hosts, in first-seen order
	seen  map[string]bool
}

// group is the script plugin's _parse_group.
func (s *scriptParser) group(name string, data any, line int) error {
	if _, err := s.src.addGroup(name, line); err != nil {
		return err
	}
	m, isMap := data.(*pycompat.Dict)
	switch {
	case !isMap:
		m = pycompat.NewDict(line)
		_ = m.Set("hosts", data, line, line)
	case !m.Has("hosts") && !m.Has("vars") && !m.Has("children"):
		vars := m
		m = pycompat.NewDict(line)
		_ = m.Set("hosts", &pycompat.List{Items: []any{name}, Line: line}, line, line)
		_ = m.Set("vars", vars, line, line)
	}
	if hv, ok := m.Get("hosts"); ok {
		list, ok := hv.(*pycompat.List)
		if !ok {
			return errorf(s.src.file, line, "group %q has bad data for the host list: %s is not a list", name, pycompat.TypeName(hv))
		}
		for _, h := range list.Items {
			hn, ok := pycompat.Text(h)
			if !ok {
				return errorf(s.src.file, line, "group %q: invalid host name %s, expected a string but got %s", name, pycompat.Str(h), pycompat.TypeName(h))
			}
			if err := s.src.addHost(hn, name, 0, false, list.Line); err != nil {
				return err
			}
			if !s.seen[hn] {
				s.seen[hn] = true
				s.hosts = append(s.hosts, hn)
			}
		}
	}
	if vv, ok := m.Get("vars"); ok {
		vars, ok := vv.(*pycompat.Dict)
		if !ok {
			return errorf(s.src.file, line, "group %q has bad data for variables: %s is not an object", name, pycompat.TypeName(vv))
		}
		for j, k := range vars.Keys {
			if err := s.src.setVar(name, k, vars.Vals[j], vars.KeyLines[j]); err != nil {
				return err
			}
		}
	}
	if !isMap {
		return nil
	}
	cv, ok := m.Get("children")
	if !ok {
		return nil
	}
	children, err := pyIter(cv)
	if err != nil {
		return errorf(s.src.file, line, "group %q children: %v", name, err)
	}
	for _, c := range children {
		child, err := s.src.addGroup(c, line)
		if err != nil {
			return err
		}
		if err := s.src.addChild(name, child, line); err != nil {
			return err
		}
	}
	return nil
}

// pyIter is Python's iteration over a JSON value: a list's items, an
// object's keys, a string's characters.
func pyIter(v any) ([]any, error) {
	switch v := v.(type) {
	case *pycompat.List:
		return v.Items, nil
	case *pycompat.Dict:
		return v.Keys, nil
	case string:
		var out []any
		for _, r := range v {
			out = append(out, string(r))
		}
		return out, nil
	}
	return nil, fmt.Errorf("'%s' object is not iterable", pycompat.TypeName(v))
}

// runScriptSource runs an executable source with --list, as the script
// plugin does, and parses what it prints. ran reports whether the script
// started at all: when it did not (not a script after all), its error says
// little about the file.
func runScriptSource(inv *model.Inventory, path string, max int64) (ran bool, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false, err
	}
	stdout, stderr, err := runScript(abs, max, "--list")
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return true, fmt.Errorf("inventory script %s had an execution error: %v: %s", path, err, strings.TrimSpace(string(stderr)))
		}
		if errors.Is(err, ErrSourceTooLarge) {
			return true, &ParseError{File: path, Err: fmt.Errorf("--list: %w", err)}
		}
		return false, fmt.Errorf("problem running %s --list: %w", path, err)
	}
	if !utf8.Valid(stdout) {
		return true, fmt.Errorf("inventory script %s printed characters that cannot be interpreted as UTF-8", path)
	}
	hostVars := func(host string) (any, error) {
		// Ansible ignores the exit status of --host calls.
		out, _, err := runScript(abs, max, "--host", host)
		var exitErr *exec.ExitError
		if err != nil && !errors.As(err, &exitErr) {
			return nil, fmt.Errorf("problem running %s --host %s: %w", path, host, err)
		}
		v, err := pycompat.Load(path, out)
		if err != nil {
			return nil, fmt.Errorf("could not parse %s --host %s: %w", path, host, pyError(path, err))
		}
		return v, nil
	}
	return true, parseScriptOutput(inv, path, stdout, hostVars)
}

// runScript runs an inventory script. It kills a script that prints more
// than max bytes and returns an error wrapping ErrSourceTooLarge; of its
// stderr it keeps the first 64 KiB, for messages.
func runScript(path string, max int64, args ...string) (stdout, stderr []byte, err error) {
	errb := &cappedBuffer{max: 64 << 10}
	cmd := exec.Command(path, args...)
	cmd.Stderr = errb
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	out, rerr := readAtMost(pipe, max)
	if errors.Is(rerr, ErrSourceTooLarge) {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, errb.Bytes(), fmt.Errorf("it printed %w", rerr)
	}
	err = cmd.Wait()
	if err == nil {
		err = rerr
	}
	return out, errb.Bytes(), err
}

// cappedBuffer keeps the first max bytes written to it and drops the rest,
// never failing a write (a failing writer would leave the child blocked).
type cappedBuffer struct {
	bytes.Buffer
	max int
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}
