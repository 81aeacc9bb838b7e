package jones

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Root is how callers name the root environment. Env arguments accept "" and
// "/" for it, and "a/b" or "/a/b" for the others.
const Root = "/"

// cleanEnv turns an env argument into its internal form: "" for the root,
// "a/b" for the others.
func cleanEnv(env string) (string, error) {
	e := strings.Trim(env, "/")
	if e == "" {
		return "", nil
	}
	for _, part := range strings.Split(e, "/") {
		if err := checkName(part); err != nil {
			return "", fmt.Errorf("environment %q: %w", env, err)
		}
	}
	return e, nil
}

// checkService validates a service name: one znode name.
func checkService(svc string) error {
	if err := checkName(svc); err != nil {
		return fmt.Errorf("service %q: %w", svc, err)
	}
	return nil
}

// checkName refuses what cannot be one znode name. ZooKeeper rejects "." and
// "..", and control characters make paths that no one can type back.
func checkName(name string) error {
	switch {
	case name == "":
		return errors.New("empty name")
	case name == "." || name == "..":
		return errors.New(`"." and ".." are not names`)
	case strings.Contains(name, "/"):
		return errors.New("name contains '/'")
	case !utf8.ValidString(name):
		return errors.New("name is not valid UTF-8")
	}
	for _, r := range name {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return fmt.Errorf("name contains control character %U", r)
		}
	}
	return nil
}

// oldSep is the separator of the nodemaps line format of Jones 0.7 and
// earlier ("host -> path" per line). Jones 1.0 writes JSON but still takes
// any nodemaps text that contains it for that format, so a name that puts it
// into a nodemap would make Jones lose the associations on its next write.
const oldSep = " -> "

// checkNewName refuses a service or environment name that would put oldSep
// into nodemaps: every association with it is written as a path holding it.
func checkNewName(kind, name string) error {
	if strings.Contains(name, oldSep) {
		return fmt.Errorf("%s %q contains %q, which Jones takes for its pre-1.0 nodemaps line format (it would lose associations on its next write)", kind, name, oldSep)
	}
	return nil
}

// displayEnv is the env as callers see it: "/" for the root.
func displayEnv(env string) string {
	if env == "" {
		return Root
	}
	return env
}

// parentEnv returns the parent of a non-root env.
func parentEnv(env string) string {
	if i := strings.LastIndexByte(env, '/'); i >= 0 {
		return env[:i]
	}
	return ""
}

// joinEnv names child under env.
func joinEnv(env, child string) string {
	if env == "" {
		return child
	}
	return env + "/" + child
}

// chain returns env and its ancestors, root first: "a/b" gives "", "a", "a/b".
func chain(env string) []string {
	envs := []string{""}
	if env == "" {
		return envs
	}
	for i := 0; i < len(env); i++ {
		if env[i] == '/' {
			envs = append(envs, env[:i])
		}
	}
	return append(envs, env)
}

// within reports whether env is top or one of its descendants.
func within(env, top string) bool {
	return top == "" || env == top || strings.HasPrefix(env, top+"/")
}

// Paths below are relative to the connection's chroot and include the
// store's root; jonesView paths are relative to the root, as Jones wrote them
// into nodemaps.

func (s *Store) servicesPath() string { return s.root + "/services" }

// ServicesPath returns where the Jones tree of the store under root is
// (root as NewStore takes it): the subtree Jones clients read, which kook
// makes world-readable by default.
func ServicesPath(root string) string      { return (&Store{root: cleanRoot(root)}).servicesPath() }
func (s *Store) svcPath(svc string) string { return s.root + jonesService(svc) }
func (s *Store) nodemapsPath(svc string) string {
	return s.svcPath(svc) + "/nodemaps"
}

func (s *Store) confPath(svc, env string) string {
	return envPath(s.svcPath(svc)+"/conf", env)
}

func (s *Store) viewPath(svc, env string) string {
	return envPath(s.svcPath(svc)+"/views", env)
}

// kook's own znodes sit beside Jones's under the service, where no Jones
// code looks (it reads conf, views and nodemaps, and deletes the service
// recursively): records of what each view was computed from, and markers of
// view rewrites that span several requests.
func (s *Store) sourcesPath(svc string) string { return s.svcPath(svc) + "/kook-sources" }
func (s *Store) pendingPath(svc string) string { return s.svcPath(svc) + "/kook-pending" }

func (s *Store) recordPath(svc, env string) string {
	return s.sourcesPath(svc) + "/" + escapeEnv(env)
}

var envEscaper = strings.NewReplacer("%", "%25", "/", "%2F")

// escapeEnv names env in one znode: '%' and '/' are escaped, so the root,
// whose display name is "/", is "%2F" and "a/b" is "a%2Fb".
func escapeEnv(env string) string {
	return envEscaper.Replace(displayEnv(env))
}

// unescapeEnv inverts escapeEnv; ok is false for a name escapeEnv does not
// make.
func unescapeEnv(name string) (env string, ok bool) {
	r := strings.NewReplacer("%25", "%", "%2F", "/")
	env, err := cleanEnv(r.Replace(name))
	return env, err == nil && escapeEnv(env) == name
}

func jonesService(svc string) string { return "/services/" + svc }

// jonesView is the view path of env as nodemaps records it.
func jonesView(svc, env string) string { return envPath(jonesService(svc)+"/views", env) }

// envFromView inverts jonesView; ok is false for a path that is not a view of
// svc (a hand-edited or foreign nodemap entry).
func envFromView(svc, p string) (env string, ok bool) {
	base := jonesService(svc) + "/views"
	switch {
	case p == base:
		return "", true
	case strings.HasPrefix(p, base+"/"):
		env, err := cleanEnv(p[len(base)+1:])
		return env, err == nil && env != ""
	}
	return "", false
}

func envPath(base, env string) string {
	if env == "" {
		return base
	}
	return base + "/" + env
}

// validPath reports whether p, a path read from a nodemap, is one ZooKeeper
// accepts; entries that are not are treated as no association.
func validPath(p string) bool {
	if len(p) < 2 || p[0] != '/' {
		return false
	}
	for _, part := range strings.Split(p[1:], "/") {
		if part == "" || part == "." || part == ".." || strings.ContainsRune(part, 0) {
			return false
		}
	}
	return true
}
