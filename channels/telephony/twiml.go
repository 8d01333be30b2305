package telephony

import (
	"encoding/xml"
	"fmt"
)

// TwiML is built from these typed values and encoding/xml, never by concatenating
// strings, so caller-controlled or configured text cannot break out of an element.

// Response is a TwiML document: verbs executed in order.
type Response struct {
	XMLName xml.Name `xml:"Response"`
	Verbs   []Verb
}

// Verb is one TwiML verb: *Say, *Dial, *Record, *Hangup, *Pause.
type Verb interface{ verb() }

// Say speaks text.
type Say struct {
	XMLName  xml.Name `xml:"Say"`
	Language string   `xml:"language,attr,omitempty"`
	Voice    string   `xml:"voice,attr,omitempty"`
	Text     string   `xml:",chardata"`
}

// Dial rings targets at once and connects the first to answer; the provider then
// requests Action with the outcome (DialCallStatus).
type Dial struct {
	XMLName  xml.Name `xml:"Dial"`
	Action   string   `xml:"action,attr,omitempty"`
	Method   string   `xml:"method,attr,omitempty"`
	Timeout  int      `xml:"timeout,attr,omitempty"`
	CallerID string   `xml:"callerId,attr,omitempty"`
	Numbers  []Number
	Sips     []Sip
}

// Number is a phone number Dial rings.
type Number struct {
	XMLName xml.Name `xml:"Number"`
	Value   string   `xml:",chardata"`
}

// Sip is a SIP endpoint Dial rings.
type Sip struct {
	XMLName xml.Name `xml:"Sip"`
	Value   string   `xml:",chardata"`
}

// Record records the caller; the provider requests Action when the recording ends and
// TranscribeCallback when the transcription is ready.
type Record struct {
	XMLName            xml.Name `xml:"Record"`
	Action             string   `xml:"action,attr,omitempty"`
	Method             string   `xml:"method,attr,omitempty"`
	MaxLength          int      `xml:"maxLength,attr,omitempty"`
	Timeout            int      `xml:"timeout,attr,omitempty"`
	FinishOnKey        string   `xml:"finishOnKey,attr,omitempty"`
	PlayBeep           bool     `xml:"playBeep,attr"`
	Transcribe         bool     `xml:"transcribe,attr,omitempty"`
	TranscribeCallback string   `xml:"transcribeCallback,attr,omitempty"`
}

// Hangup ends the call.
type Hangup struct {
	XMLName xml.Name `xml:"Hangup"`
}

// Pause waits Length seconds.
type Pause struct {
	XMLName xml.Name `xml:"Pause"`
	Length  int      `xml:"length,attr,omitempty"`
}

func (*Say) verb()    {}
func (*Dial) verb()   {}
func (*Record) verb() {}
func (*Hangup) verb() {}
func (*Pause) verb()  {}

// Marshal encodes r as a TwiML document with its XML declaration.
func (r Response) Marshal() ([]byte, error) {
	body, err := xml.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("telephony: encode TwiML: %w", err)
	}
	return append([]byte(xml.Header), body...), nil
}

// says turns prompts into Say verbs.
func says(ps []Prompt) []Verb {
	out := make([]Verb, 0, len(ps))
	for _, p := range ps {
		out = append(out, &Say{Language: p.Language, Voice: p.Voice, Text: p.Text})
	}
	return out
}
