package server

import (
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"time"

	"onex/exam/credential"
)

// CertificateStatusNames names certificate statuses in Chinese, for the CSV,
// the command line and the pages.
var CertificateStatusNames = map[credential.Status]string{credential.Valid: "有效", credential.Suspended: "已暂停", credential.Revoked: "已撤销"}

// StatusVerbs are the status changes by the verb that names them (the
// command line's commands, the office's buttons).
var StatusVerbs = map[string]credential.Status{"revoke": credential.Revoked, "suspend": credential.Suspended, "reinstate": credential.Valid}

// CheckPublicURL checks a public URL for Config.PublicURL: an absolute
// https URL with a host and no query or fragment (the issuer id of the
// verifiable credentials).
func CheckPublicURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return inputf("public URL %q is not an https URL with a host and no query (e.g. https://cert.example.cn)", s)
	}
	return nil
}

// WriteCertificatesCSV writes certificates as CSV in UTF-8 with a
// byte-order mark (for Excel), text cells kept text as WriteResultsCSV
// keeps them. Times are Beijing time.
func WriteCertificatesCSV(w io.Writer, certs []Certificate) error {
	if _, err := w.Write([]byte("\ufeff")); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	cw.Write([]string{"证书编号", "准考证号", "姓名", "证书代码", "证书名称", "等级", "培训评价组织", "考核站点", "发证时间", "状态", "状态原因", "状态变更时间", "状态变更人", "状态列表序号"})
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(CST).Format("2006-01-02 15:04:05")
	}
	for _, c := range certs {
		cw.Write([]string{textCell(c.Number), textCell(c.Ticket), textCell(c.HolderName), textCell(c.CertCode), textCell(c.CertName), c.Level.Chinese(),
			textCell(c.OrgName), textCell(c.SiteName), stamp(c.Issued), CertificateStatusNames[c.Status], textCell(c.Reason), stamp(c.StatusAt),
			textCell(c.StatusBy), strconv.FormatUint(uint64(c.StatusIndex), 10)})
	}
	cw.Flush()
	return cw.Error()
}

// certificateJSON is a certificate as the command line's JSON writes it:
// everything but the ID number's salt and hash (the QR text carries them).
type certificateJSON struct {
	Number      string    `json:"number"`
	SessionID   string    `json:"session_id"`
	Ticket      string    `json:"ticket"`
	HolderName  string    `json:"holder_name"`
	CertCode    string    `json:"cert_code"`
	CertName    string    `json:"cert_name"`
	OrgName     string    `json:"org_name"`
	SiteName    string    `json:"site_name"`
	Level       string    `json:"level"`
	Issued      time.Time `json:"issued"`
	IssuedBy    string    `json:"issued_by"`
	StatusIndex uint32    `json:"status_index"`
	KeyID       string    `json:"kid"`
	Status      string    `json:"status"`
	Reason      string    `json:"reason,omitempty"`
	StatusAt    time.Time `json:"status_at,omitzero"`
	StatusBy    string    `json:"status_by,omitempty"`
	QR          string    `json:"qr"`
	VC          string    `json:"vc"`
}

// WriteCertificatesJSON writes certificates as a JSON array, with each
// one's QR text and verifiable credential.
func WriteCertificatesJSON(w io.Writer, certs []Certificate) error {
	out := make([]certificateJSON, len(certs))
	for i, c := range certs {
		out[i] = certificateJSON{Number: c.Number, SessionID: c.SessionID, Ticket: c.Ticket, HolderName: c.HolderName, CertCode: c.CertCode,
			CertName: c.CertName, OrgName: c.OrgName, SiteName: c.SiteName, Level: string(c.Level), Issued: c.Issued, IssuedBy: c.IssuedBy,
			StatusIndex: c.StatusIndex, KeyID: hex.EncodeToString(c.KeyID), Status: c.Status.String(), Reason: c.Reason, StatusAt: c.StatusAt,
			StatusBy: c.StatusBy, QR: c.QR, VC: c.VC}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("certificates JSON: %w", err)
	}
	return nil
}
