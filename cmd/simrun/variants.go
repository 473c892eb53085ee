package main

import (
	"fmt"
	"io"

	"qrlab/lab"
	"qrlab/model/variant"
)

const variantsUsage = `usage: simrun variants [--json | --provenance] [--file F] [NAME ...]

Lists the built-in design variants (presets) with every knob. With names, only
those; with --json, prints each preset file as a reviewer would copy and edit
it; with --provenance, prints where each knob value comes from (a source read,
a lab default, unverified or a design alternative), knob by knob, for the
preset and its rendezvous, OAuth and homeserver presets; with --file,
validates and lists a preset file of your own.
Flags:
`

// runVariants lists presets and their knobs.
func runVariants(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("simrun variants", variantsUsage, stderr, nil)
	asJSON := fs.Bool("json", false, "print the preset files as JSON")
	prov := fs.Bool("provenance", false, "print each knob's origin and the sources cited")
	file := fs.String("file", "", "validate and list this preset file instead of the built-in ones")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	var vs []variant.Variant
	switch {
	case *file != "":
		if fs.NArg() > 0 {
			fmt.Fprintln(stderr, "simrun variants: --file and preset names do not go together")
			return 2
		}
		b, err := lab.ReadFile(*file, lab.MaxSpecBytes, "variant file")
		if err != nil {
			fmt.Fprintf(stderr, "simrun variants: %v\n", err)
			return 2
		}
		v, err := variant.Parse(b, *file)
		if err != nil {
			fmt.Fprintf(stderr, "simrun variants: %v\n", err)
			return 2
		}
		vs = append(vs, v)
	default:
		names := fs.Args()
		if len(names) == 0 {
			names = variant.Names()
		}
		for _, n := range names {
			v, err := variant.Load(n)
			if err != nil {
				fmt.Fprintf(stderr, "simrun variants: %v\n", err) // the error lists the presets
				return 2
			}
			vs = append(vs, v)
		}
	}
	for i, v := range vs {
		if *prov {
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			if err := variant.WriteProvenance(stdout, &v); err != nil {
				fmt.Fprintf(stderr, "simrun variants: %v\n", err)
				return 1
			}
			continue
		}
		if *asJSON {
			b, err := v.Marshal()
			if err != nil {
				fmt.Fprintf(stderr, "simrun variants: %s: %v\n", v.Name, err)
				return 1
			}
			stdout.Write(b)
			if len(b) > 0 && b[len(b)-1] != '\n' {
				fmt.Fprintln(stdout)
			}
			continue
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		fmt.Fprintf(stdout, "%s\n  %s\n  %-36s %s\n", v.Name, v.Description, "status", v.Status())
		for _, k := range v.Knobs() {
			fmt.Fprintf(stdout, "  %-36s %s\n", k.Name, k.Value)
		}
	}
	return 0
}
