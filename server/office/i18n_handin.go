package office

import "maps"

// handInMessages are the hand-in pages' strings (issue 15).
var handInMessages = map[string][2]string{
	"title.handin":      {"提交的文件", "Handed-in files"},
	"handin.name":       {"文件名", "File name"},
	"handin.size":       {"大小（字节）", "Size (bytes)"},
	"handin.download":   {"下载", "Download"},
	"handin.incomplete": {"尚不完整", "Not complete yet"},
	"handin.none":       {"考生未提交文件。", "The candidate handed in no files."},
	"handin.no_items":   {"本试卷没有文件提交题。", "This paper has no hand-in items."},
	"handin.files":      {"文件", "Files"},
}

func init() { maps.Copy(messages, handInMessages) }
