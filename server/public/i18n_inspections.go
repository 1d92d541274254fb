package public

import "maps"

// inspectionMessages are the keys of the public inspections page (issue
// 17, 一公开); check.* by inspect.Checklist, outcome.* by an inspected
// site's status.
var inspectionMessages = map[string][2]string{
	"insp.title": {"双随机抽查结果公开", "Random inspections: results"},
	"insp.intro": {"按“双随机、一公开”，考点与检查人员均随机抽取，结果在此公开。每次抽取前先发布承诺：名录的哈希、抽查计划，以及将用作随机种子的未来公开数值（如彩票开奖号码）；数值公布后录入并抽取，抽取记录与名录在此公开。",
		"Under “double random, one public”, both the sites and the inspectors are drawn at random, and the results are published here. Before each draw a commitment is published: the registers' hash, the plan, and which future public values (a lottery's numbers, say) will seed the draw; once the values are published they are typed in and the draw is made, and its transcript and the registers are published here."},
	"insp.how": {"任何人均可复核：下载抽取记录与两份名录，用 onex-central inspection verify 离线重做抽取（算法见 exam/inspect/FORMAT.md，标准库即可实现）。承诺的发布时间早于公开数值的产生，是抽取无法被事先操纵的依据。",
		"Anyone can check a draw: download the transcript and the two registers, and re-run the draw offline with onex-central inspection verify (the algorithm is in exam/inspect/FORMAT.md; a standard library suffices). That the commitment was published before the public values existed is what shows the draw could not be steered."},
	"insp.draw_title":      {"第 %d 次抽取", "Draw %d"},
	"insp.drawn":           {"已抽取", "drawn"},
	"insp.awaiting":        {"已承诺，待公开数值", "committed, awaiting the public values"},
	"insp.committed_at":    {"承诺发布", "Committed"},
	"insp.commitment_hash": {"承诺哈希（SHA-256）", "Commitment hash (SHA-256)"},
	"insp.plan":            {"抽查计划", "Plan"},
	"insp.plan_text":       {"抽取考点 %d%%（至少 %d 个），每个考点 %d 名检查人员", "sites drawn: %d%%, at least %d; %d inspectors per site"},
	"insp.registers":       {"名录", "Registers"},
	"insp.reg_count":       {"考点 %d 个，检查人员 %d 名", "%d sites, %d inspectors"},
	"insp.sources":         {"随机种子所用的公开数值", "Public values that seed the draw"},
	"insp.source_numbers":  {"%s（数字 %d 个）", "%s (%d numbers)"},
	"insp.source_text":     {"%s（文字）", "%s (text)"},
	"insp.get_commitment":  {"承诺原文（JSON）", "Commitment (JSON)"},
	"insp.get_sites":       {"考点名录（CSV）", "Sites register (CSV)"},
	"insp.get_inspectors":  {"检查人员名录（CSV）", "Inspectors register (CSV)"},
	"insp.get_registers":   {"名录原文（规范 JSON，哈希即其 SHA-256）", "Registers (canonical JSON; the hash is its SHA-256)"},
	"insp.get_transcript":  {"抽取记录（JSON）", "Transcript (JSON)"},
	"insp.drawn_at":        {"抽取", "Drawn"},
	"insp.values":          {"公开数值（规范形式）", "Public values (normal form)"},
	"insp.key":             {"规范串（RFC 3797）", "Key string (RFC 3797)"},
	"insp.seed":            {"随机种子", "Seed"},
	"insp.verify_how":      {"下载上面三个文件后，复核命令：", "With the three files above downloaded, check the draw:"},
	"insp.site":            {"考点", "Site"},
	"insp.inspectors":      {"检查人员编号", "Inspectors (IDs)"},
	"insp.date":            {"检查日期", "Inspected"},
	"insp.outcome":         {"检查结果", "Outcome"},
	"insp.deadline":        {"整改期限", "Rectify by"},
	"insp.closed":          {"已整改", "rectified"},
	"insp.open":            {"整改中", "open"},
	"insp.not_yet":         {"公开数值公布后即抽取，结果将在此公开。", "The draw is made once the public values are published; its result will be here."},
	"insp.colon":           {"：", ": "},
	"insp.sep":             {"、", ", "},
	"insp.none":            {"尚无抽查。", "No inspections yet."},

	"outcome.drawn":      {"待检查", "not yet inspected"},
	"outcome.passed":     {"合格", "passed"},
	"outcome.rectifying": {"限期整改", "to rectify"},
	"outcome.rectified":  {"已整改", "rectified"},
}

func init() { maps.Copy(messages, inspectionMessages) }
