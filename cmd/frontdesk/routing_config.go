package main

import (
	"bytes"
	"fmt"

	"github.com/frontdeskhq/frontdesk/configs"
)

// defaultRoutingFile is the embedded file with the default routing rules, auto-reply
// templates, classifier rules and SLA policies: configs/routing.yaml.
const defaultRoutingFile = "routing.yaml"

// defaultRouting gives c the default routing rules when it has none: the rules, the
// default team, the templates and the classifier rules of configs/routing.yaml come as
// one set, since rules name the templates and teams; the SLA policies too when c has
// none of its own.
func (c *config) defaultRouting() error {
	if len(c.Router.Rules) > 0 && len(c.Router.SLA.Policies) > 0 {
		return nil
	}
	raw, err := configs.Files.ReadFile(defaultRoutingFile)
	if err != nil {
		return fmt.Errorf("default routing: %w", err)
	}
	var d config
	if err := parseConfig(bytes.Clone(raw), &d); err != nil {
		return fmt.Errorf("default routing %s: %w", defaultRoutingFile, err)
	}
	r := &c.Router
	if len(r.Rules) == 0 {
		r.Rules, r.DefaultTeam = d.Router.Rules, d.Router.DefaultTeam
		if len(r.Templates) == 0 {
			r.Templates = d.Router.Templates
		}
		if len(r.Classifier.Rules) == 0 {
			r.Classifier.Rules = d.Router.Classifier.Rules
		}
	}
	if len(r.SLA.Policies) == 0 {
		r.SLA.Policies = d.Router.SLA.Policies
	}
	return nil
}
