package model

import (
	"errors"
	"fmt"
	"math/big"
	"sort"
)

// A Value is one typed Ansible variable value. It is always one of:
//
//	nil                  YAML null, Python None
//	bool
//	int64                any integer that fits
//	*big.Int             an integer that does not (Python ints are unbounded)
//	float64              kept distinct from int64: 1500.0 stays a float
//	string
//	[]Value              lists (and Python tuples)
//	Map                  dicts, keys in insertion order
//	Vault                inline-encrypted ciphertext, kept opaque
//
// Ansible users loop over dicts (with_dict, dict2items) and get them in source
// order, so Map keeps order rather than using a Go map.
type Value = any

// Vault is an inline-vaulted string ("!vault |" in YAML). kook never decrypts
// it; it is stored and emitted as {"__ansible_vault": ciphertext}, which is how
// Ansible itself serializes it.
type Vault string

// Entry is one key and value of a Map.
type Entry struct {
	Key   string
	Value Value
}

// Map is an ordered mapping from string keys to values. The zero value is an
// empty map ready to use. Keys are unique; Set on an existing key replaces the
// value in place, as Python's dict does.
type Map []Entry

// Get returns the value stored under key and whether it was there.
func (m Map) Get(key string) (Value, bool) {
	for i := range m {
		if m[i].Key == key {
			return m[i].Value, true
		}
	}
	return nil, false
}

// Has reports whether key is set.
func (m Map) Has(key string) bool {
	_, ok := m.Get(key)
	return ok
}

// Set sets key to v, keeping the key's position if it is already present.
func (m *Map) Set(key string, v Value) {
	for i := range *m {
		if (*m)[i].Key == key {
			(*m)[i].Value = v
			return
		}
	}
	*m = append(*m, Entry{key, v})
}

// Delete removes key and reports whether it was present.
func (m *Map) Delete(key string) bool {
	for i := range *m {
		if (*m)[i].Key == key {
			*m = append((*m)[:i:i], (*m)[i+1:]...)
			return true
		}
	}
	return false
}

// Keys returns the keys in order.
func (m Map) Keys() []string {
	keys := make([]string, len(m))
	for i, e := range m {
		keys[i] = e.Key
	}
	return keys
}

// SortedKeys returns the keys in byte order.
func (m Map) SortedKeys() []string {
	keys := m.Keys()
	sort.Strings(keys)
	return keys
}

// Update sets every key of other in m, in other's order: Python's dict.update,
// which is also Ansible's default (non-recursive) combine_vars.
func (m *Map) Update(other Map) {
	for _, e := range other {
		m.Set(e.Key, e.Value)
	}
}

// Clone returns a deep copy of m.
func (m Map) Clone() Map {
	if m == nil {
		return nil
	}
	c := make(Map, len(m))
	for i, e := range m {
		c[i] = Entry{e.Key, CloneValue(e.Value)}
	}
	return c
}

// CloneValue returns a deep copy of v.
func CloneValue(v Value) Value {
	switch v := v.(type) {
	case []Value:
		c := make([]Value, len(v))
		for i := range v {
			c[i] = CloneValue(v[i])
		}
		return c
	case Map:
		return v.Clone()
	case *big.Int:
		return new(big.Int).Set(v)
	}
	return v
}

// Equal reports whether a and b are the same value of the same type. Unlike
// Python, 1 and 1.0 are different here: kook must keep types exact. Map
// comparison ignores key order (Ansible's outputs sort keys), but see
// EqualOrdered.
func Equal(a, b Value) bool { return equal(a, b, false) }

// EqualOrdered is Equal, except that maps must also list their keys in the same
// order.
func EqualOrdered(a, b Value) bool { return equal(a, b, true) }

func equal(a, b Value, ordered bool) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case bool, int64, string, Vault:
		return a == b
	case float64:
		bf, ok := b.(float64)
		return ok && (a == bf || (a != a && bf != bf)) // NaN equals NaN here
	case *big.Int:
		bi, ok := b.(*big.Int)
		return ok && a.Cmp(bi) == 0
	case []Value:
		bl, ok := b.([]Value)
		if !ok || len(a) != len(bl) {
			return false
		}
		for i := range a {
			if !equal(a[i], bl[i], ordered) {
				return false
			}
		}
		return true
	case Map:
		bm, ok := b.(Map)
		if !ok || len(a) != len(bm) {
			return false
		}
		for i, e := range a {
			if ordered {
				if bm[i].Key != e.Key || !equal(e.Value, bm[i].Value, ordered) {
					return false
				}
				continue
			}
			bv, ok := bm.Get(e.Key)
			if !ok || !equal(e.Value, bv, ordered) {
				return false
			}
		}
		return true
	}
	return false
}

// CheckValue returns an error if v holds a Go type that is not a Value.
func CheckValue(v Value) error {
	switch v := v.(type) {
	case nil, bool, int64, *big.Int, float64, string, Vault:
		return nil
	case []Value:
		for _, x := range v {
			if err := CheckValue(x); err != nil {
				return err
			}
		}
		return nil
	case Map:
		for _, e := range v {
			if err := CheckValue(e.Value); err != nil {
				return fmt.Errorf("%s: %w", e.Key, err)
			}
		}
		return nil
	}
	return fmt.Errorf("unsupported value type %T", v)
}

// MarshalJSON implements json.Marshaler: the map as a JSON object, keys in
// order, values in Ansible's JSON forms (a Vault as {"__ansible_vault": ...}).
func (m Map) MarshalJSON() ([]byte, error) {
	if m == nil {
		return []byte("{}"), nil
	}
	return AppendJSON(nil, m, false), nil
}

// UnmarshalJSON implements json.Unmarshaler, keeping key order and types
// (1500.0 a float, 23-digit integers exact).
func (m *Map) UnmarshalJSON(data []byte) error {
	v, err := UnmarshalJSON(data)
	if err != nil {
		return err
	}
	mm, ok := v.(Map)
	if !ok {
		return errors.New("not a JSON object")
	}
	*m = mm
	return nil
}

// JSONSize returns about how many bytes v takes as JSON (AppendStored):
// exactly for most values, a little more or less for floats and invalid
// UTF-8. It stops counting once past limit, returning a number above it,
// so that checking a huge value against a bound costs the bound.
func JSONSize(v Value, limit int) int {
	n := 0
	var walk func(v Value)
	walk = func(v Value) {
		if n > limit {
			return
		}
		switch x := v.(type) {
		case nil:
			n += 4
		case bool:
			n += 5
		case int64:
			n += 20
		case *big.Int:
			n += len(x.String())
		case float64:
			n += 24
		case string:
			n += jsonStringSize(x)
		case Vault:
			n += 21 + jsonStringSize(string(x))
		case []Value:
			n += 2
			for _, e := range x {
				walk(e)
				n++
			}
		case Map:
			n += 2
			for _, e := range x {
				n += jsonStringSize(e.Key) + 2
				walk(e.Value)
			}
		}
	}
	walk(v)
	return n
}

func jsonStringSize(s string) int {
	n := 2 + len(s)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			n++
		case c < 0x20:
			n += 5
		}
	}
	return n
}
