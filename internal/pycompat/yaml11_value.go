package pycompat

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/kook-project/kook/model"
)

// This file holds the Python objects that Ansible's loaders build, as kook
// mirrors them before turning them into model values. They matter because
// Ansible decides things on Python semantics: 1, 1.0 and true are the same
// dict key, a date is a valid key, an int is not a valid group name, and a
// string that is "unsafe" prints differently from one that is not.
//
// A Python object is one of: nil, bool, int64, *big.Int, float64, string,
// Unsafe, model.Vault, pdate, pbytes, *pset, *plist, *pdict.

// Dict is a Python dict: keys of any hashable type in insertion order, a
// repeated key keeping its first position and taking the last value.
type Dict struct {
	Keys     []any
	Vals     []any
	KeyLines []int // source line of each key, 0 if unknown
	ValLines []int // source line of each value, 0 if unknown
	index    map[string]int
	Line     int
}

// List is a Python list (or tuple).
type List struct {
	Items []any
	Line  int
}

// Unsafe is Ansible's AnsibleUnsafeText (a "!unsafe" string). Ansible
// prints it as {"__ansible_unsafe": text}, and reads that form back.
type Unsafe string

// pdate is a YAML timestamp: a Python date or datetime.
type pdate struct {
	iso string // isoformat(), which is how Ansible's JSON prints it
	id  string // identity as a dict key (aware datetimes compare in UTC)
}

// pbytes is a "!!binary" value; JSON cannot hold it.
type pbytes []byte

// pset is a set ("!!set", {1, 2}); JSON cannot hold it.
type pset struct{}

// tuple is a Python tuple, which literal_eval makes: unlike a list, a valid
// dict key when its items are.
type tuple []any

// ellipsis is Python's Ellipsis (...); JSON cannot hold it.
type ellipsis struct{}

// UnsafeKey is the key under which Ansible serializes unsafe strings.
const UnsafeKey = "__ansible_unsafe"

// errPUnhashable is a mapping key Python cannot hash (a list or dict).
var errPUnhashable = errors.New("unhashable")

// pkeyID returns the identity of k as a Python dict key: keys with equal IDs
// are the same key (1 == 1.0 == True in Python).
func pkeyID(k any) (string, error) {
	switch k := k.(type) {
	case nil:
		return "N", nil
	case bool:
		if k {
			return "i1", nil
		}
		return "i0", nil
	case int64:
		return "i" + strconv.FormatInt(k, 10), nil
	case *big.Int:
		return "i" + k.String(), nil
	case float64:
		switch {
		case math.IsNaN(k):
			return "nan", nil
		case math.IsInf(k, 0) || k != math.Trunc(k):
			return "f" + strconv.FormatFloat(k, 'g', -1, 64), nil
		}
		n, _ := new(big.Float).SetFloat64(k).Int(nil)
		return "i" + n.String(), nil
	case string:
		return "s" + k, nil
	case Unsafe:
		return "s" + string(k), nil
	case pdate:
		return "d" + k.id, nil
	case pbytes:
		return "b" + string(k), nil
	case complex128:
		if imag(k) == 0 {
			return pkeyID(real(k)) // 1+0j == 1
		}
		re, _ := pkeyID(real(k))
		im, _ := pkeyID(imag(k))
		return "c" + re + "," + im, nil
	case ellipsis:
		return "E", nil
	case tuple:
		var b strings.Builder
		b.WriteString("t")
		for _, e := range k {
			id, err := pkeyID(e)
			if err != nil {
				return "", err
			}
			fmt.Fprintf(&b, "%d:%s", len(id), id)
		}
		return b.String(), nil
	}
	return "", fmt.Errorf("%w type: '%s'", errPUnhashable, TypeName(k))
}

func NewDict(line int) *Dict { return &Dict{Line: line} }

// smallDict is how many keys a dict holds before it gets an index; most
// dicts (a host's vars) are smaller, and a linear scan beats hashing there.
const smallDict = 8

// find returns the position of key k, or -1.
func (m *Dict) find(k any) (int, error) {
	s, isStr := Text(k)
	if m.index == nil && isStr {
		for i, x := range m.Keys {
			if xs, ok := Text(x); ok && xs == s {
				return i, nil
			}
		}
		return -1, nil
	}
	id, err := pkeyID(k)
	if err != nil {
		return -1, err
	}
	if m.index != nil {
		if i, ok := m.index[id]; ok {
			return i, nil
		}
		return -1, nil
	}
	for i, x := range m.Keys {
		if _, ok := Text(x); !ok {
			if xid, _ := pkeyID(x); xid == id {
				return i, nil
			}
		}
	}
	return -1, nil
}

// Set stores k: v as Python's dict assignment does.
func (m *Dict) Set(k, v any, kline, vline int) error {
	i, err := m.find(k)
	if err != nil {
		return err
	}
	if i >= 0 {
		m.Vals[i], m.ValLines[i] = v, vline
		return nil
	}
	m.Keys = append(m.Keys, k)
	m.Vals = append(m.Vals, v)
	m.KeyLines = append(m.KeyLines, kline)
	m.ValLines = append(m.ValLines, vline)
	switch {
	case m.index != nil:
		id, _ := pkeyID(k)
		m.index[id] = len(m.Keys) - 1
	case len(m.Keys) > smallDict:
		m.index = make(map[string]int, 2*len(m.Keys))
		for j, x := range m.Keys {
			id, _ := pkeyID(x)
			m.index[id] = j
		}
	}
	return nil
}

// Get looks up a string key.
func (m *Dict) Get(k string) (any, bool) {
	i, _ := m.find(k)
	if i < 0 {
		return nil, false
	}
	return m.Vals[i], true
}

// Has reports whether the string key k is set.
func (m *Dict) Has(k string) bool {
	_, ok := m.Get(k)
	return ok
}

// Pos returns the position of a string key, or -1.
func (m *Dict) Pos(k string) int {
	i, _ := m.find(k)
	return i
}

// Text returns v's text if it is a Python str.
func Text(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, true
	case Unsafe:
		return string(v), true
	}
	return "", false
}

// Truthy is Python's bool(v).
func Truthy(v any) bool {
	switch v := v.(type) {
	case nil:
		return false
	case bool:
		return v
	case int64:
		return v != 0
	case *big.Int:
		return v.Sign() != 0
	case float64:
		return v != 0
	case string:
		return v != ""
	case Unsafe:
		return v != ""
	case pbytes:
		return len(v) != 0
	case *List:
		return len(v.Items) != 0
	case *Dict:
		return len(v.Keys) != 0
	}
	return true
}

// TypeName names v's Python type for messages.
func TypeName(v any) string {
	switch v.(type) {
	case nil:
		return "NoneType"
	case bool:
		return "bool"
	case int64, *big.Int:
		return "int"
	case float64:
		return "float"
	case string, Unsafe:
		return "str"
	case model.Vault:
		return "AnsibleVaultEncryptedUnicode"
	case pdate:
		return "datetime"
	case pbytes:
		return "bytes"
	case *pset:
		return "set"
	case tuple:
		return "tuple"
	case complex128:
		return "complex"
	case ellipsis:
		return "ellipsis"
	case *List:
		return "list"
	case *Dict:
		return "dict"
	}
	return fmt.Sprintf("%T", v)
}

// Str is Python's str(v) for the scalars that appear in messages.
func Str(v any) string {
	switch v := v.(type) {
	case nil:
		return "None"
	case bool:
		if v {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(v, 10)
	case *big.Int:
		return v.String()
	case float64:
		return FloatRepr(v)
	case string:
		return v
	case Unsafe:
		return string(v)
	case model.Vault:
		return string(v)
	case pdate:
		return v.iso
	}
	return "<" + TypeName(v) + ">"
}

// FloatRepr is Python's repr(float), which json.dumps also uses.
func FloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return model.FormatFloat(f)
}
