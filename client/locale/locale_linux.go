//go:build linux && cgo

package locale

/*
#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

static const char *set_ctype(const char *name) { return setlocale(LC_CTYPE, name); }
static int ctype_utf8(void) { return strcmp(nl_langinfo(CODESET), "UTF-8") == 0; }
*/
import "C"

import "unsafe"

// UTF8 makes the process's LC_CTYPE a UTF-8 locale: the environment's when
// it is one, else the first of Fallbacks this machine has; ErrNoUTF8 when
// there is none (LC_CTYPE is then the environment's). Call it before any
// other thread uses the C library's locale: before Fyne starts.
func UTF8() (Result, error) { return utf8Ctype(libc{}) }

// libc is the C library's LC_CTYPE.
type libc struct{}

func (libc) set(name string) (string, bool) {
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	got := C.set_ctype(cs)
	if got == nil {
		return "", false
	}
	return C.GoString(got), true
}

func (libc) utf8() bool { return C.ctype_utf8() != 0 }
