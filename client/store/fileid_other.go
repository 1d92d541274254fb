//go:build !unix

package store

// fileID is empty where the file system gives no stable file identity; a
// restored copy is then detected only through Restore.
func fileID(string) string { return "" }
