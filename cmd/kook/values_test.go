package main

import (
	"testing"

	"github.com/kook-project/kook/model"
)

// VAR=VALUE is typed as YAML 1.1 types it, for host and group vars and for
// `kook config set` alike; --json takes JSON.
func TestParseAssignments(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		asJSON bool
		want   model.Map
		errIs  bool
	}{
		{name: "YAML11", args: []string{"on=yes", "port=8080", "quoted='8080'", "ratio=0.5", "list=[1, a]", "empty=", "off=off", "name=web"},
			want: model.Map{{Key: "on", Value: true}, {Key: "port", Value: int64(8080)}, {Key: "quoted", Value: "8080"},
				{Key: "ratio", Value: 0.5}, {Key: "list", Value: []model.Value{int64(1), "a"}}, {Key: "empty", Value: nil},
				{Key: "off", Value: false}, {Key: "name", Value: "web"}}},
		{name: "LastWins", args: []string{"a=1", "a=2"}, want: model.Map{{Key: "a", Value: int64(2)}}},
		{name: "JSON", args: []string{"on=\"yes\"", "l=[1]"}, asJSON: true,
			want: model.Map{{Key: "on", Value: "yes"}, {Key: "l", Value: []model.Value{int64(1)}}}},
		{name: "ErrNoEquals", args: []string{"on"}, errIs: true},
		{name: "ErrLineBreak", args: []string{"a=x\ny"}, errIs: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAssignments(tt.args, tt.asJSON)
			if tt.errIs {
				if err == nil {
					t.Fatalf("parseAssignments(%q) = %v, want an error", tt.args, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !model.EqualOrdered(got, tt.want) {
				t.Fatalf("parseAssignments(%q) = %s, want %s", tt.args, model.MarshalJSON(got), model.MarshalJSON(tt.want))
			}
		})
	}
}
