package model_test

import (
	"math"
	"math/big"
	"strings"
	"testing"

	"github.com/kook-project/kook/internal/invtest"
	"github.com/kook-project/kook/model"
)

// Expected strings are Python 3.11's repr() of the same floats, which is
// what json.dumps (and so ansible-inventory) prints.
func TestFormatFloat(t *testing.T) {
	negZero := math.Copysign(0, -1)
	tests := []struct {
		f    float64
		want string
	}{
		{0.0, "0.0"}, {negZero, "-0.0"}, {1.0, "1.0"}, {1500.0, "1500.0"}, {1.5, "1.5"}, {0.1, "0.1"},
		{1e+16, "1e+16"}, {1000000000000000.0, "1000000000000000.0"},
		{1.2345678901234568e+17, "1.2345678901234568e+17"}, {0.0001, "0.0001"}, {1e-05, "1e-05"},
		{0.00012345, "0.00012345"}, {1.5e-07, "1.5e-07"}, {2.5e+300, "2.5e+300"}, {-3.25, "-3.25"},
		{1.0 / 3, "0.3333333333333333"}, {100.0, "100.0"}, {1e+22, "1e+22"}, {5e-324, "5e-324"},
		{1.7976931348623157e+308, "1.7976931348623157e+308"}, {9999999999999998.0, "9999999999999998.0"},
		{12345.678, "12345.678"},
	}
	for _, tt := range tests {
		if got := model.FormatFloat(tt.f); got != tt.want {
			t.Errorf("FormatFloat(%v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestJSONRoundTrip(t *testing.T) {
	vals := invtest.TypedValues()
	data := model.MarshalJSON(vals)
	got, err := model.UnmarshalJSON(data)
	if err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	if !model.EqualOrdered(got, vals) {
		t.Fatalf("round trip changed the value:\n got %#v\nwant %#v", got, vals)
	}
}

func TestUnmarshalJSON(t *testing.T) {
	huge, _ := new(big.Int).SetString("99999999999999999999", 10)
	tests := []struct {
		in      string
		want    model.Value
		wantErr string
	}{
		{in: `1`, want: int64(1)},
		{in: `1.0`, want: 1.0},
		{in: `1e3`, want: 1000.0},
		{in: `-0`, want: int64(0)},
		{in: `99999999999999999999`, want: huge},
		{in: `"a\u00e9\ud83d\ude00\n"`, want: "aé😀\n"},
		{in: `{"b":1,"a":2,"b":3}`, want: model.Map{{Key: "b", Value: int64(3)}, {Key: "a", Value: int64(2)}}},
		{in: `{"__ansible_vault":"c"}`, want: model.Vault("c")},
		{in: `{"__ansible_vault":"c","x":1}`, want: model.Map{{Key: "__ansible_vault", Value: "c"}, {Key: "x", Value: int64(1)}}},
		{in: ` [ null , true , false , [] , {} ] `, want: []model.Value{nil, true, false, []model.Value{}, model.Map{}}},
		{in: `Infinity`, want: math.Inf(1)},
		{in: `-Infinity`, want: math.Inf(-1)},
		{in: `{"a":1,}`, wantErr: "expected object key"},
		{in: `[1 2]`, wantErr: "expected ',' or ']'"},
		{in: `"abc`, wantErr: "unterminated"},
		{in: `{} x`, wantErr: "after JSON value"},
		{in: strings.Repeat("[", 20000), wantErr: "too deep"},
	}
	for _, tt := range tests {
		got, err := model.UnmarshalJSON([]byte(tt.in))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("UnmarshalJSON(%.40q): error %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !model.EqualOrdered(got, tt.want) {
			t.Errorf("UnmarshalJSON(%q) = %#v, %v; want %#v", tt.in, got, err, tt.want)
		}
	}
}

// AppendJSON with sortKeys matches json.dumps(sort_keys=True,
// separators=(",", ":")) byte for byte, as checked with python3.
func TestAppendJSONSorted(t *testing.T) {
	v := model.Map{{Key: "b", Value: 1.5}, {Key: "a", Value: []model.Value{int64(1), "x\"y", nil}}, {Key: "c", Value: model.Map{{Key: "z", Value: true}, {Key: "y", Value: 1e16}}}}
	// python3 -c 'import json; print(json.dumps({"b":1.5,"a":[1,"x\"y",None],"c":{"z":True,"y":1e16}}, sort_keys=True, separators=(",",":")))'
	want := `{"a":[1,"x\"y",null],"b":1.5,"c":{"y":1e+16,"z":true}}`
	if got := string(model.AppendJSON(nil, v, true)); got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

// Stored JSON must give back exactly what was stored, including dicts that
// Ansible's own JSON would read as something else.
func TestStoredRoundTrip(t *testing.T) {
	tricky := []model.Value{
		model.Map{{Key: "__ansible_vault", Value: "not a vault"}},
		model.Map{{Key: "__kook_map", Value: model.Map{{Key: "__ansible_vault", Value: "x"}}}},
		model.Map{{Key: "__kook_map", Value: int64(1)}},
		model.Map{{Key: "__ansible_vault", Value: int64(1)}},
		model.Vault("real ciphertext"),
		[]model.Value{model.Map{{Key: "__ansible_vault", Value: "in a list"}}, model.Vault("v")},
		invtest.TypedValues(),
	}
	for _, v := range tricky {
		data := model.AppendStored(nil, v)
		got, err := model.UnmarshalStored(data)
		if err != nil || !model.EqualOrdered(got, v) {
			t.Errorf("%s: got %#v, %v; want %#v", data, got, err, v)
		}
	}
	// Ansible-facing JSON keeps Ansible's form.
	if got := string(model.MarshalJSON(model.Map{{Key: "__ansible_vault", Value: "x"}})); got != `{"__ansible_vault":"x"}` {
		t.Errorf("MarshalJSON escaped a dict: %s", got)
	}
}

// Python keeps bytes it cannot decode as lone surrogates; json.dumps writes
// them as \udXXX escapes (checked: python3 -c 'import json;
// print(json.dumps(b"caf\xe9".decode("utf-8","surrogateescape")))' prints
// "caf\udce9"). kook holds them as WTF-8 and must write the same escape.
func TestLoneSurrogates(t *testing.T) {
	wtf8 := "caf\xed\xb3\xa9" // U+DCE9 as WTF-8
	if got := string(model.MarshalJSON(wtf8)); got != `"caf\udce9"` {
		t.Fatalf("MarshalJSON = %s", got)
	}
	back, err := model.UnmarshalJSON([]byte(`"caf\udce9"`))
	if err != nil || back != wtf8 {
		t.Fatalf("UnmarshalJSON = %q, %v", back, err)
	}
	if got := string(model.MarshalJSON("bad \xff byte")); got != `"bad \ufffd byte"` {
		t.Fatalf("invalid byte: %s", got)
	}
}
