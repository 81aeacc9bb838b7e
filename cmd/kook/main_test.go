package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/kook-project/kook"
	"github.com/kook-project/kook/internal/cmdline"
	"github.com/kook-project/kook/internal/corpus"
	"github.com/kook-project/kook/internal/zktest"
	"github.com/kook-project/kook/inventory"
	"github.com/kook-project/kook/model"
)

func TestMain(m *testing.M) {
	zktest.Main(m)
	corpus.Report()
}

// kookT runs kook commands against its own chroot of the shared ZooKeeper.
type kookT struct {
	t  *testing.T
	zk string
}

func newKook(t *testing.T) *kookT {
	t.Helper()
	return &kookT{t: t, zk: zktest.Shared(t).Addr + zktest.Root(t)}
}

// result is one kook run.
type result struct {
	args           []string
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("kook %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// run runs kook with args, as the command line would, capturing output.
func (k *kookT) run(args ...string) result {
	k.t.Helper()
	var out, errb bytes.Buffer
	full := append([]string{"--zk", k.zk, "--config", os.DevNull}, args...)
	code := run(context.Background(), full, &out, &errb)
	return result{args: args, stdout: out.String(), stderr: errb.String(), code: code}
}

// ok runs kook and fails the test unless it exits 0; it returns stdout.
func (k *kookT) ok(args ...string) string {
	k.t.Helper()
	r := k.run(args...)
	if r.code != 0 {
		k.t.Fatalf("%v", r)
	}
	return r.stdout
}

// fails runs kook, expecting exit status code and a message on stderr.
func (k *kookT) fails(code int, msg string, args ...string) {
	k.t.Helper()
	r := k.run(args...)
	if r.code != code || !strings.Contains(r.stderr, msg) {
		k.t.Fatalf("want exit %d and %q on stderr, got %v", code, msg, r)
	}
}

func (k *kookT) client() *kook.Client {
	k.t.Helper()
	c, err := kook.Open(context.Background(), kook.Config{ZK: k.zk})
	if err != nil {
		k.t.Fatal(err)
	}
	k.t.Cleanup(c.Close)
	return c
}

// importSource stores what inventory.Load reads from sources, as
// kook-import does.
func (k *kookT) importSource(sources ...string) *model.Inventory {
	k.t.Helper()
	inv, err := inventory.Load(sources...)
	if err != nil {
		k.t.Fatal(err)
	}
	if _, err := k.client().Replace(context.Background(), kook.EditOptions{}, inv); err != nil {
		k.t.Fatal(err)
	}
	return inv
}

// load returns the stored inventory and generation.
func (k *kookT) load() (*model.Inventory, int64) {
	k.t.Helper()
	inv, gen, err := k.client().Inventory(context.Background())
	if err != nil {
		k.t.Fatal(err)
	}
	return inv, gen
}

// writeFiles writes files (path: content) under a new directory and
// returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// repoRoot is the directory holding go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// commands returns the path of every command kook has ("host set").
func commands(t *testing.T) []string {
	t.Helper()
	var cli CLI
	k, err := kong.New(&cli)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n *kong.Node, path string)
	walk = func(n *kong.Node, path string) {
		for _, c := range n.Children {
			if c.Type == kong.CommandNode {
				p := strings.TrimSpace(path + " " + c.Name)
				if len(c.Children) == 0 {
					out = append(out, p)
				}
				walk(c, p)
			}
		}
	}
	walk(k.Model.Node, "")
	return out
}

// Every command has --help with an example, exiting 0.
func TestHelp(t *testing.T) {
	k := &kookT{t: t, zk: "127.0.0.1:1"}
	cmds := commands(t)
	if len(cmds) < 20 {
		t.Fatalf("only %d commands: %q", len(cmds), cmds)
	}
	for _, c := range cmds {
		if strings.HasPrefix(c, "config ") {
			continue // kook config is documented by its own helper
		}
		r := k.run(append(strings.Fields(c), "--help")...)
		if r.code != 0 || !strings.Contains(r.stdout, "Example") {
			t.Errorf("kook %s --help: exit %d, no example:\n%s", c, r.code, r.stdout)
		}
	}
}

func TestExitCodes(t *testing.T) {
	k := &kookT{t: t, zk: "127.0.0.1:1"} // nothing listens: a command that connects fails
	tests := []struct {
		name string
		args []string
		code int
		msg  string
	}{
		{"UnknownCommand", []string{"frobnicate"}, 2, "unexpected argument frobnicate"},
		{"UnknownFlag", []string{"hosts", "--nope"}, 2, "unknown flag --nope"},
		{"MissingArg", []string{"host", "show"}, 2, "expected \"<name>\""},
		{"BadEnum", []string{"hosts", "-o", "xml"}, 2, "must be one of"},
		{"BadAssignment", []string{"host", "set", "h", "novalue"}, 2, "want VAR=VALUE"},
		{"BadYAMLValue", []string{"host", "set", "h", "x=[1"}, 2, "invalid YAML value"},
		{"BadJSONValue", []string{"host", "set", "h", "--json", "x={"}, 2, "invalid JSON value"},
		{"BadWhere", []string{"hosts", "--where", "a~("}, 2, "missing closing )"},
		{"Unreachable", []string{"--timeout", "300ms", "status"}, 1, "kook: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k.t = t
			k.fails(tt.code, tt.msg, tt.args...)
		})
	}
}

// The completion scripts are valid bash and complete commands, flags and
// enumerated values.
func TestCompletion(t *testing.T) {
	k := &kookT{t: t, zk: "127.0.0.1:1"}
	script := filepath.Join(t.TempDir(), "kook.bash")
	if err := os.WriteFile(script, []byte(k.ok("completion", "bash")), 0o644); err != nil {
		t.Fatal(err)
	}
	if zsh := k.ok("completion", "zsh"); !strings.HasPrefix(zsh, "#compdef kook\n") || !strings.Contains(zsh, "complete -F _kook kook") {
		t.Errorf("zsh script:\n%s", zsh)
	}
	tests := []struct {
		line string // words typed, the last being completed
		want string
	}{
		{"kook ho", "hosts host"},
		{"kook host s", "show set"},
		{"kook --zk zk1:2181 group add-", "add-host add-child"},
		{"kook hosts -o ", "names json yaml csv"},
		{"kook host set web1 --level ", "auto inventory file"},
		{"kook export --format y", "yaml"},
		{"kook completion ", "--help -h --zk --root --timeout --auth --auth-file --tls-ca --tls-cert --tls-key --config bash zsh"},
	}
	for _, tt := range tests {
		words := strings.Split(tt.line, " ")
		prog := fmt.Sprintf("source %q\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n_kook\necho \"${COMPREPLY[*]}\"\n",
			script, quoteWords(words), len(words)-1)
		out, err := exec.Command("bash", "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("bash: %v\n%s", err, out)
		}
		if got := strings.TrimSpace(string(out)); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.line, got, tt.want)
		}
	}
}

func quoteWords(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = "'" + w + "'"
	}
	return strings.Join(q, " ")
}

func TestIntegration_StatusAndRebuild(t *testing.T) {
	k := newKook(t)
	k.fails(1, "not found (import one with kook-import)", "status")
	k.ok("host", "add", "h1")
	got := k.ok("status", "-o", "json")
	for _, want := range []string{`"generation":1,`, `"groups":2,`, `"hosts":1,`, `"history_start":1,`} {
		if !strings.Contains(got, want) {
			t.Errorf("status: %s, want %s", got, want)
		}
	}
	if got := k.ok("rebuild"); got != "views rebuilt (generation 2)\n" {
		t.Errorf("rebuild: %q", got)
	}
	if _, gen := k.load(); gen != 2 {
		t.Errorf("generation after rebuild: %d", gen)
	}
}

// TestParseOneCommand: the parser built for the command args name (see
// parse) knows every top-level command by kong's own name for it, and
// parses each command line as the parser of the whole CLI does.
func TestParseOneCommand(t *testing.T) {
	var full CLI
	k, err := kong.New(&full)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range k.Model.Node.Children {
		if n.Type != kong.CommandNode || n.Name == "completion" {
			continue
		}
		if name, ok := cmdline.Command(&CLI{}, []string{"--zk", "x", n.Name}, "completion"); !ok || name != n.Name {
			t.Errorf("command %q: picked %q, %v", n.Name, name, ok)
		}
	}
	if _, ok := cmdline.Command(&CLI{}, []string{"completion", "bash"}, "completion"); ok {
		t.Error("completion needs the whole CLI, got one command")
	}
	if _, ok := cmdline.Command(&CLI{}, []string{"host", "--help"}, "completion"); ok {
		t.Error("help is the whole CLI's, got one command")
	}
	for _, args := range [][]string{
		{"host", "set", "web1", "a=1", "--reason", "r"},
		{"--root", "/x", "group", "add-host", "web", "h1"},
		{"config", "set", "svc", "prod", "k=v"},
		{"log", "-n", "5"},
		{"--root", "log", "status"}, // a flag's value named like a command
	} {
		var one, all CLI
		got, err := cmdline.Parse(&one, &one.Globals, args, nil, "completion")
		if err != nil {
			t.Errorf("%q: %v", args, err)
			continue
		}
		k, err := kong.New(&all)
		if err != nil {
			t.Fatal(err)
		}
		want, err := k.Parse(args)
		if err != nil {
			t.Fatal(err)
		}
		if got.Command() != want.Command() || one.Root != all.Root {
			t.Errorf("%q: parsed as %q (root %q), the whole CLI parses %q (root %q)", args, got.Command(), one.Root, want.Command(), all.Root)
		}
	}
}
