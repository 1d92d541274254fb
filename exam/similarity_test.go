package exam_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"onex/exam"
)

// TestSimilarity: what counts as the same answer, and what does not.
func TestSimilarity(t *testing.T) {
	const essay = "HTTP 是无状态协议，服务器不保存客户端的状态；Cookie 与 Session 用来在多次请求之间保持用户的登录状态。"
	for name, tc := range map[string]struct {
		a, b     string
		min, max float64
	}{
		"identical":                   {essay, essay, 1, 1},
		"space and punctuation added": {essay, strings.ReplaceAll(essay, "，", " ,  ") + "!!", 1, 1},
		"full width and case":         {"Hello World", "ＨＥＬＬＯ　ｗｏｒｌｄ", 1, 1},
		"one word changed":            {essay, strings.Replace(essay, "保存", "记住", 1), 0.7, 0.95},
		"unrelated":                   {essay, "盒模型由内容、内边距、边框和外边距组成，box-sizing 决定宽度的计算方式。", 0, 0.05},
		"disjoint letters":            {"aaaaaaa", "bbbbbbb", 0, 0},
		"blank against text":          {"", essay, 0, 0},
		"both blank":                  {"  ，。 ", "", 0, 0},
		"short equal":                 {"是", "是", 1, 1},
		"half copied":                 {essay, essay[:len(essay)/2] + "完全不同的另一半内容写在这里作为结尾部分而已", 0.3, 0.6},
	} {
		s := exam.Similarity(tc.a, tc.b)
		if s < tc.min || s > tc.max {
			t.Errorf("%s: similarity %.3f, want %.2f..%.2f", name, s, tc.min, tc.max)
		}
	}
}

var genText = rapid.Custom(func(t *rapid.T) string {
	return rapid.StringOfN(rapid.SampledFrom([]rune("abcdef的是了在有和人这中大为上个国我以要他，。 ,.!?")), 0, 80, -1).Draw(t, "text")
})

// TestSimilarityProperties: symmetric, within 0..1, 1 for a text against
// itself or against itself with space and punctuation changed, 0 for texts
// built from disjoint alphabets.
func TestSimilarityProperties(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		a, b := genText.Draw(t, "a"), genText.Draw(t, "b")
		s := exam.Similarity(a, b)
		if s != exam.Similarity(b, a) || s < 0 || s > 1 || math.IsNaN(s) {
			t.Fatalf("Similarity(%q, %q) = %v, reversed %v", a, b, s, exam.Similarity(b, a))
		}
		if exam.Fold(a) != "" {
			if s := exam.Similarity(a, a); s != 1 {
				t.Fatalf("Similarity of %q with itself = %v", a, s)
			}
			noisy := strings.NewReplacer("，", " ", "。", "", ",", "、 ", ".", "…").Replace(a) + " ！"
			if s := exam.Similarity(a, noisy); s != 1 {
				t.Fatalf("Similarity(%q, %q) = %v, want 1", a, noisy, s)
			}
		}
		x := rapid.StringOfN(rapid.RuneFrom([]rune("abc")), 1, 40, -1).Draw(t, "x")
		y := rapid.StringOfN(rapid.RuneFrom([]rune("xyz的")), 1, 40, -1).Draw(t, "y")
		if s := exam.Similarity(x, y); s != 0 {
			t.Fatalf("disjoint %q %q: %v", x, y, s)
		}
	})
}

// TestNearIdentical: the copied pair is listed, most similar first; short
// answers and unrelated ones are not; every listed pair is at or above the
// threshold and every pair left out below it (checked against all pairs).
func TestNearIdentical(t *testing.T) {
	base := "浏览器请求页面时先查缓存，再做 DNS 解析，建立 TCP 连接，发送 HTTP 请求，服务器返回 HTML，浏览器解析并渲染页面。"
	rs := []exam.Response{
		{ID: "s1", Text: base},
		{ID: "s2", Text: "盒模型由内容、内边距、边框和外边距组成，box-sizing 决定宽度如何计算，border-box 包含边框。"},
		{ID: "s3", Text: strings.ReplaceAll(base, "，", ", ")},
		{ID: "s4", Text: strings.Replace(base, "缓存", "本地缓存", 1)},
		{ID: "s5", Text: "是"},
		{ID: "s6", Text: "是"},
	}
	got := exam.NearIdentical(rs, 0.8, 10)
	if len(got) != 3 || got[0] != (exam.SimilarPair{A: "s1", B: "s3", Similarity: 1}) {
		t.Fatalf("pairs %+v, want s1–s3 (1) first, then s1–s4 and s3–s4", got)
	}
	for _, p := range got[1:] {
		if p.B != "s4" || p.Similarity < 0.8 || p.Similarity >= 1 {
			t.Errorf("pair %+v", p)
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(0, 12).Draw(t, "n")
		var rs []exam.Response
		for i := range n {
			rs = append(rs, exam.Response{ID: fmt.Sprintf("r%02d", i), Text: genText.Draw(t, "text")})
		}
		th := rapid.Float64Range(0.05, 1).Draw(t, "threshold")
		listed := map[[2]string]float64{}
		for _, p := range exam.NearIdentical(rs, th, 3) {
			if p.A >= p.B || p.Similarity < th {
				t.Fatalf("pair %+v with threshold %v", p, th)
			}
			listed[[2]string{p.A, p.B}] = p.Similarity
		}
		for i := range rs {
			for j := i + 1; j < len(rs); j++ {
				long := len([]rune(exam.Fold(rs[i].Text))) >= 3 && len([]rune(exam.Fold(rs[j].Text))) >= 3
				s := exam.Similarity(rs[i].Text, rs[j].Text)
				_, in := listed[[2]string{rs[i].ID, rs[j].ID}]
				if in != (long && s >= th) {
					t.Fatalf("%s–%s similarity %v threshold %v: listed %v", rs[i].ID, rs[j].ID, s, th, in)
				}
			}
		}
	})
}

func BenchmarkNearIdentical(b *testing.B) {
	words := []rune("的是了在有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严")
	texts := make([]exam.Response, 400)
	for i := range texts {
		var sb strings.Builder
		for j := range 300 {
			sb.WriteRune(words[(i*7919+j*104729+j*j)%len(words)])
		}
		texts[i] = exam.Response{ID: fmt.Sprint(i), Text: sb.String()}
	}
	b.ResetTimer()
	for b.Loop() {
		exam.NearIdentical(texts, 0.6, 20)
	}
}
