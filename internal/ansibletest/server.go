package ansibletest

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// serverPy imports Ansible once, then for every job line read on stdin
// ({"id", "dir", "out", "argv"}) forks a child that runs argv in dir with
// stdout and stderr in out/stdout and out/stderr, and reports "id exitcode"
// on stdout when the child ends. Children run concurrently.
const serverPy = `
import gc, json, os, signal, select, sys, traceback
import ansible.cli.inventory, ansible.cli.adhoc
# Modules a run would import; importing them has no side effect on Ansible's
# state, and children then share them.
import ansible.plugins.inventory.advanced_host_list, ansible.plugins.inventory.auto
import ansible.plugins.inventory.constructed, ansible.plugins.inventory.generator
import ansible.plugins.inventory.host_list, ansible.plugins.inventory.ini
import ansible.plugins.inventory.script, ansible.plugins.inventory.toml
import ansible.plugins.inventory.yaml, ansible.plugins.vars.host_group_vars
` + dumpPy + `

def child(job):
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    os.chdir(job['dir'])
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    for fd, name in ((1, 'stdout'), (2, 'stderr')):
        f = os.open(os.path.join(job['out'], name), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(f, fd)
        os.close(f)
    argv = job['argv']
    sys.argv = list(argv)
    code = 0
    try:
        if argv[0] == 'ansible-inventory':
            at_main_depth(ansible.cli.inventory.main, argv)
        elif argv[0] == 'ansible':
            at_main_depth(ansible.cli.adhoc.main, argv)
        elif argv[0] == 'dump':
            main(argv[1:])
        else:
            raise SystemExit('unknown command %r' % argv[0])
    except SystemExit as e:
        if e.code is None:
            code = 0
        elif isinstance(e.code, int):
            code = e.code
        else:
            sys.stderr.write(str(e.code) + '\n')
            code = 1
    except BaseException:
        traceback.print_exc()
        code = 250
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)

def serve():
    # Keep the collector off the imported objects so that children do not
    # copy every page they share with the server.
    gc.freeze()
    rfd, wfd = os.pipe()
    os.set_blocking(wfd, False)
    signal.signal(signal.SIGCHLD, lambda *a: None)
    signal.set_wakeup_fd(wfd, warn_on_full_buffer=False)
    running, buf, eof = {}, b'', False
    while not eof or running:
        ready, _, _ = select.select([rfd] + ([0] if not eof else []), [], [])
        if rfd in ready:
            os.read(rfd, 4096)
        if 0 in ready:
            data = os.read(0, 65536)
            eof = not data
            buf += data
            while b'\n' in buf:
                line, buf = buf.split(b'\n', 1)
                job = json.loads(line)
                pid = os.fork()
                if pid == 0:
                    child(job)
                running[pid] = job['id']
        while running:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            sys.stdout.write('%s %d\n' % (running.pop(pid), os.waitstatus_to_exitcode(status)))
            sys.stdout.flush()

serve()
`

// forkServer is the running serverPy.
type forkServer struct {
	mu      sync.Mutex
	stdin   io.WriteCloser
	waiting map[int]chan int
	next    int
	dead    error
}

var (
	serverOnce sync.Once
	theServer  *forkServer
	serverErr  error
)

// server starts the fork server on first use. It lives as long as the test
// binary: it exits when its stdin closes.
func server() (*forkServer, error) {
	serverOnce.Do(func() { theServer, serverErr = startServer() })
	return theServer, serverErr
}

func startServer() (*forkServer, error) {
	// An empty directory of its own, so that importing Ansible finds no
	// ansible.cfg; Python never writes to it.
	dir, err := os.MkdirTemp("", "kook-ansible-server-")
	if err != nil {
		return nil, err
	}
	script := filepath.Join(dir, "server.py")
	if err := os.WriteFile(script, []byte(serverPy), 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(Python, script)
	cmd.Dir = dir
	cmd.Env = Env()
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &forkServer{stdin: stdin, waiting: map[int]chan int{}}
	go s.read(stdout, cmd, dir)
	return s, nil
}

func (s *forkServer) read(stdout io.Reader, cmd *exec.Cmd, dir string) {
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		id, code, ok := strings.Cut(sc.Text(), " ")
		i, err1 := strconv.Atoi(id)
		c, err2 := strconv.Atoi(code)
		if !ok || err1 != nil || err2 != nil {
			continue
		}
		s.mu.Lock()
		ch := s.waiting[i]
		delete(s.waiting, i)
		s.mu.Unlock()
		if ch != nil {
			ch <- c
		}
	}
	err := cmd.Wait()
	os.RemoveAll(dir)
	s.mu.Lock()
	s.dead = fmt.Errorf("ansible fork server exited: %v", err)
	for i, ch := range s.waiting {
		close(ch)
		delete(s.waiting, i)
	}
	s.mu.Unlock()
}

func (s *forkServer) run(t testing.TB, dir string, argv []string) Result {
	t.Helper()
	out := t.TempDir()
	ch := make(chan int, 1)
	s.mu.Lock()
	if s.dead != nil {
		s.mu.Unlock()
		t.Fatal(s.dead)
	}
	s.next++
	id := s.next
	s.waiting[id] = ch
	line, _ := json.Marshal(map[string]any{"id": id, "dir": dir, "out": out, "argv": argv})
	_, err := s.stdin.Write(append(line, '\n'))
	s.mu.Unlock()
	if err != nil {
		t.Fatalf("ansible fork server: %v", err)
	}
	code, ok := <-ch
	if !ok {
		t.Fatalf("%s: ansible fork server died", strings.Join(argv, " "))
	}
	stdout, err1 := os.ReadFile(filepath.Join(out, "stdout"))
	stderr, err2 := os.ReadFile(filepath.Join(out, "stderr"))
	if err1 != nil || err2 != nil {
		t.Fatalf("%s: reading output: %v %v", strings.Join(argv, " "), err1, err2)
	}
	return Result{Args: argv, Stdout: string(stdout), Stderr: string(stderr), Exit: code}
}
