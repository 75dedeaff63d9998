package contract

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/recv-ledger/recv/chaincode/receivable"
	"github.com/recv-ledger/recv/chaincode/wire"
)

// Certificate attributes the caller's identity is read from.
const (
	attrEnrollmentID = "hf.EnrollmentID"
	attrRole         = "recv.role"
)

// The role sets of the access table.
var (
	holders  = []string{wire.RoleIssuer, wire.RoleSupplier, wire.RoleFinancier}
	movers   = []string{wire.RoleSupplier, wire.RoleFinancier}
	readers  = []string{wire.RoleIssuer, wire.RoleApprover, wire.RoleSupplier, wire.RoleFinancier, wire.RoleAuditor, wire.RoleAdmin}
	issuers  = []string{wire.RoleIssuer}
	financer = []string{wire.RoleFinancier}
	anyone   = []string{}
	admins   = []string{wire.RoleAdmin}
	// approvers are the checkers of two-person control.
	approvers = []string{wire.RoleApprover}
	// auditors freeze and unfreeze.
	auditors = []string{wire.RoleAuditor}
	// overdueMarkers are the holders' roles and the auditor.
	overdueMarkers = []string{wire.RoleSupplier, wire.RoleFinancier, wire.RoleAuditor}
	// riskReaders see the risk view.
	riskReaders = []string{wire.RoleFinancier, wire.RoleAuditor}
	// coreReaders are the roles of a core enterprise and the auditor.
	coreReaders = []string{wire.RoleIssuer, wire.RoleApprover, wire.RoleAdmin, wire.RoleAuditor}
	// limitReaders read limits and lines.
	limitReaders = []string{wire.RoleIssuer, wire.RoleApprover, wire.RoleAdmin, wire.RoleFinancier, wire.RoleAuditor}
)

// accessTable is the one place that says which roles may call which transaction (empty: any
// identity); every transaction of wire.Ops has a row. Per-receivable checks (holder, pending
// holder, bank, issuer's MSP) are the rules' business.
var accessTable = map[string][]string{
	"Issue":              issuers,
	"Accept":             holders,
	"Reject":             holders,
	"Revoke":             holders,
	"Split":              movers,
	"Transfer":           movers,
	"RequestFinancing":   {wire.RoleSupplier},
	"DecideFinancing":    financer,
	"ApproveFinancing":   financer,
	"RejectFinancing":    financer,
	"Redeem":             issuers,
	"RedeemAll":          issuers,
	"WithdrawFinancing":  {wire.RoleSupplier},
	"InitRegistry":       admins,
	"OpenAccount":        admins,
	"FreezeAccount":      admins,
	"UnfreezeAccount":    admins,
	"CloseAccount":       admins,
	"CreateProposal":     admins,
	"ApproveProposal":    admins,
	"Tick":               admins,
	"ListOrgs":           readers,
	"GetOrg":             readers,
	"GetAccount":         readers,
	"ListAccounts":       readers,
	"GetProposal":        readers,
	"ListProposals":      readers,
	"GetConfig":          anyone,
	"GetBeacon":          anyone,
	"Get":                readers,
	"ListByHolder":       readers,
	"ListByIssuer":       readers,
	"Trace":              readers,
	"History":            readers,
	"Totals":             readers,
	"GetTerms":           readers,
	"ConfirmInstruction": approvers,
	"RefuseInstruction":  approvers,
	"GetInstruction":     coreReaders,
	"FreezeReceivable":   auditors,
	"UnfreezeReceivable": auditors,
	"MarkOverdue":        overdueMarkers,
	"ExerciseRecourse":   financer,
	"SetCreditLine":      financer,
	"SetIssuanceLimit":   approvers,
	"Limits":             limitReaders,
	"Risk":               riskReaders,
	"FoldExposure":       limitReaders,
}

// TxContext is the transaction context: Fabric's, plus the caller and the settings that the
// BeforeTransaction hook resolved once for the whole transaction.
type TxContext struct {
	contractapi.TransactionContext
	caller    receivable.Caller
	config    wire.Config
	transient map[string]string // the op's transient values (wire.Op.Transient and the salt)
	beacon    *wire.Beacon      // the time beacon a write read (nil for queries, and on a ledger without one)
	reg       registryRead      // the registry index, read once per transaction (txLedger)
}

// before runs ahead of every transaction: it checks the transaction and its number of arguments
// against wire.Ops, resolves the caller, enforces the access table and, for writes, the clock skew
// between the transaction and the endorsing peer and the time beacon.
func (c *Contract) before(ctx *TxContext) error {
	fn, args := ctx.GetStub().GetFunctionAndParameters()
	if i := strings.LastIndexByte(fn, ':'); i >= 0 {
		fn = fn[i+1:]
	}
	op, known := wire.ByTx(fn)
	roles, allowed := accessTable[fn]
	if !known || !allowed {
		return receivable.Invalidf("unknown transaction %.40q", fn)
	}
	if len(args) != len(op.Params) {
		return receivable.Invalidf("%s takes %s, %d given", fn, paramList(op), len(args))
	}
	caller, err := callerOf(ctx)
	if err != nil {
		return err
	}
	if len(roles) > 0 && !slices.Contains(roles, caller.Role) {
		return receivable.Forbiddenf("%s needs role %s; %s has role %q", fn, strings.Join(roles, "|"), caller.Account(), caller.Role)
	}
	// Every transaction but the seeding of the registry checks the caller against the registry:
	// a role that its organisation's kind does not allow, or an account not opened, is refused
	// whatever the certificate says.
	l := txLedger(ctx)
	if fn != "InitRegistry" {
		if err := admit(l, caller, op.Submit); err != nil {
			return err
		}
	}
	cfg, err := loadConfig(ctx.GetStub())
	if err != nil {
		return err
	}
	if ctx.transient, err = transientOf(ctx, op); err != nil {
		return err
	}
	ctx.caller, ctx.config = caller, cfg
	if op.Submit {
		return c.checkClock(ctx)
	}
	return nil
}

// transientOf reads the op's transient values: exactly its Transient params and the salt, no other
// key; an op without transient values refuses any.
func transientOf(ctx *TxContext, op *wire.Op) (map[string]string, error) {
	raw, err := ctx.GetStub().GetTransient()
	if err != nil {
		return nil, fmt.Errorf("reading the transient data: %w", err)
	}
	if len(op.Transient) == 0 {
		if len(raw) > 0 {
			return nil, receivable.Invalidf("%s takes no transient data", op.Tx)
		}
		return nil, nil
	}
	allowed := map[string]bool{wire.SaltKey: true}
	values := make(map[string]string, len(raw))
	for _, p := range op.Transient {
		allowed[p.Name] = true
		if p.Required && len(raw[p.Name]) == 0 {
			return nil, receivable.Invalidf("%s needs %s in the transient data (never in the arguments)", op.Tx, p.Name)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		if !allowed[k] {
			return nil, receivable.Invalidf("%s takes no transient value %.40q", op.Tx, k)
		}
		values[k] = string(raw[k])
	}
	return values, nil
}

// admit checks the caller against the registry, saying so when the registry was never seeded.
func admit(l ledger, caller receivable.Caller, write bool) error {
	err := receivable.Admit(l, caller, write)
	if wire.KindOf(err) != wire.KindForbidden {
		return err
	}
	if orgs, oerr := l.Orgs(); oerr == nil && len(orgs) == 0 {
		return receivable.Conflictf("the membership registry is not seeded yet: the network's deployment runs InitRegistry first")
	}
	return err
}

// paramList names an op's arguments for a refusal: "arguments (id, rateBps)".
func paramList(op *wire.Op) string {
	if len(op.Params) == 0 {
		return "no arguments"
	}
	names := make([]string, len(op.Params))
	for i, p := range op.Params {
		names[i] = p.Name
	}
	return "arguments (" + strings.Join(names, ", ") + ")"
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
// client cannot back- or forward-date a transfer or a redemption, or earlier than the time beacon.
// It is the one place where every write reads the time beacon (docs/security.md, "No
// back-dating"): the read puts the beacon's version into the write's read set, so an endorsement
// held until the beacon advanced commits as MVCC_READ_CONFLICT and changes nothing.
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
	if ctx.beacon, err = readBeacon(ctx.GetStub()); err != nil {
		return err
	}
	return receivable.NotBeforeBeacon(receivable.Tx{Time: ts.AsTime().UTC()}, ctx.beacon)
}
