package deploy

import (
	"reflect"
	"strings"
	"testing"
)

// TestSimrunCommandsFound checks the shell reading the manifest test
// relies on: which simrun command lines a script holds, and their words.
func TestSimrunCommandsFound(t *testing.T) {
	for _, tc := range []struct {
		script string
		want   []string // one command line per entry, words joined by |
	}{
		{`exec simrun sweep "$SCENARIO" --shard "$JOB_COMPLETION_INDEX/$SHARDS" --out "/data/$SWEEP/shard-$JOB_COMPLETION_INDEX"`,
			[]string{`sweep|$SCENARIO|--shard|$JOB_COMPLETION_INDEX/$SHARDS|--out|/data/$SWEEP/shard-$JOB_COMPLETION_INDEX`}},
		{"\"$RUNNER_TEMP/simrun\" merge --out merged \\\n  --no-report a b 2>&1 | tee log\n./simrun report merged # then look",
			[]string{"merge|--out|merged|--no-report|a|b", "report|merged"}},
		{"go build -o simrun ./cmd/simrun && go run ./cmd/simrun list", []string{"list"}},
		{"echo simrun sweep; GOGC=200 simrun sweep x --shard ${{ matrix.shard }}/4 > out.txt", []string{"sweep|x|--shard|EXPR/4"}},
		{"if ! simrun report d; then exit 1; fi", []string{"report|d"}},
		{"# simrun sweep commented out\nsimrun", []string{""}},
		{"kubectl apply -f simrun.yaml", nil},
	} {
		var have []string
		for _, c := range simrunCommands(tc.script) {
			have = append(have, strings.Join(c.args, "|"))
		}
		if !reflect.DeepEqual(have, tc.want) {
			t.Errorf("script %q:\nhave %q\nwant %q", tc.script, have, tc.want)
		}
	}
}

// TestCheckRefusesWhatSimrunLacks checks that the command line check
// fails on an unknown subcommand, an unknown flag and a missing value,
// and passes flags given as -name, --name and --name=value.
func TestCheckRefusesWhatSimrunLacks(t *testing.T) {
	c := loadCLI(t)
	for _, tc := range []struct {
		args string
		ok   bool
	}{
		{"sweep x --shard 0/2 --out d --resume", true},
		{"sweep x -quiet --runs=3 -no-report", true},
		{"merge --out m a b", true},
		{"", true},
		{"swep x", false},
		{"sweep x --shards 0/2", false},
		{"sweep x --out", false},
		{"report d --resume", false},
	} {
		err := c.check(t, strings.Fields(tc.args))
		if (err == nil) != tc.ok {
			t.Errorf("simrun %s: error %v, want ok=%v", tc.args, err, tc.ok)
		}
	}
}
