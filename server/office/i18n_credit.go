package office

import "maps"

// creditMessages are the office's keys of the credit bank (issue 17): the
// rule sets, a learner's account, the applications and their decisions, a
// school's preview; astate.* by credit.State, cwhy.* by credit.Reason.
var creditMessages = map[string][2]string{
	"title.credit":              {"学分银行", "Credit bank"},
	"title.credit_rules":        {"转换规则", "Conversion rules"},
	"title.credit_account":      {"学习账户", "Learning account"},
	"title.credit_applications": {"学分认定申请", "Credit applications"},
	"title.credit_school":       {"院校转换预览", "What would convert at a school"},

	"done.credit_rules":    {"转换规则已导入为新版本。", "The rule file is kept as a new version."},
	"done.credit_applied":  {"已提交学分认定申请。", "The application is made."},
	"done.credit_approved": {"申请已批准，学分已认定。", "Approved: the credits are granted."},
	"done.credit_refused":  {"申请已拒绝。", "Refused."},

	"err.credit_no_account":  {"没有这个证件号码的学习账户。", "No learning account has this ID number."},
	"err.credit_not_offered": {"该转换当前不再可申请，请刷新账户后重试。", "That conversion is no longer offered; reload the account and try again."},
	"err.credit_reason":      {"请填写批准或拒绝的理由。", "Give the reason for the approval or the refusal."},
	"err.credit_decision":    {"请选择批准或拒绝。", "Choose approve or refuse."},
	"err.credit_stale":       {"该转换已不再可认定（规则、证书或其他认定已改变），申请仍待处理；请学习者按当前可转换的内容重新申请。", "That conversion is no longer offered (the rules, a certificate or another approval changed it); the application stays applied. The learner applies again for what is offered now."},

	"credit.intro": {"学分银行为每位学习者建立学习账户：证书颁发后自动存入，院校导入已修课程；按版本化的转换规则计算可转换的学分，经申请与认定后计入。",
		"The credit bank keeps a learning account per learner: certificates go in as they are issued, schools import courses passed; versioned conversion rules say what converts, and an application once approved grants the credits."},
	"credit.find":        {"查找学习账户", "Find a learning account"},
	"credit.id_number":   {"证件号码", "ID number"},
	"credit.find_submit": {"查找", "Find"},
	"credit.find_hint":   {"按证件号码查找；号码不保存、不出现在网址中，账户以其密钥派生的编号标识。", "By ID number: it is neither kept nor put in an address; the account is named by an id derived under central's key."},
	"credit.rule_sets":   {"转换规则版本", "Rule set versions"},
	"credit.version":     {"版本", "Version"},
	"credit.rules_count": {"规则数", "Rules"},
	"credit.imported_by": {"导入人", "Imported by"},
	"credit.imported_at": {"导入时间", "Imported"},
	"credit.upload":      {"导入转换规则文件", "Import a rule file"},
	"credit.rule_file":   {"规则文件（onex-credit-rules/1，JSON）", "Rule file (onex-credit-rules/1, JSON)"},
	"credit.upload_hint": {"版本号须高于已有的所有版本；文件有任何错误即整体拒绝，并逐条列出行号、规则与字段。导入记入审计日志。",
		"Its version must be above every version kept; a file with any problem is refused whole, each problem listed by line, rule and field. Imports are audited."},
	"credit.upload_submit": {"导入", "Import"},
	"credit.rule":          {"规则", "Rule"},
	"credit.certificate":   {"证书", "Certificate"},
	"credit.level":         {"等级", "Level"},
	"credit.min_score":     {"最低成绩", "Minimum score"},
	"credit.course":        {"课程", "Course"},
	"credit.credits":       {"学分", "Credits"},
	"credit.valid_from":    {"生效日", "Valid from"},
	"credit.valid_to":      {"截止日", "Valid to"},
	"credit.open":          {"长期", "open"},

	"credit.learner":      {"学习者", "Learner"},
	"credit.account":      {"账户编号", "Account"},
	"credit.credits_held": {"已有学分", "Credits held"},
	"credit.rule_set":     {"规则版本 · 计算日", "Rule set · as of"},
	"credit.no_rules":     {"尚未导入规则", "no rules imported yet"},
	"credit.certificates": {"证书", "Certificates"},
	"credit.score":        {"成绩", "Score"},
	"credit.courses":      {"已修课程", "Courses passed"},
	"credit.passed":       {"通过日期", "Passed"},
	"credit.conversions":  {"学分转换", "Conversions"},
	"credit.outcome":      {"学习成果", "Outcome"},
	"credit.granted":      {"已认定", "granted"},
	"credit.offered":      {"可申请", "offered"},
	"credit.apply":        {"代为申请", "Apply on the learner's behalf"},
	"credit.application":  {"申请", "Application"},
	"credit.history":      {"经过", "History"},

	"credit.all":      {"全部", "All"},
	"credit.filter":   {"筛选", "Filter"},
	"credit.no_names": {"您的角色不查看名单，故只显示账户编号。", "Your role reads no roster: accounts are shown by id only."},
	"credit.decide":   {"认定", "Decision"},
	"credit.reason":   {"理由（必填）", "Reason (required)"},
	"credit.approve":  {"批准", "Approve"},
	"credit.refuse":   {"拒绝", "Refuse"},
	"credit.audited":  {"每项申请与认定（何人、何时、理由）记入审计日志。", "Every application and decision (who, when, why) is in the audit log."},

	"credit.school_hint":      {"按现行规则，该院校的每门课程可向多少学习者转换学分（新的与已认定的）。", "Under the rules in force, per course of the school: how many learners it would credit now, and is crediting already."},
	"credit.preview":          {"预览", "Preview"},
	"credit.learners_new":     {"可新转换人数", "Learners, new"},
	"credit.learners_granted": {"已认定人数", "Learners, granted"},
	"credit.new_credits":      {"可新转换学分", "New credits"},
	"credit.granted_credits":  {"已认定学分", "Granted credits"},

	"astate.applied":   {"待认定", "applied"},
	"astate.approved":  {"已批准", "approved"},
	"astate.refused":   {"已拒绝", "refused"},
	"astate.withdrawn": {"已撤回", "withdrawn"},
	"astate.revoked":   {"已撤销", "revoked"},

	"cwhy.no-rule": {"无对应证书与等级的规则", "no rule for its certificate and level"},
	"cwhy.score":   {"成绩低于各规则的最低要求", "score below every rule's minimum"},
	"cwhy.window":  {"取得日期不在规则有效期内", "earned outside every rule's window"},
	"cwhy.later":   {"晚于计算日", "dated after the day of the conversion"},
	"cwhy.taken":   {"可转换课程已通过、已认定或已由其他成果转换", "every course it could convert to is passed, credited or taken"},
}

func init() { maps.Copy(messages, creditMessages) }
