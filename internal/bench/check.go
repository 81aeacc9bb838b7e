package main

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/model"
)

// The bench checks, on the way, that the outputs it times are right: a
// fast number for a wrong answer is worthless. Results go to the notes.

func sameBytes(got, want []byte) string {
	if bytes.Equal(got, want) {
		return "byte-identical to"
	}
	return fmt.Sprintf("DIFFERENT (%d vs %d bytes) from", len(got), len(want))
}

// sameJSON compares two JSON documents as Ansible means them (key order
// ignored, list order and types exact).
func sameJSON(want, got []byte, what string) string {
	w, err := model.UnmarshalJSON(want)
	if err != nil {
		return fmt.Sprintf("unparsable reference (%v) for %s", err, what)
	}
	g, err := model.UnmarshalJSON(got)
	if err != nil {
		return fmt.Sprintf("unparsable JSON (%v) instead of %s", err, what)
	}
	if d := ansibletest.Diff(w, g); d != "" {
		return fmt.Sprintf("DIFFERENT JSON (%s) from %s", d, what)
	}
	return "the same JSON as " + what
}

// pickHost returns the host in the middle of --list's _meta.hostvars and
// its vars there, as JSON.
func pickHost(list []byte) (string, []byte, error) {
	hv, err := hostvars(list)
	if err != nil {
		return "", nil, err
	}
	if len(hv) == 0 {
		return "", nil, errors.New("no _meta.hostvars")
	}
	e := hv[len(hv)/2]
	return e.Key, model.MarshalJSON(e.Value), nil
}

func hostvars(list []byte) (model.Map, error) {
	v, err := model.UnmarshalJSON(list)
	if err != nil {
		return nil, err
	}
	top, ok := v.(model.Map)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	meta, _ := top.Get("_meta")
	m, _ := meta.(model.Map)
	hv, _ := m.Get("hostvars")
	hvm, ok := hv.(model.Map)
	if !ok {
		return nil, errors.New("no _meta.hostvars object")
	}
	return hvm, nil
}

// checkLimit compares ansible-inventory's output for a limited
// kook-inventory with its output for the whole INI directory: every kept
// host must keep exactly its vars. It returns how many hosts were kept.
func checkLimit(full, limited []byte) (int, string) {
	fh, err := hostvars(full)
	if err != nil {
		return 0, fmt.Sprintf("unlimited output: %v", err)
	}
	lh, err := hostvars(limited)
	if err != nil {
		return 0, fmt.Sprintf("limited output: %v", err)
	}
	for _, e := range lh {
		want, ok := fh.Get(e.Key)
		if !ok {
			return len(lh), fmt.Sprintf("DIFFERENT: host %s is not in the unlimited inventory", e.Key)
		}
		if d := ansibletest.Diff(want, e.Value); d != "" {
			return len(lh), fmt.Sprintf("DIFFERENT: host %s: %s", e.Key, d)
		}
	}
	return len(lh), "each kept host has the same vars as without the limit"
}
