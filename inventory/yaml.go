package inventory

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"

	"github.com/kook-project/kook/internal/pycompat"
	"github.com/kook-project/kook/model"
)

// ParseYAML adds a YAML or JSON inventory source to inv exactly as Ansible's
// yaml inventory plugin (plugins/inventory/yaml.py) does: top-level keys are
// groups, each with optional "hosts", "vars" and "children" mappings; host
// keys are host patterns ("web[01:03]:2222"). Groups and hosts are created,
// and vars set, in the order the plugin does it, so that inventory order
// matches Ansible's. It records provenance as "file:line" and leaves
// Reconcile to the caller.
//
// Ansible only warns about some malformed parts (a group that is not a
// mapping, an unknown key in a group); those are skipped here too. What
// Ansible rejects is an error naming the file and line. On error inv may hold
// part of the file, as it does in Ansible.
func ParseYAML(inv *model.Inventory, file string, data []byte) error {
	_, err := parseYAMLSource(inv, file, data)
	return err
}

// parseYAMLSource is ParseYAML, also reporting whether the file did load as
// a YAML mapping, so that its errors are about the inventory's structure
// rather than a sign that the file is in some other format.
func parseYAMLSource(inv *model.Inventory, file string, data []byte) (structural bool, err error) {
	if isVaultData(data) {
		return false, errVaultFile(file)
	}
	v, err := pycompat.Load(file, data)
	if err != nil {
		return false, pyError(file, err)
	}
	p := &yamlParser{src: sourceSet{inv: inv, file: file, conv: pycompat.NewConverter(data)}}
	m, ok := v.(*pycompat.Dict)
	return ok && len(m.Keys) > 0, p.parse(v)
}

type yamlParser struct {
	src   sourceSet
	depth int
}

// maxGroupDepth stands for Python's recursion limit, which a group that is
// its own child (through an alias) runs into.
const maxGroupDepth = 500

func (p *yamlParser) parse(data any) error {
	m, ok := data.(*pycompat.Dict)
	switch {
	case !pycompat.Truthy(data):
		return errorf(p.src.file, 0, "parsed empty YAML file")
	case !ok:
		return errorf(p.src.file, plineOf(data), "YAML inventory has invalid structure, it should be a dictionary, got: %s", pycompat.TypeName(data))
	}
	if plugin, ok := m.Get("plugin"); ok && pycompat.Truthy(plugin) {
		return errorf(p.src.file, m.KeyLines[m.Pos("plugin")], "plugin configuration YAML file, not YAML inventory (kook reads only static inventories)")
	}
	for i, k := range m.Keys {
		if _, err := p.group(k, m.Vals[i], m.KeyLines[i]); err != nil {
			return err
		}
	}
	return nil
}

// group is InventoryModule._parse_group. It returns the group's name as the
// caller must use it; for a definition that is not a mapping that is the key
// itself, which need not name a group.
func (p *yamlParser) group(key, data any, line int) (any, error) {
	m, isMap := data.(*pycompat.Dict)
	if !isMap && data != nil {
		return key, nil // Ansible warns: not a valid group definition
	}
	name, err := p.src.addGroup(key, line)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return name, nil
	}
	if p.depth++; p.depth > maxGroupDepth {
		return nil, errorf(p.src.file, line, "group %q: children nested too deeply (maximum recursion depth exceeded)", name)
	}
	defer func() { p.depth-- }()
	for _, section := range []string{"vars", "children", "hosts"} {
		v, ok := m.Get(section)
		if !ok {
			continue
		}
		i := m.Pos(section)
		if s, ok := pycompat.Text(v); ok {
			sub := pycompat.NewDict(m.ValLines[i])
			_ = sub.Set(s, nil, m.ValLines[i], m.ValLines[i])
			m.Vals[i] = sub
			continue
		}
		if _, ok := v.(*pycompat.Dict); !ok && v != nil {
			return nil, errorf(p.src.file, m.KeyLines[i], "invalid %q entry for %q group, requires a dictionary, found %q instead", section, name, pycompat.TypeName(v))
		}
	}
	for i, k := range m.Keys {
		section, _ := m.Vals[i].(*pycompat.Dict)
		if section == nil {
			continue // not a mapping (Ansible warns) or empty
		}
		ks, _ := pycompat.Text(k)
		switch ks {
		case "vars":
			for j, vk := range section.Keys {
				if err := p.src.setVar(name, vk, section.Vals[j], section.KeyLines[j]); err != nil {
					return nil, err
				}
			}
		case "children":
			for j, ck := range section.Keys {
				child, err := p.group(ck, section.Vals[j], section.KeyLines[j])
				if err != nil {
					return nil, err
				}
				if err := p.src.addChild(name, child, section.KeyLines[j]); err != nil {
					return nil, err
				}
			}
		case "hosts":
			for j, hk := range section.Keys {
				if err := p.hosts(name, hk, section.Vals[j], section.KeyLines[j]); err != nil {
					return nil, err
				}
			}
		default:
			// Ansible warns: only "vars", "children" and "hosts" are valid.
		}
	}
	return name, nil
}

// hosts is _parse_host followed by _populate_host_vars.
func (p *yamlParser) hosts(group string, pattern, vars any, line int) error {
	s, ok := pycompat.Text(pattern)
	if !ok {
		return errorf(p.src.file, line, "host pattern %s must be a string. Enclose integers/floats in quotation marks", pycompat.Str(pattern))
	}
	names, port, hasPort, err := ExpandHostPattern(s)
	if err != nil {
		return &ParseError{File: p.src.file, Line: line, Err: err}
	}
	if !pycompat.Truthy(vars) {
		vars = pycompat.NewDict(line)
	}
	vm, ok := vars.(*pycompat.Dict)
	if !ok {
		return errorf(p.src.file, line, "invalid data for host %q: expected a dictionary, got %s", s, pycompat.TypeName(vars))
	}
	for _, h := range names {
		if err := p.src.addHost(h, group, port, hasPort, line); err != nil {
			return err
		}
		for j, k := range vm.Keys {
			if err := p.src.setVar(h, k, vm.Vals[j], vm.KeyLines[j]); err != nil {
				return err
			}
		}
	}
	return nil
}

// plineOf is the source line of a container, when known.
func plineOf(v any) int {
	switch v := v.(type) {
	case *pycompat.Dict:
		return v.Line
	case *pycompat.List:
		return v.Line
	}
	return 0
}

// sourceSet applies one source file to an inventory as Ansible's
// InventoryData methods do (add_group, add_host, add_child, set_variable),
// recording provenance.
type sourceSet struct {
	inv     *model.Inventory
	file    string
	conv    *pycompat.Converter
	members memberSets // made on first use
}

func (s *sourceSet) where(line int) string {
	if line > 0 {
		return fmt.Sprintf("%s:%d", s.file, line)
	}
	return s.file
}

// addGroup is InventoryData.add_group: the name must be a non-empty string.
func (s *sourceSet) addGroup(key any, line int) (string, error) {
	name, ok := pycompat.Text(key)
	switch {
	case ok && name == "":
		return "", errorf(s.file, line, "invalid empty group name")
	case !pycompat.Truthy(key):
		return "", errorf(s.file, line, "unable to add group %s: invalid empty/false group name", pycompat.Str(key))
	case !ok:
		return "", errorf(s.file, line, "unable to add group %s: invalid group name, expected a string but got %s", pycompat.Str(key), pycompat.TypeName(key))
	}
	if err := model.ValidateGroupName(name); err != nil {
		return "", errorf(s.file, line, "group %s: %v", quoteName(name), err)
	}
	g := s.inv.AddGroup(name)
	if g.Source == "" {
		g.Source = s.where(line)
	}
	return name, nil
}

// addHost is InventoryData.add_host: a new host gets the port as its
// ansible_port; an existing one keeps what it has.
func (s *sourceSet) addHost(name, group string, port int64, hasPort bool, line int) error {
	if name == "" {
		return errorf(s.file, line, "invalid empty host name")
	}
	if err := model.ValidateName(name); err != nil {
		return errorf(s.file, line, "host %s: %v", quoteName(name), err)
	}
	h := s.inv.Host(name)
	if h == nil {
		h = s.inv.AddHost(name)
		h.Source = s.where(line)
		if hasPort && port != 0 {
			h.Vars.Set("ansible_port", port)
			setVarSource(&h.VarSources, "ansible_port", s.where(line))
		}
	}
	if group == "" {
		return nil
	}
	s.addMember(group, name)
	return nil
}

// addMember adds an existing host to an existing group.
func (s *sourceSet) addMember(group, host string) {
	if s.members == nil {
		s.members = memberSets{}
	}
	s.members.add(s.inv, group, host)
}

// addChild is InventoryData.add_child: child may name a group or, oddly, a
// host, which then joins the group.
func (s *sourceSet) addChild(group string, child any, line int) error {
	name, _ := pycompat.Text(child)
	switch {
	case s.inv.Group(name) != nil:
		if err := s.inv.AddChild(group, name); err != nil {
			return errorf(s.file, line, "%v", err)
		}
	case s.inv.Host(name) != nil:
		s.addMember(group, name)
	default:
		return errorf(s.file, line, "%s is not a known host nor group", pycompat.Str(child))
	}
	return nil
}

// setVar is InventoryData.set_variable: the name is looked up among groups
// first, so a host var for a host named like a group lands on the group;
// on a group, ansible_group_priority sets the priority instead of a var.
func (s *sourceSet) setVar(entity string, key, val any, line int) error {
	k, err := pycompat.KeyString(key)
	if err != nil {
		return errorf(s.file, line, "%v", err)
	}
	if g := s.inv.Group(entity); g != nil && k == model.PriorityVar {
		if _, isStr := pycompat.Text(key); isStr {
			n, err := pintOf(val)
			if err != nil {
				return errorf(s.file, line, "ansible_group_priority: %v", err)
			}
			g.Priority = n
			return nil
		}
	}
	v, err := s.conv.Value(val)
	if err != nil {
		return errorf(s.file, line, "%s: %v", k, err)
	}
	if err := checkSize(s.file, line, k, v); err != nil {
		return err
	}
	if g := s.inv.Group(entity); g != nil {
		g.Vars.Set(k, v)
		setVarSource(&g.VarSources, k, s.where(line))
		return nil
	}
	h := s.inv.Host(entity)
	if h == nil {
		return errorf(s.file, line, "could not identify group or host named %s", entity)
	}
	h.Vars.Set(k, v)
	setVarSource(&h.VarSources, k, s.where(line))
	return nil
}

func setVarSource(m *map[string]string, key, where string) {
	if *m == nil {
		*m = map[string]string{}
	}
	(*m)[key] = where
}

// pintOf is Python's int(v), which Group.set_variable applies to
// ansible_group_priority.
func pintOf(v any) (int, error) {
	var n *big.Int
	switch v := v.(type) {
	case bool:
		if v {
			return 1, nil
		}
		return 0, nil
	case int64:
		n = big.NewInt(v)
	case *big.Int:
		n = v
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return 0, fmt.Errorf("cannot convert float %s to integer", pycompat.FloatRepr(v))
		}
		n, _ = new(big.Float).SetFloat64(math.Trunc(v)).Int(nil)
	case string, pycompat.Unsafe:
		s, _ := pycompat.Text(v)
		t := strings.TrimSpace(s)
		// int() allows single underscores between digits.
		if strings.Contains(t, "_") {
			u := strings.TrimLeft(t, "+-")
			if strings.HasPrefix(u, "_") || strings.HasSuffix(u, "_") || strings.Contains(u, "__") {
				return 0, fmt.Errorf("invalid literal for int() with base 10: %q", s)
			}
			t = strings.ReplaceAll(t, "_", "")
		}
		var err error
		if n, err = pycompat.ParseInt(t, 10); err != nil {
			return 0, fmt.Errorf("invalid literal for int() with base 10: %q", s)
		}
	default:
		return 0, fmt.Errorf("int() argument must be a string, a bytes-like object or a real number, not '%s'", pycompat.TypeName(v))
	}
	if !n.IsInt64() || n.Int64() > math.MaxInt || n.Int64() < math.MinInt {
		return 0, errors.New("priority out of range")
	}
	return int(n.Int64()), nil
}
