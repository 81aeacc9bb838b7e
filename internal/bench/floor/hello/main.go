// Command hello is the floor under every Go command in the benchmark: a
// static Go program that prints {} and exits.
package main

import "os"

func main() { os.Stdout.WriteString("{}\n") }
