package office

import "maps"

// feeMessages are the office's keys of fee exemption (issue 17): the
// statement, the per-candidate list, changing an exemption, and the kinds
// (feekind.* by exam.FeeKind).
var feeMessages = map[string][2]string{
	"title.fees":         {"考试费统计", "Fee statement"},
	"title.session_fees": {"本场考试费", "Fees of the session"},

	"feekind.registered-poor": {"建档立卡", "registered poor household"},
	"feekind.subsistence":     {"低保", "subsistence allowance"},
	"feekind.destitute":       {"特困供养", "destitute support"},
	"feekind.disability":      {"残疾", "disability"},
	"feekind.other":           {"其他", "other"},
	"feekind.unspecified":     {"未注明", "unspecified"},

	"fees.org":            {"培训评价组织", "Organisation"},
	"fees.any":            {"全部", "all"},
	"fees.from":           {"开考日期自", "Starting from"},
	"fees.to":             {"至", "to"},
	"fees.show":           {"统计", "Show"},
	"fees.hint":           {"每场考核的考生人数、按类别的免考人数与应缴人数；证书等级在目录中定有收费标准时，另算应缴金额（按目录当前标准）。下载的 CSV 可直接用 Excel 打开。", "Per session: candidates, the exempt by kind, and those who pay; when the catalogue gives the certificate level's fee, the amount payable too (at the catalogue's fee as it is now). The CSV opens in Excel."},
	"fees.csv":            {"下载统计表（CSV）", "Download the statement (CSV)"},
	"fees.candidates_csv": {"下载考生明细（CSV，含姓名）", "Download the candidates (CSV, with names)"},
	"fees.certificate":    {"证书", "Certificate"},
	"fees.candidates":     {"考生人数", "Candidates"},
	"fees.exempt":         {"免考人数", "Exempt"},
	"fees.payable":        {"应缴人数", "Paying"},
	"fees.fee":            {"收费标准(元)", "Fee (yuan)"},
	"fees.amount":         {"应缴金额(元)", "Payable (yuan)"},
	"fees.subtotal":       {"小计", "Subtotal"},
	"fees.total":          {"合计", "Total"},
	"fees.exempt_list":    {"免考考生", "Exempt candidates"},
	"fees.kind":           {"免费类别", "Kind of exemption"},
	"fees.no_names":       {"您的角色不查看考生名单，故只显示人数。", "Your role reads no roster: only the counts are shown."},
	"fees.change":         {"更改免考", "Change an exemption"},
	"fees.change_hint":    {"按准考证号更改考生的免考类别或取消免考，须填写原因（如证明材料）。只在中心生效，不改变已下载到考点的考核包；本场名单重新导入时以新名单为准。", "Change a candidate's kind of exemption, or end it, by ticket, with a reason (such as the evidence). It changes central's records only, not the package a site downloaded; a roster imported again for the session replaces it."},
	"fees.kind_none":      {"不免（缴费）", "none (pays)"},
	"fees.reason":         {"原因", "Reason"},
	"fees.change_submit":  {"更改", "Change"},

	"done.exemption_changed": {"免考已更改，并记入审计日志。", "The exemption is changed and written to the audit log."},
	"err.fee_day":            {"日期“%s”不是 YYYY-MM-DD", "The day “%s” is not YYYY-MM-DD"},
	"err.fee_kind":           {"请选择免费类别，或选择不免", "Choose a kind of exemption, or none"},
	"err.fee_ticket":         {"请填写准考证号", "Give the ticket number"},
	"err.fee_reason":         {"请填写原因", "Give the reason"},
	"err.fee_reason_long":    {"原因不能超过 %d 个字", "The reason may be at most %d characters"},
}

func init() { maps.Copy(messages, feeMessages) }
