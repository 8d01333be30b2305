// Package configs holds the example configuration files and the demo data, embedded so
// that the binary can load the demo and tests can check that every example still parses.
package configs

import "embed"

// Files holds every YAML file of this folder: frontdesk.example.yaml (every setting,
// commented), frontdesk.dev.yaml (a developer's setup) and demo.yaml (demo data).
//
//go:embed *.yaml
var Files embed.FS

// DemoFile is the name of the demo data file in Files.
const DemoFile = "demo.yaml"
