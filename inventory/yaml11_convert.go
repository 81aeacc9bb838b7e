package inventory

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"

	"github.com/kook-project/kook/model"
)

// pconverter turns Python objects into model values. Aliases let a small
// document describe a huge value (the "billion laughs"), so it spends a
// budget of values and fails when that runs out.
type pconverter struct {
	budget  int
	onStack map[any]bool
}

// errPTooLarge is returned when a document expands past the value budget.
var errPTooLarge = errors.New("document expands to too many values (alias bomb?)")

func newPConverter(budget int) *pconverter {
	return &pconverter{budget: budget, onStack: map[any]bool{}}
}

func (c *pconverter) spend(n int) error {
	c.budget -= n
	if c.budget < 0 {
		return errPTooLarge
	}
	return nil
}

// value converts v. The error names what JSON cannot hold, as Ansible fails
// at the same place when it prints the inventory.
func (c *pconverter) value(v any) (model.Value, error) {
	if err := c.spend(1); err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case nil, bool, int64, float64, string, model.Vault:
		return v, nil
	case *big.Int:
		if v.IsInt64() {
			return v.Int64(), nil
		}
		return v, nil
	case punsafe:
		return model.Map{{Key: punsafeKey, Value: string(v)}}, nil
	case pdate:
		return v.iso, nil
	case pbytes:
		return nil, errors.New("a !!binary value cannot be represented in JSON")
	case *pset:
		return nil, errors.New("a !!set value cannot be represented in JSON")
	case *plist:
		if c.onStack[v] {
			return nil, errors.New("recursive value (an alias inside its own anchor)")
		}
		c.onStack[v] = true
		defer delete(c.onStack, v)
		out := make([]model.Value, 0, len(v.items))
		for _, x := range v.items {
			y, err := c.value(x)
			if err != nil {
				return nil, err
			}
			out = append(out, y)
		}
		return out, nil
	case *pdict:
		if c.onStack[v] {
			return nil, errors.New("recursive value (an alias inside its own anchor)")
		}
		c.onStack[v] = true
		defer delete(c.onStack, v)
		out := make(model.Map, 0, len(v.keys))
		pos := make(map[string]int, len(v.keys))
		for i, k := range v.keys {
			ks, err := pkeyString(k)
			if err != nil {
				return nil, err
			}
			y, err := c.value(v.vals[i])
			if err != nil {
				return nil, err
			}
			// Two Python keys can print as one JSON key (1 and "1"); a JSON
			// reader then keeps the first position and the last value.
			if j, ok := pos[ks]; ok {
				out[j].Value = y
				continue
			}
			pos[ks] = len(out)
			out = append(out, model.Entry{Key: ks, Value: y})
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported value of type %s", ptypeName(v))
}

// pkeyString is the JSON object key Python's json module writes for a dict
// key; it refuses the types json.dumps refuses.
func pkeyString(k any) (string, error) {
	switch k := k.(type) {
	case string:
		return k, nil
	case punsafe:
		return string(k), nil
	case bool:
		return strconv.FormatBool(k), nil
	case int64:
		return strconv.FormatInt(k, 10), nil
	case *big.Int:
		return k.String(), nil
	case float64:
		switch {
		case math.IsNaN(k):
			return "NaN", nil
		case math.IsInf(k, 1):
			return "Infinity", nil
		case math.IsInf(k, -1):
			return "-Infinity", nil
		}
		return model.FormatFloat(k), nil
	case nil:
		return "null", nil
	}
	return "", fmt.Errorf("a mapping key of type %s (%s) cannot be represented in JSON", ptypeName(k), pstr(k))
}

// pwrapUnsafe is Ansible's wrap_var: a copy of v, as it is at this moment,
// with every string (keys included) made unsafe.
func pwrapUnsafe(v any, c *pconverter) (any, error) {
	if err := c.spend(1); err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case string:
		return punsafe(v), nil
	case pbytes:
		return punsafe(string(v)), nil
	case model.Vault:
		return nil, errors.New("a !vault value inside !unsafe is not supported")
	case *plist:
		if c.onStack[v] {
			return nil, errors.New("recursive value (an alias inside its own anchor)")
		}
		c.onStack[v] = true
		defer delete(c.onStack, v)
		out := &plist{items: make([]any, 0, len(v.items)), line: v.line}
		for _, x := range v.items {
			y, err := pwrapUnsafe(x, c)
			if err != nil {
				return nil, err
			}
			out.items = append(out.items, y)
		}
		return out, nil
	case *pdict:
		if c.onStack[v] {
			return nil, errors.New("recursive value (an alias inside its own anchor)")
		}
		c.onStack[v] = true
		defer delete(c.onStack, v)
		out := newPDict(v.line)
		for i, k := range v.keys {
			wk, err := pwrapUnsafe(k, c)
			if err != nil {
				return nil, err
			}
			wv, err := pwrapUnsafe(v.vals[i], c)
			if err != nil {
				return nil, err
			}
			if err := out.set(wk, wv, v.klines[i], v.vlines[i]); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}
