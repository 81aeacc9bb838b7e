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

// Converter turns Python objects into model values. Aliases let a small
// document describe a huge value (the "billion laughs"), so it spends a
// budget of values and fails when that runs out.
type Converter struct {
	budget  int
	onStack map[any]bool
}

// errPTooLarge is returned when a document expands past the value budget.
var errPTooLarge = errors.New("document expands to too many values (alias bomb?)")

// baseBudget is how many values any one document may expand to, on top of
// a few per byte of source, before kook calls it an alias bomb.
const baseBudget = 1 << 20

// NewConverter returns a Converter for the objects loaded from data, with
// a value budget for data's size: without aliases a document cannot hold
// more values than it has bytes.
func NewConverter(data []byte) *Converter {
	return &Converter{budget: baseBudget + 4*len(data), onStack: map[any]bool{}}
}

func (c *Converter) spend(n int) error {
	c.budget -= n
	if c.budget < 0 {
		return errPTooLarge
	}
	return nil
}

// errUnrepresentable is wrapped by the errors for values that Python holds
// but ansible-inventory cannot print, and model.Value cannot hold.
var errUnrepresentable = errors.New("cannot be represented in JSON (ansible-inventory fails on it too)")

// maxIntDigits is Python's sys.get_int_max_str_digits(): int() and
// literals of longer decimal ints are errors, and json.dumps fails on them.
const maxIntDigits = 4300

// Value converts v, whether a loader or literal_eval made it: tuples become
// lists, and dict keys the strings Python's json module writes for them. It
// fails where ansible-inventory's JSON output fails (sets, bytes, complex
// numbers, ints of more than 4300 digits, recursive values), naming what.
func (c *Converter) Value(v any) (model.Value, error) {
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
		if len(strings.TrimPrefix(v.String(), "-")) > maxIntDigits {
			return nil, fmt.Errorf("an int of more than %d digits %w", maxIntDigits, errUnrepresentable)
		}
		return v, nil
	case Unsafe:
		return model.Map{{Key: UnsafeKey, Value: string(v)}}, nil
	case pdate:
		return v.iso, nil
	case tuple:
		return c.Value(&List{Items: v})
	case *List:
		if c.onStack[v] {
			return nil, errors.New("recursive value (an alias inside its own anchor)")
		}
		c.onStack[v] = true
		defer delete(c.onStack, v)
		out := make([]model.Value, 0, len(v.Items))
		for _, x := range v.Items {
			y, err := c.Value(x)
			if err != nil {
				return nil, err
			}
			out = append(out, y)
		}
		return out, nil
	case *Dict:
		if c.onStack[v] {
			return nil, errors.New("recursive value (an alias inside its own anchor)")
		}
		c.onStack[v] = true
		defer delete(c.onStack, v)
		out := make(model.Map, 0, len(v.Keys))
		pos := make(map[string]int, len(v.Keys))
		for i, k := range v.Keys {
			ks, err := KeyString(k)
			if err != nil {
				return nil, err
			}
			y, err := c.Value(v.Vals[i])
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
	return nil, fmt.Errorf("a %s value %w", TypeName(v), errUnrepresentable)
}

// KeyString is the JSON object key Python's json module writes for a dict
// key; it refuses the types json.dumps refuses.
func KeyString(k any) (string, error) {
	switch k := k.(type) {
	case string:
		return k, nil
	case Unsafe:
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
	return "", fmt.Errorf("a dict key of type %s (%s) %w", TypeName(k), Str(k), errUnrepresentable)
}

// pwrapUnsafe is Ansible's wrap_var: a copy of v, as it is at this moment,
// with every string (keys included) made unsafe.
func pwrapUnsafe(v any, c *Converter) (any, error) {
	if err := c.spend(1); err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case string:
		return Unsafe(v), nil
	case pbytes:
		return Unsafe(string(v)), nil
	case model.Vault:
		return nil, errors.New("a !vault value inside !unsafe is not supported")
	case *List:
		if c.onStack[v] {
			return nil, errors.New("recursive value (an alias inside its own anchor)")
		}
		c.onStack[v] = true
		defer delete(c.onStack, v)
		out := &List{Items: make([]any, 0, len(v.Items)), Line: v.Line}
		for _, x := range v.Items {
			y, err := pwrapUnsafe(x, c)
			if err != nil {
				return nil, err
			}
			out.Items = append(out.Items, y)
		}
		return out, nil
	case *Dict:
		if c.onStack[v] {
			return nil, errors.New("recursive value (an alias inside its own anchor)")
		}
		c.onStack[v] = true
		defer delete(c.onStack, v)
		out := NewDict(v.Line)
		for i, k := range v.Keys {
			wk, err := pwrapUnsafe(k, c)
			if err != nil {
				return nil, err
			}
			wv, err := pwrapUnsafe(v.Vals[i], c)
			if err != nil {
				return nil, err
			}
			if err := out.Set(wk, wv, v.KeyLines[i], v.ValLines[i]); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return v, nil
}
