package office

import "maps"

// markpagesMessages are the marking pages' keys (issue 15): the marker's
// page, the lead's pages, and their errors.
var markpagesMessages = map[string][2]string{
	"title.mark":         {"评卷", "Marking"},
	"title.mark_nothing": {"暂无待评试卷", "Nothing to mark"},
	"title.mark_paused":  {"评卷已暂停", "Marking paused"},
	"title.lead":         {"题组长", "Lead marker"},
	"title.lead_task":    {"题组长评定", "Lead's decision"},

	"done.marked":    {"评分已提交。", "Marks given."},
	"done.flagged":   {"已作为问题卷交题组长处理。", "Sent to the lead as a problem script."},
	"done.task_gone": {"该份已评定或已收回，未重复评分。", "That one was done already or went back to the queue; nothing was marked twice."},

	"err.no_file_here": {"没有这个文件", "No such file"},
	"err.no_task":      {"没有这份评卷任务", "No such marking task"},
	"err.not_yours":    {"这份试卷不在您名下（可能超时已收回）。请回到评卷页取下一份。", "This script is not yours to mark (it may have timed out and gone back to the queue). Go back to the marking page for the next one."},
	"err.task_done":    {"这份评卷任务已完成", "This marking task is done already"},
	"err.mark_number":  {"第 %d 项：“%s”不是数字", "criterion %d: “%s” is not a number"},
	"err.mark_range":   {"第 %d 项：%s 超出 0 到 %v", "criterion %d: %s is outside 0 to %v"},
	"err.mark_step":    {"第 %d 项：%s 不是 %v 分的整数倍", "criterion %d: %s is not a multiple of %v"},
	"err.lead_note":    {"请填写评定说明", "A note is required"},
	"err.problem":      {"请选择问题类型", "Choose what the problem is"},
	"err.flag_note":    {"疑似违纪须填写说明", "Suspected misconduct needs a note"},

	"mark.counts":      {"您已评 %d 份 · 待评 %s 份", "You have marked %d · %s waiting"},
	"mark.script":      {"试卷编号", "Script"},
	"mark.stem":        {"题目", "Question"},
	"mark.reference":   {"参考答案", "Reference answer"},
	"mark.response":    {"考生作答", "Response"},
	"mark.keys":        {"键盘评分：输入数字，Tab 或回车到下一项，最后一项回车提交。", "Keyboard: type the mark, Tab or Enter for the next criterion, Enter on the last to submit."},
	"mark.max":         {"满分", "Out of"},
	"mark.submit":      {"提交评分", "Submit marks"},
	"mark.flag":        {"问题卷（访问键 F）", "Flag a problem (access key F)"},
	"mark.problem":     {"问题类型", "Problem"},
	"mark.note":        {"说明", "Note"},
	"mark.flag_submit": {"提交问题卷", "Send to the lead"},
	"mark.paused":      {"您的评卷已被题组长暂停。请与题组长联系。", "Your marking has been paused by the lead marker. Please speak to the lead."},
	"mark.nothing":     {"目前没有待评的试卷。稍后再来看看。", "There is nothing to mark right now. Look again later."},
	"mark.again":       {"再看一次", "Look again"},

	"problem.blank":      {"空白卷", "blank"},
	"problem.illegible":  {"无法辨认或乱码", "illegible or garbled"},
	"problem.off-topic":  {"答非所问", "off-topic"},
	"problem.misconduct": {"疑似违纪（如雷同）", "suspected misconduct (e.g. identical answers)"},

	"purpose.first":     {"初评", "first mark"},
	"purpose.second":    {"二评", "second mark"},
	"purpose.third":     {"三评", "third mark"},
	"purpose.arbitrate": {"仲裁", "arbitration"},
	"purpose.problem":   {"问题卷", "problem script"},
	"purpose.remark":    {"回评", "re-mark"},
	"purpose.moderate":  {"复评", "moderation"},
	"purpose.appeal":    {"复核", "appeal"},

	"lead.hint":       {"问题卷与仲裁卷，按处理顺序。只显示试卷编号，不显示考生。", "Problem scripts and arbitrations, in hand-out order. Scripts are shown by their id only, never the candidate."},
	"lead.next":       {"处理下一份", "Take the next one"},
	"lead.why":        {"类型", "Why"},
	"lead.since":      {"提交时间", "Since"},
	"lead.held":       {"处理人", "Held by"},
	"lead.marks":      {"已给分数", "Marks given so far"},
	"lead.marker":     {"评卷人", "Marker"},
	"lead.purpose":    {"评次", "Mark"},
	"lead.total":      {"总分", "Total"},
	"lead.when":       {"时间", "When"},
	"lead.seconds":    {"用时（秒）", "Seconds"},
	"lead.flagged":    {"问题卷：", "Flagged by"},
	"lead.voided":     {"已作废", "voided"},
	"lead.final_hint": {"题组长给出的分数为最终分数。逐项输入，回车到下一项；须填写说明。", "The lead's mark is final. Type each criterion, Enter for the next; a note is required."},
	"lead.note":       {"评定说明", "Note"},
	"lead.submit":     {"提交最终分数", "Give the final mark"},
}

func init() { maps.Copy(messages, markpagesMessages) }
