// Package deploy holds the files that run simrun beyond one machine: a
// container image (Dockerfile), Kubernetes manifests (kubernetes/) for a
// sweep split over an Indexed Job and its merge, and the tests that keep
// them, and the GitHub Actions workflows under .github/workflows, in step
// with the simrun command line. It has no code of its own; README.md
// says how to use the files.
package deploy
