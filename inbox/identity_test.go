package inbox

import (
	"testing"

	"github.com/frontdeskhq/frontdesk/channels"
)

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"06 12 34 56 78", "+33612345678", true},
		{"+33 (0)6.12.34.56.78", "+33612345678", true},
		{"0033612345678", "+33612345678", true},
		{"+1 (415) 555-0100", "+14155550100", true},
		{"+44 20 7946 0958", "+442079460958", true},
		{"3949", "+3949", true},
		{"12", "", false},
		{"06 12 AB", "", false},
		{"+33 6 12 34 56 78 90 12 34 56", "", false},
		{"", "", false},
		{"1+2", "", false},
	}
	for _, tt := range tests {
		got, ok := NormalizePhone(tt.in, "")
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
	if got, _ := NormalizePhone("0612345678", "32"); got != "+32612345678" {
		t.Errorf("NormalizePhone(national, 32) = %q, want +32612345678", got)
	}
}

func TestNormalizeIdentity(t *testing.T) {
	tests := []struct {
		in      Identity
		want    Identity
		wantErr bool
	}{
		{Identity{Kind: channels.KindEmail, Value: " Marie.Dupont@Example.FR "}, Identity{Kind: channels.KindEmail, Value: "marie.dupont@example.fr"}, false},
		{Identity{Kind: channels.KindEmail, Value: "Marie <marie@example.fr>"}, Identity{Kind: channels.KindEmail, Value: "marie@example.fr", Name: "Marie"}, false},
		{Identity{Kind: channels.KindEmail, Value: "not an address"}, Identity{}, true},
		{Identity{Kind: channels.KindPhone, Value: "06 12 34 56 78"}, Identity{Kind: channels.KindPhone, Value: "+33612345678"}, false},
		{Identity{Kind: channels.KindPhone, Value: "call me"}, Identity{}, true},
		{Identity{Kind: channels.KindSlack, Value: "U024BE7LH"}, Identity{Kind: channels.KindSlack, Value: "U024BE7LH"}, false},
		{Identity{Kind: channels.KindVisitor, Value: " "}, Identity{}, true},
		{Identity{Kind: "fax", Value: "x"}, Identity{}, true},
	}
	for _, tt := range tests {
		got, err := NormalizeIdentity(tt.in, "33")
		if (err != nil) != tt.wantErr {
			t.Errorf("NormalizeIdentity(%+v) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if err == nil && got != tt.want {
			t.Errorf("NormalizeIdentity(%+v) = %+v, want %+v", tt.in, got, tt.want)
		}
		if err != nil && !IsInvalid(err) {
			t.Errorf("NormalizeIdentity(%+v) error %v is not an *InvalidError", tt.in, err)
		}
	}
}
