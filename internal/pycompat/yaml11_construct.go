package pycompat

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/kook-project/kook/model"
)

// PyYAML's constructor (yaml/constructor.py SafeConstructor, with
// Ansible's AnsibleConstructor on top), mirrored step by step over yaml.v3
// nodes: construct_object with its cache and lazily filled containers,
// flatten_mapping for merge keys, and the tag constructors.

// construct is BaseConstructor.construct_object (never deep).
func (d *yamlDoc) construct(n *yaml.Node) (any, error) {
	n = yderef(n)
	// PyYAML caches every node; an unanchored scalar can only be built
	// again through a merge, and yields an equal immutable value then.
	cacheable := n.Kind != yaml.ScalarNode || n.Anchor != ""
	if v, ok := d.cache[n]; ok {
		return v, nil
	}
	if d.building[n] {
		return nil, d.errorf(n, "found unconstructable recursive node")
	}
	d.building[n] = true
	defer delete(d.building, n)
	if err := d.conv.spend(1); err != nil {
		return nil, d.errorf(n, "%v", err)
	}
	var v any
	var err error
	switch tag := d.tag(n); tag {
	case ytagMap, ytagPyDict:
		m := NewDict(n.Line)
		d.cache[n] = m
		d.queue = append(d.queue, func() error { return d.fillMap(m, n) })
		return m, nil
	case ytagSeq:
		l := &List{Line: n.Line}
		d.cache[n] = l
		d.queue = append(d.queue, func() error { return d.fillSeq(l, n) })
		return l, nil
	case ytagOmap, ytagPairs:
		l := &List{Line: n.Line}
		d.cache[n] = l
		d.queue = append(d.queue, func() error { return d.fillPairs(l, n, tag) })
		return l, nil
	case ytagSet:
		s := &pset{}
		d.cache[n] = s
		d.queue = append(d.queue, func() error { _, err := d.mapping(n); return err })
		return s, nil
	case ytagStr, ytagPyUnicode:
		v, err = d.scalar(n)
	case ytagNull:
		_, err = d.scalar(n)
	case ytagBool, ytagInt, ytagFloat, ytagTimestamp, ytagBinary:
		var s string
		if s, err = d.scalar(n); err == nil {
			if v, err = y11ConstructScalar(tag, s, n); err != nil {
				err = fmt.Errorf("cannot construct %s from %q: %w", strings.TrimPrefix(tag, ytagPrefix), s, err)
			}
		}
	case ytagUnsafe:
		v, err = d.unsafe(n)
	case ytagVault, ytagVaultEnc:
		var s string
		s, err = d.scalar(n)
		v = model.Vault(s)
	default:
		err = fmt.Errorf("could not determine a constructor for the tag %q", tag)
	}
	if err != nil {
		var ye *Error
		if errors.As(err, &ye) {
			return nil, err
		}
		return nil, d.errorf(n, "%v", err)
	}
	if cacheable {
		d.cache[n] = v
	}
	return v, nil
}

func y11ConstructScalar(tag, s string, n *yaml.Node) (any, error) {
	switch tag {
	case ytagBool:
		return constructBool(s)
	case ytagInt:
		return constructInt(s)
	case ytagFloat:
		return constructFloat(s)
	case ytagTimestamp:
		// PyYAML matches the node's own text here, not construct_scalar's.
		if n.Kind == yaml.ScalarNode {
			s = n.Value
		}
		return constructTimestamp(s)
	}
	return constructBinary(s)
}

// scalar is SafeConstructor.construct_scalar, which also reads a mapping
// holding a "=" (value) key.
func (d *yamlDoc) scalar(n *yaml.Node) (string, error) {
	n = yderef(n)
	switch n.Kind {
	case yaml.ScalarNode:
		return n.Value, nil
	case yaml.MappingNode:
		for _, p := range d.value(n).p { // node.value as it is now
			if d.tag(yderef(p[0])) == ytagValue {
				return d.scalar(p[1])
			}
		}
	}
	return "", fmt.Errorf("expected a scalar node, but found %s", ykindName(n))
}

// pairList is a mapping node's list of (key, value) nodes: PyYAML's
// node.value, a list object that flatten_mapping edits in place and
// replaces, and that merges hold on to.
type pairList struct {
	p [][2]*yaml.Node
}

// value returns node.value of a mapping node.
func (d *yamlDoc) value(n *yaml.Node) *pairList {
	if l, ok := d.values[n]; ok {
		return l
	}
	l := &pairList{p: make([][2]*yaml.Node, 0, len(n.Content)/2)}
	for i := 0; i+1 < len(n.Content); i += 2 {
		l.p = append(l.p, [2]*yaml.Node{n.Content[i], n.Content[i+1]})
	}
	d.values[n] = l
	return l
}

// flatten is SafeConstructor.flatten_mapping, step for step, so that even
// a mapping merging itself comes out as in PyYAML: merge keys ("<<") are
// deleted and the entries they merge put first, so the mapping's own keys
// win; of a list of merged mappings the earlier ones win.
func (d *yamlDoc) flatten(n *yaml.Node) error {
	var merge [][2]*yaml.Node
	for index := 0; index < len(d.value(n).p); {
		cur := d.value(n)
		k, v := yderef(cur.p[index][0]), yderef(cur.p[index][1])
		switch d.tag(k) {
		case ytagMerge:
			cur.p = append(cur.p[:index:index], cur.p[index+1:]...)
			switch v.Kind {
			case yaml.MappingNode:
				if err := d.flatten(v); err != nil {
					return err
				}
				merge = append(merge, d.value(v).p...)
			case yaml.SequenceNode:
				var subs []*pairList
				for _, s := range v.Content {
					s = yderef(s)
					if s.Kind != yaml.MappingNode {
						return d.errorf(s, "while constructing a mapping: expected a mapping for merging, but found %s", ykindName(s))
					}
					if err := d.flatten(s); err != nil {
						return err
					}
					subs = append(subs, d.value(s))
				}
				for j := len(subs) - 1; j >= 0; j-- {
					merge = append(merge, subs[j].p...)
				}
			default:
				return d.errorf(v, "while constructing a mapping: expected a mapping or list of mappings for merging, but found %s", ykindName(v))
			}
			if err := d.conv.spend(len(merge)); err != nil {
				return d.errorf(n, "%v", err)
			}
		case ytagValue:
			d.tags[k] = ytagStr // PyYAML retags the node itself
			index++
		default:
			index++
		}
	}
	if len(merge) > 0 {
		d.values[n] = &pairList{p: append(merge, d.value(n).p...)}
	}
	return nil
}

// mapping is AnsibleConstructor.construct_mapping: a new dict with the
// entries of the flattened node, a duplicate key keeping its first position
// and its last value (Ansible only warns).
func (d *yamlDoc) mapping(n *yaml.Node) (*Dict, error) {
	n = yderef(n)
	if n.Kind != yaml.MappingNode {
		return nil, d.errorf(n, "expected a mapping node, but found %s", ykindName(n))
	}
	if err := d.flatten(n); err != nil {
		return nil, err
	}
	m := NewDict(n.Line)
	for _, p := range d.value(n).p {
		kn, vn := yderef(p[0]), yderef(p[1])
		k, err := d.construct(kn)
		if err != nil {
			return nil, err
		}
		if _, err := pkeyID(k); err != nil {
			return nil, d.errorf(kn, "while constructing a mapping: found unacceptable key (%v)", err)
		}
		v, err := d.construct(vn)
		if err != nil {
			return nil, err
		}
		if err := m.Set(k, v, kn.Line, vn.Line); err != nil {
			return nil, d.errorf(kn, "%v", err)
		}
	}
	return m, nil
}

// fillMap completes a dict created earlier, as construct_yaml_map's
// generator does after its yield: the entries are built first, so an alias
// to the dict from inside sees it still empty.
func (d *yamlDoc) fillMap(m *Dict, n *yaml.Node) error {
	built, err := d.mapping(n)
	if err != nil {
		return err
	}
	*m = *built
	return nil
}

// sequence is SafeConstructor.construct_sequence.
func (d *yamlDoc) sequence(n *yaml.Node) ([]any, error) {
	n = yderef(n)
	if n.Kind != yaml.SequenceNode {
		return nil, d.errorf(n, "expected a sequence node, but found %s", ykindName(n))
	}
	items := make([]any, 0, len(n.Content))
	for _, c := range n.Content {
		v, err := d.construct(c)
		if err != nil {
			return nil, err
		}
		items = append(items, v)
	}
	return items, nil
}

func (d *yamlDoc) fillSeq(l *List, n *yaml.Node) error {
	items, err := d.sequence(n)
	l.Items = items
	return err
}

// fillPairs is construct_yaml_omap / construct_yaml_pairs: a list of
// (key, value) tuples, which JSON prints as two-element lists.
func (d *yamlDoc) fillPairs(l *List, n *yaml.Node, tag string) error {
	what := "an ordered map"
	if tag == ytagPairs {
		what = "pairs"
	}
	if n.Kind != yaml.SequenceNode {
		return d.errorf(n, "while constructing %s: expected a sequence, but found %s", what, ykindName(n))
	}
	for _, s := range n.Content {
		s = yderef(s)
		if s.Kind != yaml.MappingNode {
			return d.errorf(s, "while constructing %s: expected a mapping of length 1, but found %s", what, ykindName(s))
		}
		if len(s.Content) != 2 {
			return d.errorf(s, "while constructing %s: expected a single mapping item, but found %d items", what, len(s.Content)/2)
		}
		k, err := d.construct(s.Content[0])
		if err != nil {
			return err
		}
		v, err := d.construct(s.Content[1])
		if err != nil {
			return err
		}
		l.Items = append(l.Items, &List{Items: []any{k, v}, Line: s.Line})
	}
	return nil
}

// unsafe is AnsibleConstructor.construct_yaml_unsafe: the node built by the
// constructor for its kind (scalars always as strings), then wrap_var.
func (d *yamlDoc) unsafe(n *yaml.Node) (any, error) {
	var v any
	var err error
	switch n.Kind {
	case yaml.MappingNode:
		v, err = d.mapping(n)
	case yaml.SequenceNode:
		var items []any
		items, err = d.sequence(n)
		v = &List{Items: items, Line: n.Line}
	default:
		v, err = d.scalar(n)
	}
	if err != nil {
		return nil, err
	}
	return pwrapUnsafe(v, d.conv)
}
