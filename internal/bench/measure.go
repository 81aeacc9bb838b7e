package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// command is one whole process to time.
type command struct {
	path string
	args []string
	env  []string // the whole environment; nil means the bench's own
	dir  string   // "" means the bench's directory
}

func (c command) String() string { return strings.Join(append([]string{c.path}, c.args...), " ") }

// short is the command as the notes show it: the program's name, its
// arguments without --zk and --root, files in the temporary directory by
// their names.
func (c command) short() string {
	w := []string{filepath.Base(c.path)}
	for i := 0; i < len(c.args); i++ {
		a := c.args[i]
		switch {
		case a == "--zk" || a == "--root":
			i++
			continue
		case strings.HasPrefix(a, os.TempDir()+"/"):
			a = filepath.Base(a)
		}
		w = append(w, a)
	}
	return strings.Join(w, " ")
}

// sample is one run: wall time from fork to exit (stdout drained), CPU
// time, and the child's peak resident set.
type sample struct {
	wall time.Duration
	cpu  time.Duration // user + system: less sensitive than wall to a busy machine
	rss  int64         // bytes
	// log is what the server's transaction log gained during the run, in
	// bytes, and records its transactions, for the rows that measure it
	// (edits: see logged).
	log     int64
	records int
	// requests is how many requests the server received during the run.
	requests int
}

// execute runs c once, through the launcher (see spawnArg). Its stdout goes
// through a pipe into out (io.Discard when nil), as a script's stdout goes
// to Ansible, so a process that writes megabytes pays for the copy as it
// would in use. A non-zero exit is an error carrying stderr's first line.
func execute(ctx context.Context, c command, out io.Writer) (sample, string, error) {
	if out == nil {
		out = io.Discard
	}
	self, err := os.Executable()
	if err != nil {
		return sample{}, "", err
	}
	l, err := newLauncher(ctx, self, c)
	if err != nil {
		return sample{}, "", err
	}
	var stderr bytes.Buffer
	l.cmd.Stdout, l.cmd.Stderr = out, &stderr
	s, err := l.run()
	if err != nil {
		first, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
		return s, stderr.String(), fmt.Errorf("%s: %w: %s", c, err, first)
	}
	return s, stderr.String(), nil
}

// series is the outcome of one table row for one inventory size.
type series struct {
	samples []sample
	note    string // shown instead of numbers when there are none
}

func (s *series) add(x sample) { s.samples = append(s.samples, x) }

// stats returns the median, min and max of f over the samples. An even
// count takes the mean of the two middle values.
func (s *series) stats(f func(sample) float64) (med, lo, hi float64) {
	v := make([]float64, len(s.samples))
	for i, x := range s.samples {
		v[i] = f(x)
	}
	slices.Sort(v)
	n := len(v)
	med = v[n/2]
	if n%2 == 0 {
		med = (v[n/2-1] + v[n/2]) / 2
	}
	return med, v[0], v[n-1]
}

func wallSeconds(x sample) float64 { return x.wall.Seconds() }
func cpuSeconds(x sample) float64  { return x.cpu.Seconds() }
func rssBytes(x sample) float64    { return float64(x.rss) }
func logBytes(x sample) float64    { return float64(x.log) }
func logRecords(x sample) float64  { return float64(x.records) }
func requests(x sample) float64    { return float64(x.requests) }

// median returns the median wall time in seconds, 0 when there are no
// samples.
func (s *series) median() float64 {
	if s == nil || len(s.samples) == 0 {
		return 0
	}
	m, _, _ := s.stats(wallSeconds)
	return m
}

func (s *series) medianRSS() float64 { return s.medianOf(rssBytes) }

func (s *series) medianOf(f func(sample) float64) float64 {
	if s == nil || len(s.samples) == 0 {
		return 0
	}
	m, _, _ := s.stats(f)
	return m
}

// maxOf returns the largest value of f over the samples, 0 if none.
func (s *series) maxOf(f func(sample) float64) float64 {
	if s == nil || len(s.samples) == 0 {
		return 0
	}
	_, _, hi := s.stats(f)
	return hi
}
