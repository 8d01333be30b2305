package configs

import _ "embed"

// ClassifierTrain is the labelled dataset the classifier is trained on: French, English
// and a few other-language messages of a reception desk (town hall, company front desk,
// association), one JSON object per line with subject, text, channel, category,
// language and tension.
//
//go:embed classifier/train.jsonl
var ClassifierTrain []byte

// ClassifierHoldout is a separately written labelled set, never used for training, on
// which the classifier is evaluated (frontdesk classify --eval).
//
//go:embed classifier/holdout.jsonl
var ClassifierHoldout []byte
