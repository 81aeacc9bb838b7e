package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/kook-project/kook/jones"
	"github.com/kook-project/kook/model"
)

// This file wires `kook config`, Jones-style service configuration.

// ConfigCmd is `kook config`. ENV arguments are slash paths such as
// child1/sib; "/" is the root environment.
type ConfigCmd struct {
	Services ConfigServicesCmd `cmd:"" help:"List services as JSON."`
	Create   ConfigCreateCmd   `cmd:"" help:"Create a service, or an environment in one."`
	Delete   ConfigDeleteCmd   `cmd:"" help:"Delete an environment, or a whole service."`
	Envs     ConfigEnvsCmd     `cmd:"" help:"Print a service's environment tree as JSON."`
	Set      ConfigSetCmd      `cmd:"" help:"Set keys of an environment's config, or replace it with --json."`
	Unset    ConfigUnsetCmd    `cmd:"" help:"Remove keys from an environment's config."`
	Edit     ConfigEditCmd     `cmd:"" help:"Edit an environment's config in $EDITOR."`
	Show     ConfigShowCmd     `cmd:"" help:"Print an environment's own config, version and view as JSON."`
	Assoc    ConfigAssocCmd    `cmd:"" help:"Associate a host with an environment."`
	Unassoc  ConfigUnassocCmd  `cmd:"" help:"Remove a host's association (it then gets the root view)."`
	Assocs   ConfigAssocsCmd   `cmd:"" help:"Print a service's associations as JSON."`
	Get      ConfigGetCmd      `cmd:"" help:"Print the view a host sees as JSON."`
	Watch    ConfigWatchCmd    `cmd:"" help:"Print the view a host sees as JSON each time it changes, until interrupted."`
	Log      ConfigLogCmd      `cmd:"" help:"List a service's changes, newest first."`
	Diff     ConfigDiffCmd     `cmd:"" help:"Show what a change to a service did, or a run of them."`
	Revert   ConfigRevertCmd   `cmd:"" help:"Undo one change to a service, as a new change."`
}

// ReasonFlag is the flag of every command that changes configuration.
type ReasonFlag struct {
	Reason string `env:"KOOK_REASON" placeholder:"TEXT" help:"Why: kept in history with the change (kook config log)."`
}

// ConfigServicesCmd is `kook config services`.
type ConfigServicesCmd struct{}

// Run lists the services.
func (c *ConfigServicesCmd) Run(ctx context.Context, g *Globals) error {
	return withJones(ctx, g, func(s *jones.Store) error {
		svcs, err := s.Services(ctx)
		if err != nil {
			return err
		}
		list := make([]model.Value, len(svcs))
		for i, svc := range svcs {
			list[i] = svc
		}
		return g.printJSON(model.MarshalJSON(list))
	})
}

// ConfigCreateCmd is `kook config create SERVICE [ENV]`.
type ConfigCreateCmd struct {
	Service string `arg:"" help:"Service name."`
	Env     string `arg:"" optional:"" default:"/" help:"Environment to create; its parent must exist. Default: the root, which creates the service."`
	ReasonFlag
}

// Run creates the environment with an empty config.
func (c *ConfigCreateCmd) Run(ctx context.Context, g *Globals) error {
	return withJonesAs(ctx, g, c.Reason, func(s *jones.Store) error {
		return s.Create(ctx, c.Service, c.Env, nil)
	})
}

// ConfigDeleteCmd is `kook config delete SERVICE [ENV] [--force]`.
type ConfigDeleteCmd struct {
	Service string `arg:"" help:"Service name."`
	Env     string `arg:"" optional:"" default:"/" help:"Environment to delete. Default: the root, which deletes the service."`
	Force   bool   `help:"Also delete the environments below it, and move its hosts to its parent."`
	ReasonFlag
}

// Run deletes the environment and reports the hosts it moved on stderr.
func (c *ConfigDeleteCmd) Run(ctx context.Context, g *Globals) error {
	return withJonesAs(ctx, g, c.Reason, func(s *jones.Store) error {
		moved, err := s.Delete(ctx, c.Service, c.Env, c.Force)
		if len(moved) > 0 {
			fmt.Fprintf(os.Stderr, "moved %s to the parent environment\n", strings.Join(moved, ", "))
		}
		return err
	})
}

// ConfigEnvsCmd is `kook config envs SERVICE`.
type ConfigEnvsCmd struct {
	Service string `arg:"" help:"Service name."`
}

// Run prints the environment tree, e.g. {"child1":{"sib":{}}}.
func (c *ConfigEnvsCmd) Run(ctx context.Context, g *Globals) error {
	return withJones(ctx, g, func(s *jones.Store) error {
		tree, err := s.Envs(ctx, c.Service)
		if err != nil {
			return err
		}
		return g.printJSON(model.MarshalJSON(tree))
	})
}

// ConfigSetCmd is `kook config set SERVICE ENV KEY=VALUE...` or
// `kook config set SERVICE ENV --json FILE|- [--expect-version N]`.
type ConfigSetCmd struct {
	Service       string   `arg:"" help:"Service name."`
	Env           string   `arg:"" help:"Environment ('/' for the root)."`
	Assignments   []string `arg:"" optional:"" name:"key=value" help:"Keys to set. VALUE is typed as YAML 1.1 types it, as host and group vars are (8080 an int, yes a bool, [1, 2] a list, '8080' a string)."`
	JSON          string   `name:"json" placeholder:"FILE|-" help:"Replace the whole config with this JSON object (- reads stdin)."`
	ExpectVersion int32    `default:"-1" placeholder:"N" help:"With --json: refuse if the config is no longer at version N (see show)."`
	ReasonFlag
}

// Run sets the keys, or replaces the config.
func (c *ConfigSetCmd) Run(ctx context.Context, g *Globals) error {
	if (c.JSON == "") == (len(c.Assignments) == 0) {
		return fmt.Errorf("give either KEY=VALUE arguments or --json")
	}
	if c.JSON == "" && c.ExpectVersion >= 0 {
		return fmt.Errorf("--expect-version goes with --json")
	}
	var conf model.Map
	var err error
	if c.JSON != "" {
		data, err := readInput(c.JSON)
		if err != nil {
			return err
		}
		if conf, err = jones.ParseConfig(data); err != nil {
			return fmt.Errorf("%s: %w", c.JSON, err)
		}
	} else if conf, err = parseAssignments(c.Assignments, false); err != nil {
		return err
	}
	return withJonesAs(ctx, g, c.Reason, func(s *jones.Store) error {
		if c.JSON != "" {
			_, err = s.Replace(ctx, c.Service, c.Env, conf, c.ExpectVersion)
		} else {
			_, err = s.Set(ctx, c.Service, c.Env, conf)
		}
		return err
	})
}

// ConfigUnsetCmd is `kook config unset SERVICE ENV KEY...`.
type ConfigUnsetCmd struct {
	Service string   `arg:"" help:"Service name."`
	Env     string   `arg:"" help:"Environment ('/' for the root)."`
	Keys    []string `arg:"" name:"key" help:"Keys to remove; all must be set."`
	ReasonFlag
}

// Run removes the keys.
func (c *ConfigUnsetCmd) Run(ctx context.Context, g *Globals) error {
	return withJonesAs(ctx, g, c.Reason, func(s *jones.Store) error {
		_, err := s.Unset(ctx, c.Service, c.Env, c.Keys...)
		return err
	})
}

// ConfigEditCmd is `kook config edit SERVICE ENV`.
type ConfigEditCmd struct {
	Service string `arg:"" help:"Service name."`
	Env     string `arg:"" help:"Environment ('/' for the root)."`
	ReasonFlag
}

// Run opens the config in $VISUAL or $EDITOR (default vi) and saves it
// unless someone else saved meanwhile.
func (c *ConfigEditCmd) Run(ctx context.Context, g *Globals) error {
	return withJonesAs(ctx, g, c.Reason, func(s *jones.Store) error {
		_, err := s.Edit(ctx, c.Service, c.Env, runEditor)
		return err
	})
}

// runEditor lets the user edit text in a temporary file.
func runEditor(text []byte) ([]byte, error) {
	dir, err := os.MkdirTemp("", "kook-edit-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "config.json")
	if err := os.WriteFile(file, text, 0o600); err != nil {
		return nil, err
	}
	editor := os.Getenv("VISUAL")
	if editor == "" {
		editor = os.Getenv("EDITOR")
	}
	if editor == "" {
		editor = "vi"
	}
	// Through the shell, as git does, so EDITOR may carry arguments.
	cmd := exec.Command("/bin/sh", "-c", editor+` "$1"`, "editor", file)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s: %w", editor, err)
	}
	return os.ReadFile(file)
}

// ConfigShowCmd is `kook config show SERVICE ENV`.
type ConfigShowCmd struct {
	Service string `arg:"" help:"Service name."`
	Env     string `arg:"" help:"Environment ('/' for the root)."`
}

// Run prints {"service","env","version","config","view"}.
func (c *ConfigShowCmd) Run(ctx context.Context, g *Globals) error {
	return withJones(ctx, g, func(s *jones.Store) error {
		shown, err := s.Show(ctx, c.Service, c.Env)
		if err != nil {
			return err
		}
		b, _ := shown.MarshalJSON()
		return g.printJSON(b)
	})
}

// ConfigAssocCmd is `kook config assoc SERVICE HOST ENV`.
type ConfigAssocCmd struct {
	Service string `arg:"" help:"Service name."`
	Host    string `arg:"" help:"Host (its clients look themselves up by FQDN)."`
	Env     string `arg:"" help:"Environment ('/' for the root)."`
	ReasonFlag
}

// Run associates the host.
func (c *ConfigAssocCmd) Run(ctx context.Context, g *Globals) error {
	return withJonesAs(ctx, g, c.Reason, func(s *jones.Store) error {
		return s.Assoc(ctx, c.Service, c.Host, c.Env)
	})
}

// ConfigUnassocCmd is `kook config unassoc SERVICE HOST`.
type ConfigUnassocCmd struct {
	Service string `arg:"" help:"Service name."`
	Host    string `arg:"" help:"Host."`
	ReasonFlag
}

// Run removes the association.
func (c *ConfigUnassocCmd) Run(ctx context.Context, g *Globals) error {
	return withJonesAs(ctx, g, c.Reason, func(s *jones.Store) error {
		return s.Unassoc(ctx, c.Service, c.Host)
	})
}

// ConfigAssocsCmd is `kook config assocs SERVICE`.
type ConfigAssocsCmd struct {
	Service string `arg:"" help:"Service name."`
}

// Run prints {"host": "env"} sorted by host.
func (c *ConfigAssocsCmd) Run(ctx context.Context, g *Globals) error {
	return withJones(ctx, g, func(s *jones.Store) error {
		as, err := s.Assocs(ctx, c.Service)
		if err != nil {
			return err
		}
		b, _ := as.MarshalJSON()
		return g.printJSON(b)
	})
}

// ConfigGetCmd is `kook config get SERVICE [--host HOST]`.
type ConfigGetCmd struct {
	Service string `arg:"" help:"Service name."`
	Host    string `placeholder:"HOST" help:"Host to resolve (default: this machine's FQDN)."`
}

// Run prints the view the host sees.
func (c *ConfigGetCmd) Run(ctx context.Context, g *Globals) error {
	return withJones(ctx, g, func(s *jones.Store) error {
		view, _, err := s.ViewFor(ctx, c.Service, c.Host)
		if err != nil {
			return err
		}
		return g.printJSON(model.MarshalJSON(view))
	})
}

// ConfigWatchCmd is `kook config watch SERVICE [--host HOST]`.
type ConfigWatchCmd struct {
	Service string `arg:"" help:"Service name."`
	Host    string `placeholder:"HOST" help:"Host to resolve (default: this machine's FQDN)."`
}

// Run prints the view, one JSON line per change, until ctx is done.
func (c *ConfigWatchCmd) Run(ctx context.Context, g *Globals) error {
	return withJones(ctx, g, func(s *jones.Store) error {
		return s.Watch(ctx, c.Service, c.Host, func(_ string, view model.Map) error {
			return g.printJSON(model.MarshalJSON(view))
		})
	})
}

// withJones runs fn with a store on a fresh connection.
func withJones(ctx context.Context, g *Globals, fn func(*jones.Store) error) error {
	return withJonesAs(ctx, g, "", fn)
}

// withJonesAs is withJones for a change, recorded with reason.
func withJonesAs(ctx context.Context, g *Globals, reason string, fn func(*jones.Store) error) error {
	s, closeConn, err := g.dialJones(ctx, reason)
	if err != nil {
		return err
	}
	defer closeConn()
	return fn(s)
}

// printJSON writes one JSON document and a newline to stdout.
func (g *Globals) printJSON(b []byte) error {
	_, err := g.stdout.Write(append(b, '\n'))
	return err
}

// readInput reads a file, or stdin for "-".
func readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(os.Stdin)
	}
	return os.ReadFile(name)
}
