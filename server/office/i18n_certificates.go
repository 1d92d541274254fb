package office

import "maps"

// certificateMessages are the office's keys of certificates (issue 16):
// issuing them per session, the list, a certificate's page, its downloads
// and its status (cstatus.* by credential.Status).
var certificateMessages = map[string][2]string{
	"title.certificates":         {"证书", "Certificates"},
	"title.session_certificates": {"本场证书", "Certificates of the session"},
	"title.certificate":          {"证书详情", "Certificate"},

	"cstatus.valid":     {"有效", "valid"},
	"cstatus.suspended": {"暂停", "suspended"},
	"cstatus.revoked":   {"已撤销", "revoked"},

	"certs.issue_title": {"颁发证书", "Issue certificates"},
	"certs.issue_hint": {"为本场每个已审定或已发布、成绩合格且未缺考、尚无证书的考生颁发一张证书（每人每场只颁发一次）；其余考生列出未颁发的原因。证书以中心的发证密钥签名，可在 /verify 公开查验。",
		"Issues one certificate to each candidate of the session whose result is approved or published, passed and not absent, and who has none yet (once per candidate and session, ever); every other candidate is listed with why. Certificates are signed with central's issuer key and anyone can check them at /verify."},
	"certs.issue":          {"颁发证书", "Issue certificates"},
	"certs.issued":         {"本次颁发 %d 张证书。", "%d certificates issued now."},
	"certs.skipped":        {"未颁发 %d 人：", "%d not issued:"},
	"certs.why":            {"原因", "Why"},
	"certs.list":           {"已颁发的证书", "Certificates issued"},
	"certs.no_names":       {"您的角色不查看考生名单，故不显示持证人姓名、二维码与证书文件。", "Your role reads no roster: holders' names, QR codes and certificate files are not shown."},
	"certs.number":         {"证书编号", "Number"},
	"certs.holder":         {"持证人", "Holder"},
	"certs.level":          {"等级", "Level"},
	"certs.issued_at":      {"发证时间", "Issued"},
	"certs.status":         {"状态", "Status"},
	"certs.certificate":    {"证书", "Certificate"},
	"certs.org":            {"发证机构", "Issued by"},
	"certs.key":            {"发证密钥", "Issuer key"},
	"certs.index":          {"状态列表序号", "status list index"},
	"certs.qr":             {"证书二维码", "The certificate's QR code"},
	"certs.pdf":            {"下载证书 PDF", "Download the PDF"},
	"certs.vc":             {"下载可验证凭证（VC）", "Download the verifiable credential (VC)"},
	"certs.downloads_hint": {"PDF 为打印用的证书（含二维码）；可验证凭证为 W3C VC 2.0 / Open Badges 3.0 格式（VC-JOSE），供数字钱包与其他平台使用。", "The PDF is the printed certificate with its QR code; the verifiable credential is a W3C VC 2.0 / Open Badges 3.0 credential (VC-JOSE), for wallets and other platforms."},
	"certs.change":         {"更改证书状态", "Change the certificate's status"},
	"certs.change_hint":    {"撤销为最终决定，不可恢复；暂停的证书可恢复。须填写原因。状态列表随即更新，在线查验立即可见，离线查验在考点下次下载状态列表后可见。", "Revoking is final; a suspended certificate can be reinstated. A reason is required. The status list changes at once: online checks see it now, offline checks once the site downloads the next status list."},
	"certs.to":             {"操作", "Change"},
	"certs.revoke":         {"撤销", "revoke"},
	"certs.suspend":        {"暂停", "suspend"},
	"certs.reinstate":      {"恢复有效", "reinstate"},
	"certs.reason":         {"原因", "Reason"},
	"certs.change_submit":  {"确认更改", "Change it"},
	"certs.history":        {"证书记录（审计日志）", "History (audit log)"},
	"certs.find":           {"查找", "Find"},
	"certs.index_hint":     {"输入证书编号查看证书，或从考核进入本场证书。", "Type a certificate's number to open it, or open a session's certificates."},

	"certs.keys": {"发证密钥", "Issuer keys"},
	"certs.keys_hint": {"信任列表中的每个发证密钥及其有效期：证书由签发时有效的密钥签名。更换密钥后，新证书由新密钥签名；已颁发的证书仍然有效。密钥可能泄露、或能读取密钥文件的人员离职时，请更换。考点下次下载信任列表后，离线也能验证新密钥签发的证书。",
		"Every issuer key of the trust list with its window: a certificate is signed by the key valid when it is issued. After a rotation new certificates are signed by the new key; those issued stay valid. Rotate when a key may have leaked, or when staff who could read the key file leave. Sites verify the new key's certificates offline once they download the next trust list."},
	"certs.key_from":       {"启用", "From"},
	"certs.key_until":      {"停用", "Until"},
	"certs.key_current":    {"当前", "current"},
	"certs.audited":        {"此操作记入审计日志。", "Written to the audit log."},
	"certs.rotate":         {"更换发证密钥", "Rotate the issuer key"},
	"done.issuer_rotated":  {"已更换发证密钥：新证书由新密钥签名。", "The issuer key is rotated: new certificates are signed by the new key."},
	"done.certified":       {"已颁发证书，见下方结果。", "Certificates issued; see below."},
	"done.cert_revoked":    {"证书已撤销。", "The certificate is revoked."},
	"done.cert_suspended":  {"证书已暂停。", "The certificate is suspended."},
	"done.cert_reinstated": {"证书已恢复有效。", "The certificate is valid again."},
	"err.cert_status":      {"请选择要进行的操作（撤销、暂停或恢复）", "Choose what to do: revoke, suspend or reinstate"},
	"err.cert_change":      {"证书现为“%s”，不能这样更改：撤销为最终决定，只有暂停的证书可以恢复", "The certificate is %s now and cannot change so: revoking is final, and only a suspended certificate is reinstated"},
	"err.cert_reason":      {"请填写原因", "Give the reason"},
	"err.cert_reason_long": {"原因不能超过 %d 个字", "The reason may be at most %d characters"},
}

func init() { maps.Copy(messages, certificateMessages) }
