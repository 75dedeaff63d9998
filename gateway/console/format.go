package console

import (
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// yuan renders fen as yuan with two decimals and thousands separators: ¥1,250,000.00.
func yuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	whole, cents := strconv.FormatInt(fen/100, 10), fen%100
	var b strings.Builder
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	return sign + "¥" + b.String() + "." + strconv.FormatInt(cents/10, 10) + strconv.FormatInt(cents%10, 10)
}

// statusLabels say each status in Chinese with the English word.
var statusLabels = map[wire.Status]string{
	wire.StatusPending:   "待签收 Pending",
	wire.StatusActive:    "持有 Active",
	wire.StatusSplit:     "已拆分 Split",
	wire.StatusFinancing: "融资中 Financing",
	wire.StatusRedeemed:  "已兑付 Redeemed",
	wire.StatusRejected:  "已拒收 Rejected",
	wire.StatusRevoked:   "已撤回 Revoked",
}

func statusLabel(s wire.Status) string {
	if l, ok := statusLabels[s]; ok {
		return l
	}
	return string(s)
}

// live reports whether a leaf still counts as owed: held, offered or being financed.
func live(s wire.Status) bool {
	return s == wire.StatusActive || s == wire.StatusPending || s == wire.StatusFinancing
}

// daysTo is the number of days from today to a maturity date (0 when it is unreadable).
func daysTo(now time.Time, maturity string) int64 {
	m, err := receivable.ParseDate(maturity)
	if err != nil {
		return 0
	}
	return int64(receivable.DaysBetween(now, m))
}

// preview is a financing's terms at a rate, as the chaincode's rule would compute them today.
type preview struct {
	RateBps   int64
	Days      int64
	Discount  int64
	Disbursed int64
}

func previewAt(amountFen, rateBps, days int64) preview {
	if days < 0 {
		days = 0
	}
	d := receivable.Discount(amountFen, rateBps, days)
	return preview{RateBps: rateBps, Days: days, Discount: d, Disbursed: amountFen - d}
}

// defaultRateBps is the rate a preview starts from (4.50% a year).
const defaultRateBps = 450

var funcs = template.FuncMap{
	"yuan":   yuan,
	"status": statusLabel,
	"live":   live,
	"pct":    func(bps int64) string { return strconv.FormatFloat(float64(bps)/100, 'f', 2, 64) + "%" },
	"short":  func(s string) string { return s[:min(len(s), 12)] },
	"key":    func() string { return randomToken() },
	"list":   func(xs ...string) []string { return xs },
}
