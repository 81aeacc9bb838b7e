package main

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kook-project/kook/internal/ansibletest"
	"github.com/kook-project/kook/internal/gen"
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

// picks are the hosts and groups the kook rows work on, chosen from
// --list so that every run of the bench chooses the same.
type picks struct {
	host       string // the host in the middle of _meta.hostvars
	explainVar string // the var `kook explain` explains: http_port, set at several levels
	group      string // host's first group that is not a tag group
	groupHosts int
	other      string // a host outside the largest group (env_prod)
	prodHosts  int    // env_prod's hosts
}

// prodGroup is the largest group gen makes (70% of the hosts), and
// otherGroup one whose hosts are not in it.
const prodGroup, otherGroup = "env_prod", "env_staging"

// pick chooses the picks from --list output.
func pick(list []byte) (picks, error) {
	var p picks
	hv, err := hostvars(list)
	if err != nil {
		return p, err
	}
	if len(hv) == 0 {
		return p, errors.New("no _meta.hostvars")
	}
	p.host = hv[len(hv)/2].Key
	v, _ := model.UnmarshalJSON(list)
	top, _ := v.(model.Map)
	for _, e := range top {
		switch {
		case e.Key == "_meta" || e.Key == "all" || e.Key == "ungrouped" || e.Key == gen.CanaryGroup || strings.HasPrefix(e.Key, "env_"):
			continue
		}
		if hosts := groupHosts(e.Value); slices.Contains(hosts, p.host) {
			p.group, p.groupHosts = e.Key, len(hosts)
			break
		}
	}
	if p.group == "" {
		return p, fmt.Errorf("host %s is in no group but tag groups", p.host)
	}
	prod, _ := top.Get(prodGroup)
	p.prodHosts = len(groupHosts(prod))
	other, _ := top.Get(otherGroup)
	hosts := groupHosts(other)
	if len(hosts) == 0 || p.prodHosts == 0 {
		return p, fmt.Errorf("no hosts in %s or %s", prodGroup, otherGroup)
	}
	p.other = hosts[len(hosts)/2]
	return p, nil
}

// groupHosts returns a --list group entry's hosts.
func groupHosts(v model.Value) []string {
	m, _ := v.(model.Map)
	hv, _ := m.Get("hosts")
	list, _ := hv.([]model.Value)
	out := make([]string, 0, len(list))
	for _, h := range list {
		if s, ok := h.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// effectiveVars returns the effective_vars of `kook host show -o json`,
// as JSON.
func effectiveVars(show []byte) ([]byte, error) {
	v, err := model.UnmarshalJSON(show)
	if err != nil {
		return nil, fmt.Errorf("kook host show -o json: %w", err)
	}
	m, _ := v.(model.Map)
	ev, ok := m.Get("effective_vars")
	if !ok {
		return nil, errors.New("kook host show -o json: no effective_vars")
	}
	return model.MarshalJSON(ev), nil
}

// explainVar chooses, from `kook host show -o json`, the var to explain:
// http_port, which gen sets at several levels, else the first effective
// var.
func explainVar(show []byte) (string, error) {
	ev, err := effectiveVars(show)
	if err != nil {
		return "", err
	}
	v, _ := model.UnmarshalJSON(ev)
	vars, _ := v.(model.Map)
	if _, ok := vars.Get("http_port"); ok {
		return "http_port", nil
	}
	if len(vars) == 0 {
		return "", errors.New("kook host show -o json: no effective_vars")
	}
	return vars[0].Key, nil
}

// says checks that a command's output holds s.
func says(out []byte, s string) string {
	if bytes.Contains(out, []byte(s)) {
		return fmt.Sprintf("says %q", s)
	}
	return fmt.Sprintf("DIFFERENT: does not say %q (%.200q)", s, out)
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
