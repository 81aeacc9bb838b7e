package main

import (
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/kook-project/kook/export"
	"github.com/kook-project/kook/internal/pycompat"
	"github.com/kook-project/kook/model"
)

// parseValue types a VALUE from the command line: as YAML 1.1 types a
// mapping value (8080 int, "8080" string, yes bool, [1, 2] list, empty
// null), or as JSON with asJSON.
func parseValue(text string, asJSON bool) (model.Value, error) {
	if asJSON {
		v, err := model.UnmarshalJSON([]byte(text))
		if err != nil {
			return nil, fmt.Errorf("invalid JSON value %q: %w", text, err)
		}
		return v, nil
	}
	return pycompat.ParseValue(text)
}

// parseAssignments parses VAR=VALUE arguments, in order; a VAR given twice
// keeps its last value.
func parseAssignments(args []string, asJSON bool) (model.Map, error) {
	var m model.Map
	for _, a := range args {
		k, text, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			return nil, usagef("%q: want VAR=VALUE", a)
		}
		v, err := parseValue(text, asJSON)
		if err != nil {
			return nil, usageError{fmt.Errorf("%s: %w", k, err)}
		}
		m.Set(k, v)
	}
	return m, nil
}

// writeJSON writes v as one line of JSON, keys sorted as Ansible's outputs
// sort them.
func writeJSON(w io.Writer, v model.Value) error {
	_, err := w.Write(append(model.AppendJSON(nil, v, true), '\n'))
	return err
}

// writeYAML writes v as a YAML document.
func writeYAML(w io.Writer, v model.Value) error {
	data, err := export.MarshalYAML(v)
	if err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// absent is a CSV cell for a var a host does not have.
type absent struct{}

// writeCSV writes a header and rows; a string cell is written as is, an
// absent one empty, any other value as JSON.
func writeCSV(w io.Writer, header []string, rows [][]model.Value) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, row := range rows {
		rec := make([]string, len(row))
		for i, v := range row {
			switch v := v.(type) {
			case absent:
			case string:
				rec[i] = v
			default:
				rec[i] = string(model.MarshalJSON(v))
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// names converts a list of names to a Value.
func names(list []string) []model.Value {
	out := make([]model.Value, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// level maps --level to a model.VarLevel.
func level(s string) model.VarLevel {
	switch s {
	case "inventory":
		return model.LevelInventory
	case "file":
		return model.LevelFile
	}
	return model.LevelAuto
}
