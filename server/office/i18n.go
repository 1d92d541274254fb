package office

// lang is a language of the office pages.
type lang int

// The office pages speak Chinese first, English on request.
const (
	zh lang = iota
	en
)

func parseLang(s string) (lang, bool) {
	switch s {
	case "zh":
		return zh, true
	case "en":
		return en, true
	}
	return zh, false
}

func (l lang) String() string { return [...]string{"zh", "en"}[l] }

// T translates a key; a key missing from the table is shown as it is.
func (l lang) T(key string) string {
	if m, ok := messages[key]; ok {
		return m[l]
	}
	return key
}

func (l lang) has(key string) bool {
	_, ok := messages[key]
	return ok
}

// messages is every string of the office pages: Chinese, English. Keys built
// in templates: level.*, role.*, gender.*, category.*, attendance.*, kind.*
// (record kinds) and result.* (by Result.Status, in Chinese).
var messages = map[string][2]string{
	"html.lang": {"zh-Hans", "en"},
	"brand":     {"OneX 证书信息管理服务平台", "OneX central office"},
	"signin":    {"登录", "Sign in"},
	"signout":   {"退出", "Sign out"},
	"problems":  {"输入有误，未作任何更改：", "Refused; nothing was changed:"},
	"back":      {"返回首页", "Back to the office"},
	"none":      {"（无）", "(none)"},
	"yes":       {"是", "yes"},
	"no":        {"否", "no"},
	"upload":    {"上传", "Upload"},
	"credits":   {"学分", "credits"},

	"title.signin":    {"登录", "Sign in"},
	"title.error":     {"无法完成", "Could not be done"},
	"title.catalogue": {"证书目录", "Catalogue"},
	"title.papers":    {"试卷", "Papers"},
	"title.sites":     {"站点与设备", "Sites and devices"},
	"title.sessions":  {"考核", "Sessions"},
	"title.session":   {"考核详情", "Session"},
	"title.results":   {"成绩", "Results"},
	"title.audit":     {"审计日志", "Audit log"},
	"title.conflicts": {"冲突记录", "Conflicts"},

	"role.admin":     {"管理员", "administrator"},
	"role.staff":     {"评价组织工作人员", "organisation staff"},
	"role.marker":    {"阅卷人", "marker"},
	"role.inspector": {"督查人员", "inspector"},

	"level.elementary":     {"初级", "elementary"},
	"level.intermediate":   {"中级", "intermediate"},
	"level.advanced":       {"高级", "advanced"},
	"gender.male":          {"男", "male"},
	"gender.female":        {"女", "female"},
	"category.student":     {"在校学生", "student"},
	"category.public":      {"社会成员", "public learner"},
	"attendance.":          {"未签到", "no check-in"},
	"attendance.present":   {"出席", "present"},
	"attendance.late":      {"迟到", "late"},
	"attendance.absent":    {"缺考", "absent"},
	"kind.submission":      {"交卷", "submission"},
	"kind.check-in":        {"签到", "check-in"},
	"kind.practical-score": {"实操评分", "practical marks"},
	"result.合格":            {"合格", "pass"},
	"result.不合格":           {"不合格", "fail"},
	"result.待评分":           {"待评分", "awaiting marks"},
	"result.缺考":            {"缺考", "absent"},
	"result.未交卷":           {"未交卷", "not submitted"},

	"col.action":      {"操作", "Action"},
	"col.actor":       {"操作者", "By"},
	"col.attendance":  {"出勤", "Attendance"},
	"col.awaiting":    {"待评分题目", "Awaiting marks"},
	"col.category":    {"考生类别", "Category"},
	"col.certificate": {"证书", "Certificate"},
	"col.chain":       {"记录链", "Record chain"},
	"col.code":        {"代码", "Code"},
	"col.detail":      {"详情", "Detail"},
	"col.device":      {"设备", "Device"},
	"col.enrolled":    {"注册时间", "Enrolled"},
	"col.fee_exempt":  {"免考试费", "Fee exempt"},
	"col.gender":      {"性别", "Gender"},
	"col.hash":        {"哈希", "Hash"},
	"col.id_number":   {"证件号码", "ID number"},
	"col.imported":    {"导入时间", "Imported"},
	"col.last_seen":   {"最近联系", "Last seen"},
	"col.level":       {"等级", "Level"},
	"col.levels":      {"等级（合格线 / 学分）", "Levels (pass mark / credits)"},
	"col.name":        {"名称", "Name"},
	"col.candidate":   {"姓名", "Name"},
	"col.org":         {"培训评价组织", "Organisation"},
	"col.paper":       {"试卷", "Paper"},
	"col.reason":      {"原因", "Reason"},
	"col.received":    {"收到时间", "Received"},
	"col.record":      {"记录", "Record"},
	"col.records":     {"已收记录", "Records received"},
	"col.release":     {"发卷时间", "Release"},
	"col.result":      {"结果", "Result"},
	"col.review":      {"待核查", "To review"},
	"col.room":        {"考场", "Room"},
	"col.rooms":       {"考场", "Rooms"},
	"col.school":      {"院校", "School"},
	"col.score":       {"得分 / 满分", "Score / max"},
	"col.seat":        {"考场 座位", "Room, seat"},
	"col.session":     {"考核编号", "Session"},
	"col.site":        {"站点", "Site"},
	"col.skew":        {"时钟偏差", "Clock skew"},
	"col.start":       {"开考时间", "Start"},
	"col.submitted":   {"已交卷", "Submitted"},
	"col.ticket":      {"准考证号", "Ticket"},
	"col.time":        {"时间", "Time"},
	"col.title":       {"标题", "Title"},
	"col.version":     {"版本", "Version"},

	"field.user":           {"用户名", "User name"},
	"field.password":       {"密码", "Password"},
	"field.catalogue_file": {"目录文件（JSON）", "Catalogue file (JSON)"},
	"field.paper_file":     {"试卷文件（JSON）", "Paper file (JSON)"},
	"field.roster_file":    {"考生名单（CSV）", "Roster (CSV)"},
	"field.encoding":       {"文件编码", "Encoding"},
	"field.site":           {"站点", "Site"},
	"field.room":           {"考场", "Room"},
	"field.paper":          {"试卷", "Paper"},
	"field.start":          {"开考时间（北京时间）", "Start (China Standard Time)"},
	"field.release":        {"发卷时间（可空）", "Release (optional)"},
	"field.late":           {"迟到限制（分钟）", "Late limit (minutes)"},
	"encoding.auto":        {"自动识别（UTF-8 或 GB18030）", "Detect (UTF-8 or GB18030)"},

	"cat.organisations":     {"培训评价组织", "Organisations"},
	"cat.certificates":      {"职业技能等级证书", "Certificates"},
	"cat.sites":             {"考核站点", "Sites"},
	"cat.upload":            {"导入目录", "Import a catalogue"},
	"papers.upload":         {"导入试卷", "Import a paper"},
	"papers.hint":           {"试卷整份校验，有误则整份拒收并指明题目和字段。列表不显示试题。", "A paper is checked whole and refused whole, naming the item and field at fault. Lists never show questions."},
	"sites.enrol":           {"生成设备注册码", "Make an enrolment code"},
	"sites.identity":        {"中心身份", "Central's identity"},
	"sites.identity_hint":   {"把注册码连同下面的中心密钥指纹（或证书指纹）一起交给考点：考点首次运行时填入，只与这个中心建立信任。", "Give a site its enrolment code together with central's key fingerprint below (or the certificate's): typed at the site's first run, it makes the site trust this central and no other."},
	"sites.central_key":     {"中心密钥指纹", "Central's key fingerprint"},
	"sites.tls_cert":        {"TLS 证书 SHA-256", "TLS certificate SHA-256"},
	"sites.tls_key":         {"TLS 公钥 SHA-256（考点固定此项）", "TLS public key SHA-256 (what sites pin)"},
	"sites.no_tls":          {"中心本身不提供 TLS（明文 HTTP，或由前置 TLS 代理提供）", "central serves no TLS itself (plain HTTP, or a TLS proxy in front)"},
	"sites.no_devices":      {"尚无注册设备", "No device enrolled"},
	"sites.none":            {"目录中尚无站点", "No site in the catalogue"},
	"chain.ok":              {"完整", "complete"},
	"chain.gap":             {"缺失", "gap"},
	"chain.break":           {"断链", "break"},
	"skew.flag":             {"时钟偏差超过 5 分钟", "clock more than 5 minutes off"},
	"sessions.schedule":     {"安排考核", "Schedule a session"},
	"sessions.create":       {"安排", "Schedule"},
	"sessions.hint":         {"发卷时间留空则为开考前 10 分钟；迟到限制留空则为 15 分钟。", "An empty release time means 10 minutes before the start; an empty late limit means 15 minutes."},
	"session.unlock":        {"显示解锁码", "Show the unlock code"},
	"session.roster":        {"考生名单", "Roster"},
	"session.roster_upload": {"上传考生名单", "Upload a roster"},
	"session.roster_hint":   {"Excel 导出的 CSV（UTF-8 或 GB18030），表头为中文。有任何错误行则整份拒收，并逐行列出。", "CSV as Excel exports it (UTF-8 or GB18030) with the Chinese headers. A roster with any bad row is refused whole, every bad row listed."},
	"results.csv":           {"下载 CSV", "Download CSV"},
	"results.forced":        {"超时自动交卷", "forced at time"},
	"results.no_roster":     {"尚无考生名单", "No roster yet"},
	"results.warnings":      {"以下设备的记录链不完整，成绩可能缺少记录：", "These devices' record chains have problems; results may lack records:"},
	"audit.verified":        {"哈希链校验通过", "The hash chain verifies"},
	"audit.broken":          {"哈希链校验失败", "The hash chain is broken"},
	"audit.shown":           {"显示最近 %d 条，共 %d 条", "Newest %d of %d entries"},
	"conflicts.hint":        {"同一记录编号或链位置收到了不同内容；原记录保留，冲突留待审核。", "Records whose id or chain position arrived again with other content; the original is kept, the conflict waits for review."},
	"conflicts.records":     {"记录编号或链位置冲突", "Record id and chain conflicts"},
	"disputes.hint":         {"中心已收到某考生的交卷、签到或实操评分后，又收到另一条（另一台设备、另一存储纪元，或第二次交卷）：两条都保留，成绩按中心先收到的记录计算，直到考核办公室裁决。设备时间不作依据；请核对考生的回执码、考点的书面说明和考场记录。裁决不可更改，并记入审计日志。", "Central held a candidate's submission, check-in or practical marks when another record of it came (from another device, another store epoch, or a second submission): both are kept, and results follow the record central held until the office decides. Device times decide nothing: check the candidate's receipt code, the site's written account and the room's log. A decision is final and written to the audit log."},
	"disputes.open":         {"冲突待裁决", "Open: to decide"},
	"disputes.decided":      {"已裁决", "Decided"},
	"disputes.kept_held":    {"保留原记录", "kept the record held"},
	"disputes.took_other":   {"采用另一记录", "took the other record"},
	"disputes.held":         {"中心原有的记录（成绩现按此计算）", "Record held (results follow it)"},
	"disputes.other":        {"另一记录", "Other record"},
	"disputes.made":         {"作出时间", "Made"},
	"disputes.receipt_code": {"回执码", "Receipt code"},
	"disputes.answered":     {"已作答题数", "Items answered"},
	"disputes.marks":        {"评分 · 考评员", "Marks · examiner"},
	"disputes.keep_held":    {"保留原记录", "Keep the record held"},
	"disputes.take_other":   {"采用另一记录", "Take the other record"},
	"disputes.why":          {"裁决理由", "Reason"},
	"disputes.decide":       {"裁决", "Decide"},
	"results.open":          {"本场有 %d 项冲突待裁决，成绩暂按中心先收到的记录计算：", "%d conflicts of this session are open; results follow the records central held until they are decided:"},
	"results.conflict":      {"冲突待裁决", "conflict to decide"},
	"flag.text":             {"时间存疑：设备时间 %s %s，不予采信；%s", "time in doubt: the device time %s %s and is not trusted; %s"},
	"flag.early":            {"早于发卷时间", "is before the paper's release"},
	"flag.late":             {"晚于本场考核可能结束的时间", "is after the session could have ended"},
	"flag.estimate":         {"按实测设备时钟偏差 %s 推算作于 %s，中心收到于 %s", "by the device clock's measured skew of %s it was made about %s; central received it %s"},
	"flag.received":         {"以中心收到时间 %s 为准（实测设备时钟偏差 %s）", "central's time of receipt, %s, stands (device clock skew measured: %s)"},
	"flag.no_skew":          {"以中心收到时间 %s 为准（未测得设备时钟偏差）", "central's time of receipt, %s, stands (device clock skew not measured)"},

	"secret.enrol":   {"站点 %s 的设备注册码（一次性）：", "One-time enrolment code for site %s:"},
	"secret.unlock":  {"考核 %s 的解锁码：", "Unlock code of session %s:"},
	"secret.until":   {"有效期至", "Valid until"},
	"secret.audited": {"每次显示均记入审计日志。", "Every showing is written to the audit log."},

	"done.catalogue_imported": {"目录已导入。", "The catalogue was imported."},
	"done.paper_imported":     {"试卷已导入。", "The paper was imported."},
	"done.roster_imported":    {"考生名单已导入。", "The roster was imported."},
	"done.session_created":    {"考核已安排。", "The session was scheduled."},
	"done.decided":            {"已裁决，成绩按裁决计算。", "Decided; results follow the decision."},

	"err.csrf":                {"表单已过期或来源不明，请刷新页面后重试。", "The form has expired or did not come from this site; reload the page and try again."},
	"err.role":                {"您的角色无权进行此操作。", "Your role does not allow this."},
	"err.signed_out":          {"请先登录。", "Please sign in first."},
	"err.internal":            {"服务器内部错误，已记录。", "Internal error; it has been logged."},
	"err.too_big":             {"上传内容超过 %d MiB。", "The upload is larger than %d MiB."},
	"err.no_file":             {"请选择要上传的文件。", "Choose a file to upload."},
	"err.credentials_missing": {"请输入用户名和密码。", "Enter your user name and password."},
	"err.credentials_wrong":   {"用户名或密码错误。", "Wrong user name or password."},
	"err.throttled":           {"失败次数过多，请于 %s 后再试（还需 %d 秒）。", "Too many failed attempts: try again after %s (%d s from now)."},
	"err.unknown_action":      {"未知操作。", "Unknown action."},
	"err.site_missing":        {"站点：未填写", "site: missing"},
	"err.room_missing":        {"考场：未填写", "room: missing"},
	"err.paper_missing":       {"试卷：未选择", "paper: missing"},
	"err.paper_ref":           {"试卷：%q 不是“编号@版本”", "paper: %q is not id@version"},
	"err.start_missing":       {"开考时间：未填写", "start: missing"},
	"err.start_past":          {"开考时间：%s 已经过去", "start: %s is in the past"},
	"err.time":                {"%s：%q 不是日期时间", "%s: %q is not a date and time"},
	"err.late":                {"迟到限制：%q 不是 1 到 240 之间的分钟数", "late limit: %q is not a number of minutes from 1 to 240"},
	"err.paper_release":       {"发卷时间：试卷 %s 第 %d 版的发卷时间已定为 %s（考核 %s）。同一版本试卷的各场考核须同时发卷，否则先发卷的考核会泄露其他考核的试题：请填写该发卷时间，或改用其他版本的试卷", "release: paper %s version %d is released at %s (session %s). All sessions of one paper version are released at the same time, or the first released would give away the others' questions: give that release time, or another version of the paper"},
	"err.paper_released":      {"试卷：%s 第 %d 版已于 %s 发卷（考核 %s），试题已不再保密：请改用其他版本的试卷", "paper: %s version %d was released at %s (session %s), so its questions are out: schedule another version of the paper"},
	"err.dispute":             {"冲突编号 %q 无效", "conflict: %q is not a conflict number"},
	"err.keep":                {"裁决：请选择保留原记录或采用另一记录", "decision: choose to keep the record held or to take the other"},
	"err.why_missing":         {"裁决理由：未填写", "reason: missing"},
	"err.why_long":            {"裁决理由：超过 2000 字", "reason: longer than 2000 characters"},
	"err.changed":             {"冲突 %d：中心原有的记录刚被其设备更正，请查看后重新裁决", "conflict %d: the record held was just corrected by its device; look again and decide"},
	"err.decided":             {"冲突 %d 已裁决（%s，%s），裁决不可更改", "conflict %d was decided already (%s, %s); a decision is final"},
}
