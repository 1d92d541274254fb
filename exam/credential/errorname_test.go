package credential

import "errors"

// errorName is the name FORMAT.md's vectors give each error.
func errorName(err error) string {
	for _, e := range []struct {
		err  error
		name string
	}{{ErrPrefix, "prefix"}, {ErrBase45, "base45"}, {ErrMalformed, "malformed"}, {ErrUnknownKey, "unknown_key"},
		{ErrBadSignature, "bad_signature"}, {ErrKeyWindow, "key_window"}, {ErrStatusList, "status_list"}} {
		if errors.Is(err, e.err) {
			return e.name
		}
	}
	if err == nil {
		return ""
	}
	return "other"
}
