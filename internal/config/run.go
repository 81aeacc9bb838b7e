package config

import (
	"context"
	"fmt"
	"io"

	"github.com/alecthomas/kong"
)

// Command is a command line kong parses into, and runs.
type Command interface {
	Run(ctx context.Context) error
}

// exit is how kong's Exit (after --help) unwinds to Run.
type exit int

// Run parses args into cli and runs it, printing any error on stderr as one
// line "name: error", and returns the exit status: 0 ok, 2 for a usage
// error (kong's parse errors, which it would exit 80 for, and UsageError),
// 1 for any other failure.
func Run(ctx context.Context, name, description string, cli Command, args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		switch r := recover().(type) {
		case nil:
		case exit:
			code = int(r)
		default:
			panic(r)
		}
	}()
	opts := append(KongOptions(), kong.Name(name), kong.Description(description), kong.Writers(stdout, stderr),
		kong.Exit(func(c int) { panic(exit(c)) }), kong.BindTo(ctx, (*context.Context)(nil)))
	parser, err := kong.New(cli, opts...)
	if err != nil {
		panic(err)
	}
	if _, err := parser.Parse(args); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return 2
	}
	if err := cli.Run(ctx); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", name, err)
		return ExitCode(err)
	}
	return 0
}
