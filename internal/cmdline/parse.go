// Package cmdline builds kook's command lines with kong: a parser made for
// the one command the arguments name, and shell completion scripts made
// from a command model.
package cmdline

import (
	"reflect"
	"slices"
	"strings"

	"github.com/alecthomas/kong"
)

// Parse parses args against cli, a pointer to a struct whose fields tagged
// cmd are the top-level commands and which embeds flags, a pointer to the
// struct of global flags.
//
// Building kong's parser reads the struct tags of every command and flag,
// which is about a third of kook's start (perf: kong.New 35% of `kook
// completion bash`), and each edit starts a process. So when args name a
// top-level command, the parser is built for that command alone. With no
// command, for help, for the commands named in whole (completion, which
// lists them all), or when that parse fails, it is built for the whole
// CLI, whose answer (an error, the help) is the one given.
func Parse(cli, flags any, args []string, opts []kong.Option, whole ...string) (*kong.Context, error) {
	if f, ok := command(cli, args, whole); ok {
		ptr := reflect.ValueOf(cli).Elem().FieldByIndex(f.Index).Addr().Interface()
		one := append(slices.Clip(opts), kong.DynamicCommand(name(f), f.Tag.Get("help"), "", ptr, string(f.Tag)))
		if parser, err := kong.New(flags, one...); err == nil {
			if kctx, err := parser.Parse(args); err == nil {
				return kctx, nil
			}
		}
	}
	parser, err := kong.New(cli, opts...)
	if err != nil {
		panic(err) // a mistake in the CLI's tags
	}
	return parser.Parse(args)
}

// Command returns the name of the top-level command of cli that Parse
// builds the parser for, if it builds it for one.
func Command(cli any, args []string, whole ...string) (string, bool) {
	f, ok := command(cli, args, whole)
	return name(f), ok
}

// command returns cli's field for the first argument that names a
// command, unless args ask for help or the command is one of whole.
func command(cli any, args []string, whole []string) (reflect.StructField, bool) {
	if slices.ContainsFunc(args, func(a string) bool { return a == "--help" || a == "-h" || a == "--" }) {
		return reflect.StructField{}, false
	}
	t := reflect.TypeOf(cli).Elem()
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if _, cmd := f.Tag.Lookup("cmd"); cmd && name(f) == a {
				return f, !slices.Contains(whole, a)
			}
		}
	}
	return reflect.StructField{}, false
}

// name is the name kong gives a command field (kook's are single words).
func name(f reflect.StructField) string {
	if n := f.Tag.Get("name"); n != "" {
		return n
	}
	return strings.ToLower(f.Name)
}
