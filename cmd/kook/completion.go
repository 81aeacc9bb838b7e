package main

import (
	"fmt"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/kook-project/kook/internal/cmdline"
)

// CompletionCmd is `kook completion bash|zsh`.
type CompletionCmd struct {
	Shell string `arg:"" enum:"bash,zsh" help:"bash or zsh."`
}

// Help implements kong.HelpProvider.
func (c *CompletionCmd) Help() string {
	return strings.TrimSpace(`
The script completes commands, flags and enumerated values (formats, levels).

Examples:
  source <(kook completion bash)          # in ~/.bashrc
  kook completion zsh > "${fpath[1]}/_kook"`)
}

// Run prints the script, generated from kook's own command model.
func (c *CompletionCmd) Run(kctx *kong.Context, g *Globals) error {
	if c.Shell == "zsh" {
		// zsh runs bash completion functions through bashcompinit.
		fmt.Fprint(g.stdout, "#compdef kook\nautoload -U +X bashcompinit && bashcompinit\n")
	}
	return cmdline.Bash(g.stdout, kctx.Model)
}
