package public

import (
	"maps"
	"slices"
)

// LearnerText is a key of the learner page in Chinese and English.
func LearnerText(key string) (string, string) {
	v := &learnerView{Lang: zh}
	z := v.T(key)
	v.Lang = en
	return z, v.T(key)
}

// LearnerKeys are the keys of the learner page's own table.
func LearnerKeys() []string { return slices.Collect(maps.Keys(learnerMessages)) }
