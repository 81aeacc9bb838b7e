package inventory

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"unicode/utf8"

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
	v, err := decodePyJSON(data)
	if err != nil {
		return errorf(file, pjsonErrLine(err), "failed to parse inventory script results: %v", err)
	}
	top, ok := v.(*pdict)
	if !ok {
		return errorf(file, 0, "failed to parse inventory script results: needs to be a JSON object, not %s", ptypeName(v))
	}
	s := &scriptParser{src: sourceSet{inv: inv, file: file, conv: newPConverter(pbudget(data))}, seen: map[string]bool{}}
	var meta any
	haveMeta := false
	for i, k := range top.keys {
		name := k.(string) // JSON keys are strings
		if name != "_meta" {
			if err := s.group(name, top.vals[i], top.klines[i]); err != nil {
				return err
			}
			continue
		}
		hv, found, err := pyIndex(top.vals[i], "hostvars")
		if err != nil {
			return errorf(file, top.klines[i], "_meta: %v", err)
		}
		if found {
			meta, haveMeta = hv, hv != nil
		}
	}
	for _, h := range s.hosts {
		var got any = newPDict(0)
		line := 0
		switch {
		case haveMeta:
			m, ok := meta.(*pdict)
			if !ok {
				return errorf(file, 0, "improperly formatted host information for %s: _meta.hostvars is a %s, not an object", h, ptypeName(meta))
			}
			if i := m.pos(h); i >= 0 {
				got, line = m.vals[i], m.klines[i]
			}
		case hostVars != nil:
			if got, err = hostVars(h); err != nil {
				return err
			}
		}
		vm, ok := got.(*pdict)
		if !ok {
			return errorf(file, line, "invalid data for host %q: expected a dictionary, got %s", h, ptypeName(got))
		}
		for j, k := range vm.keys {
			if err := s.src.setVar(h, k, vm.vals[j], vm.klines[j]); err != nil {
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
	case *pdict:
		x, ok := v.get(key)
		return x, ok, nil
	case string:
		if strings.Contains(v, key) {
			return nil, false, errors.New("string indices must be integers")
		}
		return nil, false, nil
	case *plist:
		for _, x := range v.items {
			if s, ok := pstring(x); ok && s == key {
				return nil, false, errors.New("list indices must be integers or slices, not str")
			}
		}
		return nil, false, nil
	}
	return nil, false, fmt.Errorf("argument of type '%s' is not iterable", ptypeName(v))
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
	m, isMap := data.(*pdict)
	switch {
	case !isMap:
		m = newPDict(line)
		_ = m.set("hosts", data, line, line)
	case !m.has("hosts") && !m.has("vars") && !m.has("children"):
		vars := m
		m = newPDict(line)
		_ = m.set("hosts", &plist{items: []any{name}, line: line}, line, line)
		_ = m.set("vars", vars, line, line)
	}
	if hv, ok := m.get("hosts"); ok {
		list, ok := hv.(*plist)
		if !ok {
			return errorf(s.src.file, line, "group %q has bad data for the host list: %s is not a list", name, ptypeName(hv))
		}
		for _, h := range list.items {
			hn, ok := pstring(h)
			if !ok {
				return errorf(s.src.file, line, "group %q: invalid host name %s, expected a string but got %s", name, pstr(h), ptypeName(h))
			}
			if err := s.src.addHost(hn, name, 0, false, list.line); err != nil {
				return err
			}
			if !s.seen[hn] {
				s.seen[hn] = true
				s.hosts = append(s.hosts, hn)
			}
		}
	}
	if vv, ok := m.get("vars"); ok {
		vars, ok := vv.(*pdict)
		if !ok {
			return errorf(s.src.file, line, "group %q has bad data for variables: %s is not an object", name, ptypeName(vv))
		}
		for j, k := range vars.keys {
			if err := s.src.setVar(name, k, vars.vals[j], vars.klines[j]); err != nil {
				return err
			}
		}
	}
	if !isMap {
		return nil
	}
	cv, ok := m.get("children")
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
	case *plist:
		return v.items, nil
	case *pdict:
		return v.keys, nil
	case string:
		var out []any
		for _, r := range v {
			out = append(out, string(r))
		}
		return out, nil
	}
	return nil, fmt.Errorf("'%s' object is not iterable", ptypeName(v))
}

func (m *pdict) has(k string) bool {
	_, ok := m.get(k)
	return ok
}

// runScriptSource runs an executable source with --list, as the script
// plugin does, and parses what it prints. ran reports whether the script
// started at all: when it did not (not a script after all), its error says
// little about the file.
func runScriptSource(inv *model.Inventory, path string) (ran bool, err error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return false, err
	}
	stdout, stderr, err := runScript(abs, "--list")
	if err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			return true, fmt.Errorf("inventory script %s had an execution error: %v: %s", path, err, strings.TrimSpace(string(stderr)))
		}
		return false, fmt.Errorf("problem running %s --list: %w", path, err)
	}
	if !utf8.Valid(stdout) {
		return true, fmt.Errorf("inventory script %s printed characters that cannot be interpreted as UTF-8", path)
	}
	hostVars := func(host string) (any, error) {
		// Ansible ignores the exit status of --host calls.
		out, _, err := runScript(abs, "--host", host)
		var exitErr *exec.ExitError
		if err != nil && !errors.As(err, &exitErr) {
			return nil, fmt.Errorf("problem running %s --host %s: %w", path, host, err)
		}
		v, err := loadPyData(path, out)
		if err != nil {
			return nil, fmt.Errorf("could not parse %s --host %s: %w", path, host, err)
		}
		return v, nil
	}
	return true, parseScriptOutput(inv, path, stdout, hostVars)
}

func runScript(path string, args ...string) (stdout, stderr []byte, err error) {
	var out, errb bytes.Buffer
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.Bytes(), errb.Bytes(), err
}
