package export

import (
	"bytes"
	"errors"
	"fmt"
	"sort"

	"github.com/kook-project/kook/model"
)

// BackupVersion is the format version WriteBackup writes and ReadBackup
// reads, stored under BackupMarker.
const BackupVersion = 1

// BackupMarker is the first key of a backup's top-level object.
const BackupMarker = "kook_backup"

// WriteBackup returns inv as kook's full-fidelity JSON backup: every host
// and group in inventory order, membership and children in order, vars at
// each level in their key order with their exact types (int vs float, big
// ints, vaulted strings, dicts that look like them: model.AppendStored),
// priorities, provenance, the source each group file var came from
// (model.Group.FileVarRanks) and which hosts left 'ungrouped'
// (model.Host.LeftUngrouped). ReadBackup restores
// exactly that inventory (model.EqualInventories).
//
// The layout is one host or group per line, so that two backups diff well:
//
//	{"kook_backup":1,
//	"hosts":[
//	{"name":"web1","vars":{"http_port":80},"source":"hosts.ini:3"}],
//	"groups":[
//	{"name":"all","children":["ungrouped","web"]}, ...]}
func WriteBackup(inv *model.Inventory) []byte {
	buf := []byte(`{"` + BackupMarker + `":`)
	buf = fmt.Appendf(buf, "%d,\n\"hosts\":[", BackupVersion)
	for i, h := range inv.Hosts {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '\n')
		var extra model.Map
		if h.LeftUngrouped {
			extra = model.Map{{Key: "left_ungrouped", Value: true}}
		}
		buf = appendEntity(buf, h.Name, nil, nil, h.Vars, h.FileVars, nil, h.Source, h.VarSources, h.FileVarSources, extra)
	}
	buf = append(buf, "],\n\"groups\":["...)
	for i, g := range inv.Groups {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = append(buf, '\n')
		p := int64(g.Priority)
		var extra model.Map
		if len(g.FileVarRanks) > 0 {
			ranks := make(model.Map, 0, len(g.FileVarRanks))
			for k, r := range g.FileVarRanks {
				ranks = append(ranks, model.Entry{Key: k, Value: int64(r)})
			}
			sort.Slice(ranks, func(i, j int) bool { return ranks[i].Key < ranks[j].Key })
			extra = model.Map{{Key: "file_var_ranks", Value: ranks}}
		}
		buf = appendEntity(buf, g.Name, g.Hosts, g.Children, g.Vars, g.FileVars, &p, g.Source, g.VarSources, g.FileVarSources, extra)
	}
	return append(buf, "]}\n"...)
}

func appendEntity(buf []byte, name string, hosts, children []string, vars, fileVars model.Map, priority *int64,
	source string, varSources, fileVarSources map[string]string, extra model.Map) []byte {
	m := model.Map{{Key: "name", Value: name}}
	if hosts != nil || priority != nil {
		m.Set("hosts", valueStrings(hosts))
		m.Set("children", valueStrings(children))
	}
	if len(vars) > 0 {
		m.Set("vars", vars)
	}
	if len(fileVars) > 0 {
		m.Set("file_vars", fileVars)
	}
	if priority != nil && *priority != model.DefaultPriority {
		m.Set("priority", *priority)
	}
	if source != "" {
		m.Set("source", source)
	}
	if len(varSources) > 0 {
		m.Set("var_sources", sortedMap(varSources))
	}
	if len(fileVarSources) > 0 {
		m.Set("file_var_sources", sortedMap(fileVarSources))
	}
	m = append(m, extra...)
	return model.AppendStored(buf, m)
}

func valueStrings(list []string) []model.Value {
	out := make([]model.Value, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

func sortedMap(m map[string]string) model.Map {
	out := make(model.Map, 0, len(m))
	for k, v := range m {
		out = append(out, model.Entry{Key: k, Value: v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

// IsBackup reports whether data is a kook backup: a JSON object with
// BackupMarker among its keys.
func IsBackup(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	if !bytes.HasPrefix(data, []byte("{")) || !bytes.Contains(data, []byte(`"`+BackupMarker+`"`)) {
		return false
	}
	v, err := model.UnmarshalJSON(data)
	if err != nil {
		return false
	}
	m, ok := v.(model.Map)
	return ok && m.Has(BackupMarker)
}

// ReadBackup restores the inventory WriteBackup wrote. It fails on another
// format version, on malformed entries and on an inventory that does not
// pass model.Inventory.Validate.
func ReadBackup(data []byte) (*model.Inventory, error) {
	v, err := model.UnmarshalStored(data)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	top, ok := v.(model.Map)
	if !ok || !top.Has(BackupMarker) {
		return nil, errors.New("backup: not a kook backup (no " + BackupMarker + " key)")
	}
	if ver, _ := top.Get(BackupMarker); ver != int64(BackupVersion) {
		return nil, fmt.Errorf("backup: format version %s, this kook reads %d", model.MarshalJSON(ver), BackupVersion)
	}
	inv := &model.Inventory{}
	hosts, _ := top.Get("hosts")
	hl, ok := hosts.([]model.Value)
	if !ok {
		return nil, errors.New("backup: hosts is not a list")
	}
	for i, hv := range hl {
		e, err := readEntity(hv, false)
		if err != nil {
			return nil, fmt.Errorf("backup: host %d: %w", i, err)
		}
		if inv.Host(e.name) != nil {
			return nil, fmt.Errorf("backup: host %q: %w", e.name, model.ErrExists)
		}
		h := inv.AddHost(e.name)
		h.Vars, h.FileVars, h.LeftUngrouped = e.vars, e.fileVars, e.leftUngrouped
		h.Source, h.VarSources, h.FileVarSources = e.source, e.varSources, e.fileVarSources
	}
	groups, _ := top.Get("groups")
	gl, ok := groups.([]model.Value)
	if !ok {
		return nil, errors.New("backup: groups is not a list")
	}
	for i, gv := range gl {
		e, err := readEntity(gv, true)
		if err != nil {
			return nil, fmt.Errorf("backup: group %d: %w", i, err)
		}
		if inv.Group(e.name) != nil {
			return nil, fmt.Errorf("backup: group %q: %w", e.name, model.ErrExists)
		}
		g := inv.AddGroup(e.name)
		g.Hosts, g.Children, g.Priority = e.hosts, e.children, e.priority
		g.Vars, g.FileVars, g.FileVarRanks = e.vars, e.fileVars, e.fileVarRanks
		g.Source, g.VarSources, g.FileVarSources = e.source, e.varSources, e.fileVarSources
	}
	if err := inv.Validate(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return inv, nil
}

type backupEntity struct {
	name                       string
	hosts, children            []string
	vars, fileVars             model.Map
	priority                   int
	source                     string
	varSources, fileVarSources map[string]string
	leftUngrouped              bool           // hosts only
	fileVarRanks               map[string]int // groups only
}

func readEntity(v model.Value, isGroup bool) (backupEntity, error) {
	e := backupEntity{priority: model.DefaultPriority}
	m, ok := v.(model.Map)
	if !ok {
		return e, errors.New("not an object")
	}
	for _, f := range m {
		var err error
		switch f.Key {
		case "name":
			e.name, err = backupString(f.Value)
		case "vars":
			e.vars, err = backupMap(f.Value)
		case "file_vars":
			e.fileVars, err = backupMap(f.Value)
		case "source":
			e.source, err = backupString(f.Value)
		case "var_sources":
			e.varSources, err = backupStringMap(f.Value)
		case "file_var_sources":
			e.fileVarSources, err = backupStringMap(f.Value)
		case "left_ungrouped":
			if isGroup {
				err = errors.New("only hosts have it")
				break
			}
			var ok bool
			if e.leftUngrouped, ok = f.Value.(bool); !ok {
				err = errors.New("not a boolean")
			}
		case "file_var_ranks":
			if !isGroup {
				err = errors.New("only groups have it")
				break
			}
			e.fileVarRanks, err = backupRanks(f.Value)
		case "hosts", "children", "priority":
			if !isGroup {
				err = errors.New("only groups have it")
				break
			}
			switch f.Key {
			case "hosts":
				e.hosts, err = backupStrings(f.Value)
			case "children":
				e.children, err = backupStrings(f.Value)
			default:
				n, ok := f.Value.(int64)
				if !ok || int64(int(n)) != n {
					err = errors.New("not an integer")
				}
				e.priority = int(n)
			}
		default:
			err = errors.New("unknown key")
		}
		if err != nil {
			return e, fmt.Errorf("%s: %w", f.Key, err)
		}
	}
	if e.name == "" {
		return e, errors.New("no name")
	}
	return e, nil
}

func backupString(v model.Value) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", errors.New("not a string")
	}
	return s, nil
}

func backupMap(v model.Value) (model.Map, error) {
	m, ok := v.(model.Map)
	if !ok {
		return nil, errors.New("not an object")
	}
	return m, nil
}

func backupStrings(v model.Value) ([]string, error) {
	l, ok := v.([]model.Value)
	if !ok {
		return nil, errors.New("not a list")
	}
	out := make([]string, len(l))
	for i, x := range l {
		s, ok := x.(string)
		if !ok {
			return nil, errors.New("not a list of strings")
		}
		out[i] = s
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func backupRanks(v model.Value) (map[string]int, error) {
	m, ok := v.(model.Map)
	if !ok {
		return nil, errors.New("not an object")
	}
	out := make(map[string]int, len(m))
	for _, e := range m {
		n, ok := e.Value.(int64)
		if !ok || n < 1 || int64(int(n)) != n {
			return nil, errors.New("not an object of positive integers")
		}
		out[e.Key] = int(n)
	}
	return out, nil
}

func backupStringMap(v model.Value) (map[string]string, error) {
	m, ok := v.(model.Map)
	if !ok {
		return nil, errors.New("not an object")
	}
	out := make(map[string]string, len(m))
	for _, e := range m {
		s, ok := e.Value.(string)
		if !ok {
			return nil, errors.New("not an object of strings")
		}
		out[e.Key] = s
	}
	return out, nil
}
