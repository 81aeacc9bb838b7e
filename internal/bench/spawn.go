package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// spawnArg, as the first argument, makes the benchmark binary a launcher:
// it runs the command in the remaining arguments and reports on fd 3.
//
// Why: Go starts children with vfork (CLONE_VM), so at exec the kernel
// records the parent's peak RSS as the child's (exec_mmap keeps the old
// mm's high-water mark), and wait4 reports max(parent, child): the
// benchmark's own tens of megabytes would hide kook's. A fresh launcher
// holds a few MiB, below anything measured, and times the child from its
// start to its exit without the launcher's own start-up.
const spawnArg = "__spawn"

// spawnMain is the launcher. The child inherits its stdin, stdout, stderr,
// environment and directory; it prints "wall_ns cpu_ns maxrss_kib" on fd 3
// and exits with the child's status.
func spawnMain(args []string) {
	report := os.NewFile(3, "report")
	if len(args) == 0 || report == nil {
		fmt.Fprintln(os.Stderr, "bench: launcher: nothing to run")
		os.Exit(127)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	start := time.Now()
	err := cmd.Run()
	wall := time.Since(start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		fmt.Fprintf(os.Stderr, "bench: launcher: %v\n", err)
		os.Exit(127)
	}
	ps := cmd.ProcessState
	var maxrss int64
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		maxrss = ru.Maxrss // KiB on Linux
	}
	fmt.Fprintf(report, "%d %d %d\n", wall.Nanoseconds(), (ps.UserTime() + ps.SystemTime()).Nanoseconds(), maxrss)
	report.Close()
	os.Exit(ps.ExitCode())
}

// launcher starts c through the launcher; wait returns the child's sample.
type launcher struct {
	cmd    *exec.Cmd
	report *os.File // read end of fd 3
}

func newLauncher(ctx context.Context, self string, c command) (*launcher, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, append([]string{spawnArg, c.path}, c.args...)...)
	cmd.Env, cmd.Dir = c.env, c.dir
	cmd.ExtraFiles = []*os.File{w}
	return &launcher{cmd: cmd, report: r}, nil
}

// run runs the launcher to the end and parses its report. The write end
// of the report pipe is closed once the launcher has it, so a launcher
// that dies without reporting gives EOF, not a hang.
func (l *launcher) run() (sample, error) {
	defer l.report.Close()
	if err := l.cmd.Start(); err != nil {
		l.cmd.ExtraFiles[0].Close()
		return sample{}, err
	}
	l.cmd.ExtraFiles[0].Close()
	line, rerr := bufio.NewReader(l.report).ReadString('\n')
	err := l.cmd.Wait()
	var s sample
	if f := strings.Fields(line); len(f) == 3 {
		wall, e1 := strconv.ParseInt(f[0], 10, 64)
		cpu, e2 := strconv.ParseInt(f[1], 10, 64)
		rss, e3 := strconv.ParseInt(f[2], 10, 64)
		if e1 == nil && e2 == nil && e3 == nil {
			s = sample{wall: time.Duration(wall), cpu: time.Duration(cpu), rss: rss * 1024}
			return s, err
		}
	}
	if err == nil {
		if rerr == nil || rerr == io.EOF {
			rerr = fmt.Errorf("unreadable report %q", line)
		}
		err = fmt.Errorf("launcher: %w", rerr)
	}
	return s, err
}
