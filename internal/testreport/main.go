package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

func main() {
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	buffered := map[string][]string{} // package -> output so far
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Fprintln(out, sc.Text()) // not JSON: go test's own complaint
			continue
		}
		switch e.Action {
		case "build-output":
			fmt.Fprint(out, e.Output)
		case "output":
			buffered[e.Package] = append(buffered[e.Package], e.Output)
		case "pass", "skip", "fail":
			if e.Test != "" {
				continue
			}
			lines := buffered[e.Package]
			delete(buffered, e.Package)
			if e.Action == "fail" {
				for _, l := range lines {
					if !noise(l) {
						fmt.Fprint(out, l)
					}
				}
				continue
			}
			for _, l := range lines {
				// The last line is go test's own "ok  pkg  1.2s" (or "?
				// pkg [no test files]").
				if strings.HasPrefix(l, "corpus: ") || l == lines[len(lines)-1] {
					fmt.Fprint(out, l)
				}
			}
		}
		out.Flush()
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(out, "testreport:", err)
	}
}

// noise reports whether l is a line that -json adds to what plain go test
// prints for a failing package: the progress of tests, and passed or
// skipped tests.
func noise(l string) bool {
	t := strings.TrimLeft(l, " ")
	return strings.HasPrefix(t, "=== ") || strings.HasPrefix(t, "--- PASS") || strings.HasPrefix(t, "--- SKIP")
}
