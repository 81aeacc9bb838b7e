package kook

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/kook-project/kook/model"
	"github.com/kook-project/kook/pattern"
	"github.com/kook-project/kook/precedence"
)

// Filter is one condition on a host's effective vars: Key=Value,
// Key!=Value, Key~Regexp, Key defined, or Key undefined.
type Filter struct {
	Key    string
	Op     string // "=", "!=", "~", "defined", "undefined"
	Value  model.Value
	Regexp *regexp.Regexp
}

// ParseFilter parses k=v, k!=v, k~regex, k (defined) or !k (undefined);
// typeValue types v (kook's CLI types it as YAML 1.1, like VAR=VALUE).
func ParseFilter(expr string, typeValue func(string) (model.Value, error)) (Filter, error) {
	i := strings.IndexAny(expr, "=~")
	if i < 0 {
		if k, ok := strings.CutPrefix(expr, "!"); ok && k != "" {
			return Filter{Key: k, Op: "undefined"}, nil
		}
		if expr == "" {
			return Filter{}, fmt.Errorf("empty filter")
		}
		return Filter{Key: expr, Op: "defined"}, nil
	}
	f := Filter{Key: expr[:i], Op: expr[i : i+1]}
	text := expr[i+1:]
	if f.Op == "=" && strings.HasSuffix(f.Key, "!") {
		f.Key, f.Op = strings.TrimSuffix(f.Key, "!"), "!="
	}
	if f.Key == "" || strings.HasPrefix(f.Key, "!") {
		return f, fmt.Errorf("filter %q: want KEY=VALUE, KEY!=VALUE, KEY~REGEX, KEY or !KEY", expr)
	}
	var err error
	if f.Op == "~" {
		if f.Regexp, err = regexp.Compile(text); err != nil {
			return f, fmt.Errorf("filter %q: %v", expr, err)
		}
		return f, nil
	}
	if f.Value, err = typeValue(text); err != nil {
		return f, fmt.Errorf("filter %q: %w", expr, err)
	}
	return f, nil
}

// Match applies the filter to effective vars. Values compare with their
// types: 8080 does not equal "8080". A regular expression matches a string
// value, or the JSON text of any other value. k!=v holds for a host
// without k.
func (f Filter) Match(vars model.Map) bool {
	v, ok := vars.Get(f.Key)
	switch f.Op {
	case "defined":
		return ok
	case "undefined":
		return !ok
	case "=":
		return ok && model.Equal(v, f.Value)
	case "!=":
		return !ok || !model.Equal(v, f.Value)
	}
	if !ok {
		return false
	}
	s, isString := v.(string)
	if !isString {
		s = string(model.MarshalJSON(v))
	}
	return f.Regexp.MatchString(s)
}

// HostVars is one host a query selected, with Ansible's group_names and
// its effective vars (Ansible's internal vars left out).
type HostVars struct {
	Name       string
	GroupNames []string
	Vars       Vars
}

// Query returns the hosts an Ansible host pattern selects, in the order
// `ansible PATTERN --list-hosts` lists them, that match every filter. It
// reads the whole inventory's views.
func (c *Client) Query(ctx context.Context, hostPattern string, filters ...Filter) ([]HostVars, error) {
	inv, err := c.Ansible(ctx)
	if err != nil {
		return nil, err
	}
	selected, err := pattern.Select(inv, hostPattern)
	if err != nil {
		return nil, err
	}
	m := precedence.NewMerger(inv)
	var out []HostVars
	for _, name := range selected {
		r := HostVars{Name: name, Vars: model.Map{}}
		if inv.Host(name) != nil { // else Ansible's implicit localhost
			r.Vars = precedence.StripInternal(m.HostVars(name))
			r.GroupNames = slices.Sorted(slices.Values(m.Groups(name)))
		}
		if matchAll(filters, r.Vars) {
			out = append(out, r)
		}
	}
	return out, nil
}

func matchAll(filters []Filter, vars model.Map) bool {
	for _, f := range filters {
		if !f.Match(vars) {
			return false
		}
	}
	return true
}

// Groups returns the groups whose names an Ansible pattern matches (exact
// names, shell wildcards, ~regex, ':' or ',' unions, ':&', ':!'), in the
// order Ansible created them, as Ansible sees them: Vars are the vars
// kook-inventory emits for the group (its inventory vars updated by its
// group_vars/ file). "" matches every group. It reads the groups' views.
func (c *Client) Groups(ctx context.Context, groupPattern string) ([]*Group, error) {
	inv, err := c.Ansible(ctx)
	if err != nil {
		return nil, err
	}
	var selected []string
	if groupPattern == "" {
		for _, g := range inv.Groups {
			selected = append(selected, g.Name)
		}
	} else {
		// Ansible's pattern matching applied to an inventory whose hosts
		// are named after the groups and belong to none.
		byName := model.New()
		for _, g := range inv.Groups {
			byName.AddHost(g.Name)
		}
		matched, err := pattern.Select(byName, groupPattern)
		if err != nil {
			return nil, err
		}
		for _, name := range matched {
			if inv.Group(name) != nil {
				selected = append(selected, name)
			}
		}
	}
	parents := inv.Parents()
	out := make([]*Group, len(selected))
	for i, name := range selected {
		g := inv.Group(name)
		out[i] = &Group{Name: name, Parents: parents[name], Children: g.Children, Hosts: g.Hosts, Vars: g.Vars, Priority: g.Priority}
	}
	return out, nil
}
