package main

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// machine describes where the numbers were taken.
type machine struct {
	cpus       int
	model      string
	memory     string
	kernel     string
	goVersion  string
	zookeeper  string
	ansible    string
	loadBefore string
	loadAfter  string
	commit     string // of the kook tree measured
	date       string // when, UTC
}

func probeMachine(repo string) machine {
	m := machine{
		cpus:       runtime.NumCPU(),
		model:      "unknown CPU",
		memory:     "unknown",
		goVersion:  runtime.Version(),
		zookeeper:  "unknown",
		ansible:    "not installed",
		loadBefore: loadAvg(),
		date:       time.Now().UTC().Format("2006-01-02 15:04 UTC"),
	}
	if v, ok := procField("/proc/cpuinfo", "model name"); ok {
		m.model = v
	}
	if v, ok := procField("/proc/meminfo", "MemTotal"); ok {
		if kb, err := strconv.ParseFloat(strings.TrimSuffix(v, " kB"), 64); err == nil {
			m.memory = strconv.FormatFloat(kb/(1<<20), 'f', 1, 64) + " GiB"
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = "Linux " + strings.TrimSpace(string(b))
	}
	m.commit = commit(repo)
	if out, err := exec.Command("ansible-inventory", "--version").Output(); err == nil {
		first, _, _ := strings.Cut(string(out), "\n")
		m.ansible = strings.TrimSpace(first)
	}
	return m
}

// procField returns the value of the first "key: value" line of a /proc
// file.
func procField(file, key string) (string, bool) {
	f, err := os.Open(file)
	if err != nil {
		return "", false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v), true
		}
	}
	return "", false
}

// loadAvg returns the 1, 5 and 15-minute load averages: numbers taken on a
// machine busy with other work are noise, and the table says so.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// commit names the tree measured: HEAD's short hash, "+changes" when the
// working tree differs from it.
func commit(repo string) string {
	cmd := exec.Command("git", "rev-parse", "--short", "HEAD")
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	cmd = exec.Command("git", "status", "--porcelain", "--untracked-files=no")
	cmd.Dir = repo
	if out, err := cmd.Output(); err == nil && len(out) > 0 {
		c += "+changes"
	}
	return c
}
