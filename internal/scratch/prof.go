package main

import (
	"os"
	"runtime/pprof"
)

func startProf(name string) func() {
	f, _ := os.Create(name)
	pprof.StartCPUProfile(f)
	return func() { pprof.StopCPUProfile(); f.Close() }
}
