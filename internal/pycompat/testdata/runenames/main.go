// Command runenames lists every character golang.org/x/text/unicode/runenames
// names, as "HEX\tNAME" lines, for gen_unicodenames.py.
package main

import (
	"bufio"
	"fmt"
	"os"
	"unicode"

	"golang.org/x/text/unicode/runenames"
)

func main() {
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if n := runenames.Name(r); n != "" {
			fmt.Fprintf(w, "%X\t%s\n", r, n)
		}
	}
}
