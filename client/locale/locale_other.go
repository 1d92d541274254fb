//go:build !linux || !cgo

package locale

// UTF8 does nothing here: only GLFW on X11 (Linux, with cgo) needs a UTF-8
// LC_CTYPE for input methods. Its Result is empty.
func UTF8() (Result, error) { return Result{}, nil }
