// Package style holds tests that check the whole source tree against the
// project's conventions (see the imports test); it has no code of its own.
package style
