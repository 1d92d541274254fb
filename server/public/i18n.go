package public

// lang is a language of the verification page: Chinese first, English with
// ?lang=en (kept in the page's links and forms; no cookie). The receipt page
// shows both side by side.
type lang int

const (
	zh lang = iota
	en
)

func parseLang(s string) lang {
	if s == "en" {
		return en
	}
	return zh
}

// T translates a key; a key missing from the table is shown as it is (the
// test of the table finds it first).
func (l lang) T(key string) string {
	if m, ok := messages[key]; ok {
		return m[l]
	}
	return key
}

// Query is the lang= parameter that keeps a link in this language, or
// nothing for Chinese.
func (l lang) Query() string {
	if l == en {
		return "en"
	}
	return ""
}

// messages is every string of the verification page: Chinese, English.
// Keys built in the template: level.* (exam.Level), status.* (the
// credential status's String).
var messages = map[string][2]string{
	"html.lang":  {"zh-Hans", "en"},
	"brand":      {"OneX 证书信息管理服务平台", "OneX certificate platform"},
	"other.lang": {"English", "中文"},
	"other.code": {"en", "zh"},
	"title":      {"证书查验", "Verify a certificate"},
	"intro": {"任何人均可在此查验 OneX 颁发的职业技能等级证书：输入证书编号和持证人姓名，或粘贴证书二维码中的文字（以 OX1: 开头）。本页只显示证书上印有的内容及其当前状态。",
		"Anyone may verify a OneX vocational skills certificate here: type the certificate number and the holder's name, or paste the text of the certificate's QR code (it starts OX1:). The page shows only what the certificate states and its status now."},
	"by.number":    {"按证书编号与姓名查验", "By certificate number and name"},
	"field.number": {"证书编号", "Certificate number"},
	"field.name":   {"持证人姓名", "Holder's name"},
	"by.text":      {"按二维码文字查验", "By the QR code's text"},
	"field.text":   {"二维码文字", "QR code text"},
	"text.hint": {"用扫码软件读出证书二维码，把读出的全部文字粘贴于此。离线查验请用考点的 onex-site verify。",
		"Read the certificate's QR code with any scanner app and paste all of its text here. To verify offline, use onex-site verify at a site."},
	"submit": {"查验", "Verify"},

	"col.number": {"证书编号", "Certificate number"},
	"col.holder": {"持证人", "Holder"},
	"col.cert":   {"证书", "Certificate"},
	"col.level":  {"等级", "Level"},
	"col.org":    {"培训评价组织", "Training evaluation organisation"},
	"col.site":   {"考点", "Exam site"},
	"col.issued": {"颁发日期", "Issued"},
	"col.status": {"状态", "Status"},
	"col.asof":   {"状态截至", "Status as of"},
	"beijing":    {"（北京时间）", " (Beijing time)"},

	"level.elementary":   {"初级", "elementary"},
	"level.intermediate": {"中级", "intermediate"},
	"level.advanced":     {"高级", "advanced"},

	"status.valid":     {"有效", "valid"},
	"status.revoked":   {"已撤销", "revoked"},
	"status.suspended": {"已暂停", "suspended"},

	"says.valid": {"证书有效：OneX 颁发了这张证书，目前有效。请核对持证人的身份证件。",
		"Valid: OneX issued this certificate and it is in force. Check the holder's identity document."},
	"says.revoked": {"证书已撤销：OneX 颁发过这张证书，但已将其撤销，它不再证明持证人具有该等级。",
		"Revoked: OneX issued this certificate but has revoked it; it no longer attests the level."},
	"says.suspended": {"证书已暂停：这张证书目前暂停有效，待培训评价组织核查后恢复或撤销。",
		"Suspended: this certificate is not in force for now, until the training evaluation organisation's review reinstates or revokes it."},
	"says.notfound": {"未找到：没有这个编号与这个姓名都一致的证书。请核对证书编号和姓名（须与证书上印的完全一致）。",
		"Not found: no certificate has this number with this name. Check the number and the name (exactly as printed on the certificate)."},
	"says.unknown": {"无法确认：这段文字的签名来自 OneX，但中心没有这个编号的证书记录。请勿凭此证书认定持证人的等级，并联系培训评价组织。",
		"Cannot be confirmed: the text is signed by OneX, but central has no record of a certificate of this number. Do not rely on it; contact the training evaluation organisation."},
	"says.bad": {"这不是有效的证书文字：它不是 OneX 证书二维码中的文字，或已被改动、伪造。原因：",
		"This is not a valid certificate text: it is not the text of a OneX certificate's QR code, or it was altered or forged. Why: "},
	"says.input":   {"请输入证书编号和持证人姓名，或粘贴二维码文字。", "Type the certificate number and the holder's name, or paste the QR code's text."},
	"says.wait":    {"此地址近来查验未果的次数过多，请在以下时间后再试：", "Too many verifications from this address found nothing of late. Try again in: "},
	"says.seconds": {"%d 秒", "%d s"},
	"what.says":    {"以上为该证书所载内容；身份证号不在公开查验中显示。", "Above is what the certificate states; the ID number is never shown by public verification."},

	"why.prefix":    {"不是以 OX1: 开头的文字", "it does not start with OX1:"},
	"why.base45":    {"文字中有不该出现的字符，或不完整", "it has characters a certificate text never has, or is cut short"},
	"why.malformed": {"内容格式不对", "its contents are malformed"},
	"why.key":       {"签名密钥不在 OneX 的信任列表中", "it is signed by a key not in OneX's trust list"},
	"why.signature": {"签名不符：文字被改动过，或是伪造的", "the signature does not match: it was altered, or forged"},
	"why.window":    {"签名时间不在该密钥的有效期内", "it was signed outside its key's validity window"},
	"why.record":    {"与中心对该证书编号的记录不符", "it differs from central's record of its number"},
}
