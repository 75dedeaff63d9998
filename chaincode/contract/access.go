package contract

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/recv-ledger/recv/chaincode/receivable"
)

// Certificate attributes the caller's identity is read from.
const (
	attrEnrollmentID = "hf.EnrollmentID"
	attrRole         = "recv.role"
)

// rule says who may call a transaction and whether it writes.
type rule struct {
	submit bool
	roles  []string // empty: any identity
}

var (
	holders  = []string{receivable.RoleIssuer, receivable.RoleSupplier, receivable.RoleFinancier}
	movers   = []string{receivable.RoleSupplier, receivable.RoleFinancier}
	readers  = []string{receivable.RoleIssuer, receivable.RoleSupplier, receivable.RoleFinancier, receivable.RoleAuditor, receivable.RoleAdmin}
	issuers  = []string{receivable.RoleIssuer}
	financer = []string{receivable.RoleFinancier}
)

// accessTable is the one place that says which role may call which transaction. Per-receivable
// checks (holder, pending holder, bank, issuer's MSP) are the rules' business.
var accessTable = map[string]rule{
	"Issue":            {submit: true, roles: issuers},
	"Accept":           {submit: true, roles: holders},
	"Reject":           {submit: true, roles: holders},
	"Revoke":           {submit: true, roles: holders},
	"Split":            {submit: true, roles: movers},
	"Transfer":         {submit: true, roles: movers},
	"RequestFinancing": {submit: true, roles: []string{receivable.RoleSupplier}},
	"ApproveFinancing": {submit: true, roles: financer},
	"RejectFinancing":  {submit: true, roles: financer},
	"Redeem":           {submit: true, roles: issuers},
	"RedeemAll":        {submit: true, roles: issuers},
	"SetConfig":        {submit: true, roles: []string{receivable.RoleAdmin}},
	"GetConfig":        {},
	"Get":              {roles: readers},
	"ListByHolder":     {roles: readers},
	"ListByIssuer":     {roles: readers},
	"Trace":            {roles: readers},
	"History":          {roles: readers},
	"Totals":           {roles: readers},
}

// evaluateTransactions lists the read-only transactions, sorted, for the contract metadata.
func evaluateTransactions() []string {
	var names []string
	for name, r := range accessTable {
		if !r.submit {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// TxContext is the transaction context: Fabric's, plus the caller and the settings that the
// BeforeTransaction hook resolved once for the whole transaction.
type TxContext struct {
	contractapi.TransactionContext
	caller receivable.Caller
	config receivable.Config
}

// before runs ahead of every transaction: it resolves the caller, enforces the access table and,
// for writes, the clock skew between the transaction and the endorsing peer.
func (c *Contract) before(ctx *TxContext) error {
	fn, _ := ctx.GetStub().GetFunctionAndParameters()
	if i := strings.LastIndexByte(fn, ':'); i >= 0 {
		fn = fn[i+1:]
	}
	r, ok := accessTable[fn]
	if !ok {
		return receivable.Invalidf("unknown transaction %.40q", fn)
	}
	caller, err := callerOf(ctx)
	if err != nil {
		return err
	}
	if len(r.roles) > 0 && !slices.Contains(r.roles, caller.Role) {
		return receivable.Forbiddenf("%s needs role %s; %s has role %q", fn, strings.Join(r.roles, "|"), caller.Account(), caller.Role)
	}
	cfg, err := loadConfig(ctx.GetStub())
	if err != nil {
		return err
	}
	ctx.caller, ctx.config = caller, cfg
	if r.submit {
		return c.checkClock(ctx)
	}
	return nil
}

// callerOf reads MSP ID, enrollment id (attribute, else the certificate's CN) and role.
func callerOf(ctx *TxContext) (receivable.Caller, error) {
	ci := ctx.GetClientIdentity()
	if ci == nil || reflect.ValueOf(ci).IsNil() {
		_, err := cid.New(ctx.GetStub())
		return receivable.Caller{}, receivable.Forbiddenf("cannot read the caller's identity: %v", err)
	}
	msp, err := ci.GetMSPID()
	if err != nil {
		return receivable.Caller{}, receivable.Forbiddenf("cannot read the caller's MSP ID: %v", err)
	}
	id, found, err := ci.GetAttributeValue(attrEnrollmentID)
	if err != nil {
		return receivable.Caller{}, receivable.Forbiddenf("cannot read the caller's attributes: %v", err)
	}
	if !found || id == "" {
		cert, err := ci.GetX509Certificate()
		if err != nil || cert == nil {
			return receivable.Caller{}, receivable.Forbiddenf("the caller has no X.509 certificate")
		}
		id = cert.Subject.CommonName
	}
	if id == "" {
		return receivable.Caller{}, receivable.Forbiddenf("the caller's certificate names no enrollment id")
	}
	role, _, err := ci.GetAttributeValue(attrRole)
	if err != nil {
		return receivable.Caller{}, receivable.Forbiddenf("cannot read the caller's role: %v", err)
	}
	return receivable.Caller{MSPID: msp, ID: id, Role: role}, nil
}

// checkClock refuses a write whose timestamp is further from the peer's clock than the setting, so a
// client cannot back- or forward-date a transfer or a redemption.
func (c *Contract) checkClock(ctx *TxContext) error {
	ts, err := ctx.GetStub().GetTxTimestamp()
	if err != nil {
		return fmt.Errorf("reading the transaction timestamp: %w", err)
	}
	skew := c.now().Sub(ts.AsTime())
	limit := time.Duration(ctx.config.ClockSkewSeconds) * time.Second
	if skew > limit || skew < -limit {
		return receivable.Invalidf("transaction timestamp %s is %s away from the peer clock, more than %d s allowed",
			ts.AsTime().UTC().Format(time.RFC3339), skew.Round(time.Second).Abs(), ctx.config.ClockSkewSeconds)
	}
	return nil
}
