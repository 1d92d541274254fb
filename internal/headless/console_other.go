//go:build !windows

package headless

// Console does nothing here: only on Windows is onex-site built as a GUI
// program that is given no console (console_windows.go).
func Console() {}
