package jones_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
)

// TestIntegration_Example is the example of the issue and Jones's README. Expected bytes
// from python3: d = {}; d.update(c) for each config root first;
// json.dumps(d, separators=(",", ":")).
func TestIntegration_Example(t *testing.T) {
	ctx := context.Background()
	s, conn := mustStore(t)
	mustCreate(t, s, "test", "/", `{"foo": "bar", "fiesasld": "value31"}`)
	mustCreate(t, s, "test", "child1", `{"field": "HAILSATAN"}`)
	mustCreate(t, s, "test", "child1/sib", `{"foo": "big"}`)

	for _, tt := range []struct{ path, want string }{
		{"/kook/services/test/conf", `{"foo":"bar","fiesasld":"value31"}`},
		{"/kook/services/test/conf/child1", `{"field":"HAILSATAN"}`},
		{"/kook/services/test/conf/child1/sib", `{"foo":"big"}`},
		{"/kook/services/test/views", `{"foo":"bar","fiesasld":"value31"}`},
		{"/kook/services/test/views/child1", `{"foo":"bar","fiesasld":"value31","field":"HAILSATAN"}`},
		{"/kook/services/test/views/child1/sib", `{"foo":"big","fiesasld":"value31","field":"HAILSATAN"}`},
		{"/kook/services/test/nodemaps", `{}`},
	} {
		if got := raw(t, conn, tt.path); got != tt.want {
			t.Errorf("%s = %s, want %s", tt.path, got, tt.want)
		}
	}

	view, env, err := s.ViewFor(ctx, "test", "example")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(model.MarshalJSON(view)), `{"foo":"bar","fiesasld":"value31"}`; got != want || env != "/" {
		t.Errorf("unassociated host sees %s of %q, want the root view %s", got, env, want)
	}
	if err := s.Assoc(ctx, "test", "example", "child1/sib"); err != nil {
		t.Fatal(err)
	}
	if got, want := raw(t, conn, "/kook/services/test/nodemaps"), `{"example":"/services/test/views/child1/sib"}`; got != want {
		t.Errorf("nodemaps = %s, want %s", got, want)
	}
	view, env, err = s.ViewFor(ctx, "test", "example")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(model.MarshalJSON(view)), `{"foo":"big","fiesasld":"value31","field":"HAILSATAN"}`; got != want || env != "child1/sib" {
		t.Errorf("example sees %s of %q, want %s of child1/sib", got, env, want)
	}

	// A change at the root reaches every view below it.
	if _, err := s.Set(ctx, "test", "", obj(t, `{"fiesasld": 32}`)); err != nil {
		t.Fatal(err)
	}
	if got, want := raw(t, conn, "/kook/services/test/views/child1/sib"), `{"foo":"big","fiesasld":32,"field":"HAILSATAN"}`; got != want {
		t.Errorf("after root change, child1/sib view = %s, want %s", got, want)
	}

	svcs, err := s.Services(ctx)
	if err != nil || !slices.Equal(svcs, []string{"test"}) {
		t.Errorf("Services = %q, %v; want [test]", svcs, err)
	}
	tree, err := s.Envs(ctx, "test")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(model.MarshalJSON(tree)), `{"child1":{"sib":{}}}`; got != want {
		t.Errorf("Envs = %s, want %s", got, want)
	}
}

// TestIntegration_TypesSurvive checks that ints, floats, big ints and key order are
// stored as written. Expected bytes from python3: json.dumps(json.loads(in),
// separators=(",", ":"), ensure_ascii=False).
func TestIntegration_TypesSurvive(t *testing.T) {
	ctx := context.Background()
	s, conn := mustStore(t)
	in := `{"i": 1, "f": 1.0, "big": 12345678901234567890, "e": 1e20, "neg": -0.0, "nested": {"b": 1, "a": [1, 2.5, null, true]}, "u": "\u00e9\u2603"}`
	want := `{"i":1,"f":1.0,"big":12345678901234567890,"e":1e+20,"neg":-0.0,"nested":{"b":1,"a":[1,2.5,null,true]},"u":"é☃"}`
	mustCreate(t, s, "svc", "", `{}`)
	mustCreate(t, s, "svc", "a", `{}`)
	v, err := s.Replace(ctx, "svc", "a", obj(t, in), -1)
	if err != nil {
		t.Fatal(err)
	}
	if v != 1 {
		t.Errorf("version after one replace = %d, want 1", v)
	}
	for _, p := range []string{"/kook/services/svc/conf/a", "/kook/services/svc/views/a"} {
		if got := raw(t, conn, p); got != want {
			t.Errorf("%s = %s, want %s", p, got, want)
		}
	}
	show, err := s.Show(ctx, "svc", "a")
	if err != nil {
		t.Fatal(err)
	}
	if !model.EqualOrdered(show.Config, obj(t, in)) || !model.EqualOrdered(show.View, obj(t, in)) || show.Version != 1 {
		t.Errorf("Show = %s", mustJSON(t, show))
	}
	if got, want := mustJSON(t, show), `{"service":"svc","env":"a","version":1,"config":`+want+`,"view":`+want+`}`; got != want {
		t.Errorf("Show JSON = %s, want %s", got, want)
	}
}

func mustJSON(t testing.TB, v interface{ MarshalJSON() ([]byte, error) }) string {
	t.Helper()
	b, err := v.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestIntegration_Errors(t *testing.T) {
	ctx := context.Background()
	s, _ := mustStore(t)
	mustCreate(t, s, "svc", "", `{"a": 1}`)
	mustCreate(t, s, "svc", "x", `{}`)
	tests := []struct {
		name    string
		do      func() error
		wantErr error
	}{
		{"CreateUnderMissingParent", func() error { return s.Create(ctx, "svc", "nope/child", nil) }, model.ErrNotFound},
		{"CreateInMissingService", func() error { return s.Create(ctx, "nosvc", "x", nil) }, model.ErrNotFound},
		{"CreateExistingEnv", func() error { return s.Create(ctx, "svc", "x", nil) }, model.ErrExists},
		{"CreateExistingService", func() error { return s.Create(ctx, "svc", "/", nil) }, model.ErrExists},
		{"SetMissingEnv", func() error { _, err := s.Set(ctx, "svc", "y", obj(t, `{"a":1}`)); return err }, model.ErrNotFound},
		{"UnsetMissingKey", func() error { _, err := s.Unset(ctx, "svc", "", "a", "zz"); return err }, model.ErrNotFound},
		{"StaleReplace", func() error { _, err := s.Replace(ctx, "svc", "x", obj(t, `{}`), 7); return err }, model.ErrConflict},
		{"AssocMissingEnv", func() error { return s.Assoc(ctx, "svc", "h", "y") }, model.ErrNotFound},
		{"UnassocMissingHost", func() error { return s.Unassoc(ctx, "svc", "h") }, model.ErrNotFound},
		{"ShowMissing", func() error { _, err := s.Show(ctx, "svc", "y"); return err }, model.ErrNotFound},
		{"EnvsMissingService", func() error { _, err := s.Envs(ctx, "nosvc"); return err }, model.ErrNotFound},
		{"ViewForMissingService", func() error { _, _, err := s.ViewFor(ctx, "nosvc", "h"); return err }, model.ErrNotFound},
		{"DeleteMissing", func() error { _, err := s.Delete(ctx, "svc", "y", true); return err }, model.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
	// Nothing above may have written: a's Unset failed as a whole.
	show, err := s.Show(ctx, "svc", "/")
	if err != nil {
		t.Fatal(err)
	}
	if got := string(model.MarshalJSON(show.Config)); got != `{"a":1}` || show.Version != 0 {
		t.Errorf("root config = %s at version %d, want {\"a\":1} at 0", got, show.Version)
	}

	bad := []struct{ name, svc, env string }{
		{"DotDot", "svc", "a/../b"},
		{"EmptyComponent", "svc", "a//b"},
		{"ServiceWithSlash", "a/b", ""},
		{"Control", "svc", "a\nb"},
	}
	for _, tt := range bad {
		t.Run("Invalid"+tt.name, func(t *testing.T) {
			if err := s.Create(ctx, tt.svc, tt.env, nil); err == nil || errors.Is(err, model.ErrNotFound) {
				t.Fatalf("Create(%q, %q) = %v, want a validation error", tt.svc, tt.env, err)
			}
		})
	}
}

func TestIntegration_ReplaceAndUnset(t *testing.T) {
	ctx := context.Background()
	s, conn := mustStore(t)
	mustCreate(t, s, "svc", "", `{"a": 1, "b": 2}`)
	mustCreate(t, s, "svc", "x", `{"c": 3}`)
	show, err := s.Show(ctx, "svc", "x")
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Replace(ctx, "svc", "x", obj(t, `{"d": 4}`), show.Version)
	if err != nil || v != show.Version+1 {
		t.Fatalf("Replace at the read version = %d, %v; want %d", v, err, show.Version+1)
	}
	// The edit read at the old version is now stale.
	if _, err := s.Replace(ctx, "svc", "x", obj(t, `{"e": 5}`), show.Version); !errors.Is(err, model.ErrConflict) {
		t.Fatalf("stale Replace: %v, want ErrConflict", err)
	}
	if _, err := s.Unset(ctx, "svc", "", "a"); err != nil {
		t.Fatal(err)
	}
	// From python3: d = {"b": 2}; d.update({"d": 4}).
	if got, want := raw(t, conn, "/kook/services/svc/views/x"), `{"b":2,"d":4}`; got != want {
		t.Errorf("view x = %s, want %s", got, want)
	}
	// Setting what is already there writes nothing.
	v1, _ := s.Set(ctx, "svc", "x", obj(t, `{"d": 4}`))
	if v1 != v {
		t.Errorf("no-op Set moved the version from %d to %d", v, v1)
	}
}

func TestParseConfigRejectsNonObjects(t *testing.T) {
	for _, in := range []string{`[]`, `"s"`, `1`, `null`, `{"a":1} x`, `{`} {
		if _, err := jones.ParseConfig([]byte(in)); err == nil {
			t.Errorf("ParseConfig(%s) accepted a non-object", in)
		}
	}
}

func TestIntegration_Edit(t *testing.T) {
	ctx := context.Background()
	s, conn := mustStore(t)
	mustCreate(t, s, "svc", "", `{"b": 1.0, "a": [1, "x"]}`)
	var shown string
	v, err := s.Edit(ctx, "svc", "/", func(text []byte) ([]byte, error) {
		shown = string(text)
		return []byte(`{"b": 2.5, "a": [1, "x"]}`), nil
	})
	if err != nil || v != 1 {
		t.Fatalf("Edit = %d, %v; want version 1", v, err)
	}
	// The text as python3 json.dumps(json.loads(...), indent=2) writes it.
	if want := "{\n  \"b\": 1.0,\n  \"a\": [\n    1,\n    \"x\"\n  ]\n}\n"; shown != want {
		t.Errorf("editor got %q, want %q", shown, want)
	}
	if got := raw(t, conn, "/kook/services/svc/views"); got != `{"b":2.5,"a":[1,"x"]}` {
		t.Errorf("view after edit = %s", got)
	}
	// Someone saves while the editor is open: the edit must not win.
	_, err = s.Edit(ctx, "svc", "/", func(text []byte) ([]byte, error) {
		if _, err := s.Set(ctx, "svc", "/", obj(t, `{"c": 3}`)); err != nil {
			t.Fatal(err)
		}
		return []byte(`{"b": 9}`), nil
	})
	if !errors.Is(err, model.ErrConflict) {
		t.Fatalf("edit over a concurrent save: %v, want ErrConflict", err)
	}
	if got := raw(t, conn, "/kook/services/svc/conf"); got != `{"b":2.5,"a":[1,"x"],"c":3}` {
		t.Errorf("config = %s, want the concurrent save kept", got)
	}
	if _, err := s.Edit(ctx, "svc", "/", func([]byte) ([]byte, error) { return []byte(`[1]`), nil }); err == nil {
		t.Error("an edit to a non-object was saved")
	}
}

// TestIntegration_Root checks roots as zkstore takes them: "" is /kook,
// "/" the top of the chroot.
func TestIntegration_Root(t *testing.T) {
	ctx := context.Background()
	conn := dial(t)
	for _, tc := range []struct{ root, svc, want string }{
		{"", "a", "/kook/services/a/conf"},
		{"/", "b", "/services/b/conf"},
		{"/other/", "c", "/other/services/c/conf"},
	} {
		if err := jones.NewStore(conn, tc.root).Create(ctx, tc.svc, "/", nil); err != nil {
			t.Fatal(err)
		}
		if !exists(t, conn, tc.want) {
			t.Errorf("root %q: no %s", tc.root, tc.want)
		}
	}
}
