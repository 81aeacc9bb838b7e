package web

import (
	"strings"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/internal/pycompat"
	"github.com/kook-project/kook/model"
)

// Edits as the API takes them: a JSON object per op, parsed with kook's
// own JSON codec so that values keep their types exactly.
//
//	{"op": "host.set", "host": "web-01", "vars": {"http_port": 8080}, "level": "file"}
//
// Ops: host.add {name, groups, vars}, host.rm {name}, host.set {host, vars,
// level}, host.unset {host, keys, level}, group.add {name, parents, vars},
// group.rm {name, force}, group.set {group, vars, level}, group.unset
// {group, keys, level}, group.add-host / group.rm-host {group, host},
// group.add-child / group.rm-child {parent, child}, group.priority {group,
// priority}. level is "auto" (default: where the var is set now),
// "inventory" or "file".

// parseOp turns one op object into a kook op.
func parseOp(v model.Value) (kook.Op, error) {
	m, ok := v.(model.Map)
	if !ok {
		return nil, badf("an op must be a JSON object")
	}
	f := opFields{m: m}
	name, _ := f.str("op")
	level, err := f.level()
	if err != nil {
		return nil, err
	}
	switch name {
	case "host.add":
		return kook.CreateHost{Name: f.must("name"), Groups: f.strs("groups"), Vars: f.vars("vars")}, f.err
	case "host.rm":
		return kook.DeleteHost{Name: f.must("name")}, f.err
	case "host.set":
		return kook.SetHostVars{Host: f.must("host"), Level: level, Vars: f.vars("vars")}, f.err
	case "host.unset":
		return kook.UnsetHostVars{Host: f.must("host"), Level: level, Keys: f.strs("keys")}, f.err
	case "group.add":
		return kook.CreateGroup{Name: f.must("name"), Parents: f.strs("parents"), Vars: f.vars("vars")}, f.err
	case "group.rm":
		force, _ := m.Get("force")
		return kook.DeleteGroup{Name: f.must("name"), Force: force == true}, f.err
	case "group.set":
		return kook.SetGroupVars{Group: f.must("group"), Level: level, Vars: f.vars("vars")}, f.err
	case "group.unset":
		return kook.UnsetGroupVars{Group: f.must("group"), Level: level, Keys: f.strs("keys")}, f.err
	case "group.add-host":
		return kook.AddMember{Group: f.must("group"), Host: f.must("host")}, f.err
	case "group.rm-host":
		return kook.RemoveMember{Group: f.must("group"), Host: f.must("host")}, f.err
	case "group.add-child":
		return kook.Attach{Parent: f.must("parent"), Child: f.must("child")}, f.err
	case "group.rm-child":
		return kook.Detach{Parent: f.must("parent"), Child: f.must("child")}, f.err
	case "group.priority":
		p, ok := m.Get("priority")
		n, isInt := p.(int64)
		if !ok || !isInt {
			return nil, badf("group.priority: priority must be an integer")
		}
		return kook.SetPriority{Group: f.must("group"), Priority: int(n)}, f.err
	}
	return nil, badf("unknown op %q", name)
}

type opFields struct {
	m   model.Map
	err error
}

func (f *opFields) str(key string) (string, bool) {
	v, ok := f.m.Get(key)
	s, isStr := v.(string)
	return s, ok && isStr
}

func (f *opFields) must(key string) string {
	s, ok := f.str(key)
	if (!ok || s == "") && f.err == nil {
		f.err = badf("field %q: want a non-empty string", key)
	}
	return s
}

func (f *opFields) strs(key string) []string {
	v, ok := f.m.Get(key)
	if !ok {
		return nil
	}
	list, isList := v.([]model.Value)
	var out []string
	for _, x := range list {
		s, isStr := x.(string)
		if !isStr {
			isList = false
			break
		}
		out = append(out, s)
	}
	if !isList && f.err == nil {
		f.err = badf("field %q: want a list of strings", key)
	}
	return out
}

func (f *opFields) vars(key string) model.Map {
	v, ok := f.m.Get(key)
	if !ok {
		return nil
	}
	m, isMap := v.(model.Map)
	if !isMap && f.err == nil {
		f.err = badf("field %q: want a JSON object", key)
	}
	return m
}

func (f *opFields) level() (model.VarLevel, error) {
	s, _ := f.str("level")
	return parseLevel(s)
}

func parseLevel(s string) (model.VarLevel, error) {
	switch s {
	case "", "auto":
		return model.LevelAuto, nil
	case "inventory":
		return model.LevelInventory, nil
	case "file":
		return model.LevelFile, nil
	}
	return 0, badf("level %q: want auto, inventory or file", s)
}

// formValue types a value typed in a form: as YAML 1.1 types VAR=VALUE on
// kook's command line, or as JSON.
func formValue(text, as string) (model.Value, error) {
	if as == "json" {
		v, err := model.UnmarshalJSON([]byte(text))
		if err != nil {
			return nil, badf("value: %v", err)
		}
		return v, nil
	}
	v, err := pycompat.ParseValue(text)
	if err != nil {
		return nil, badf("value: %v", err)
	}
	return v, nil
}

// formOps turns an edit form of a host or group page into ops.
func formOps(kind, name string, form func(string) string) ([]kook.Op, error) {
	level, err := parseLevel(form("level"))
	if err != nil {
		return nil, err
	}
	key := strings.TrimSpace(form("key"))
	other := strings.TrimSpace(form("name"))
	action := form("action")
	needKey := func() error {
		if key == "" {
			return badf("give a var name")
		}
		return nil
	}
	needOther := func() error {
		if other == "" {
			return badf("give a name")
		}
		return nil
	}
	var op kook.Op
	switch kind + "." + action {
	case "host.set", "group.set":
		if err := needKey(); err != nil {
			return nil, err
		}
		v, err := formValue(form("value"), form("as"))
		if err != nil {
			return nil, err
		}
		vars := model.Map{{Key: key, Value: v}}
		if kind == "host" {
			op = kook.SetHostVars{Host: name, Level: level, Vars: vars}
		} else {
			op = kook.SetGroupVars{Group: name, Level: level, Vars: vars}
		}
	case "host.unset":
		err, op = needKey(), kook.UnsetHostVars{Host: name, Level: level, Keys: []string{key}}
	case "group.unset":
		err, op = needKey(), kook.UnsetGroupVars{Group: name, Level: level, Keys: []string{key}}
	case "host.join":
		err, op = needOther(), kook.AddMember{Group: other, Host: name}
	case "host.leave":
		err, op = needOther(), kook.RemoveMember{Group: other, Host: name}
	case "group.add-host":
		err, op = needOther(), kook.AddMember{Group: name, Host: other}
	case "group.rm-host":
		err, op = needOther(), kook.RemoveMember{Group: name, Host: other}
	case "group.add-child":
		err, op = needOther(), kook.Attach{Parent: name, Child: other}
	case "group.rm-child":
		err, op = needOther(), kook.Detach{Parent: name, Child: other}
	case "group.add-parent":
		err, op = needOther(), kook.Attach{Parent: other, Child: name}
	case "group.rm-parent":
		err, op = needOther(), kook.Detach{Parent: other, Child: name}
	default:
		return nil, badf("unknown action %q", action)
	}
	if err != nil {
		return nil, err
	}
	return []kook.Op{op}, nil
}
