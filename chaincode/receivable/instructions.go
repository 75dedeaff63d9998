package receivable

import (
	"regexp"
	"strings"
	"time"

	"github.com/recv-ledger/recv/chaincode/wire"
)

// Two-person control (经办 + 复核). At an organisation that requires it (RequiresDualControl), an
// issuance or a redemption asked by an issuer (the maker) is recorded as an OPEN instruction and
// commits nothing else; a different identity of the same organisation with role approver (the
// checker) confirms it, which runs the rule then, or refuses it with a reason. An instruction
// expires after the instructionTtlHours setting. Each step is its own transaction.

var instructionIDPattern = regexp.MustCompile(`^I[0-9a-zA-Z]{1,40}$`)

// instructTx names the transactions that go through two-person control.
var instructTx = []string{"Issue", "Redeem", "RedeemAll"}

// instruct returns ch unchanged when the caller's organisation does not require two-person
// control, and otherwise an OPEN instruction standing for it: ch was computed only to refuse bad
// input at once.
func instruct(rd Reader, tx Tx, ch Change, in wire.Instruction) (Change, error) {
	org, err := rd.Org(tx.Caller.MSPID)
	if err != nil {
		return Change{}, err
	}
	if !RequiresDualControl(org) {
		return ch, nil
	}
	// One open request per receivable and transaction: a second would only wait to be refused,
	// and a maker's retry must not leave two requests a checker could both confirm.
	if open, err := rd.OpenInstruction(ch.Op, in.Target); err != nil {
		return Change{}, err
	} else if open != "" {
		prev, err := rd.Instruction(open)
		if err != nil {
			return Change{}, err
		}
		if prev != nil && InstructionAsOf(*prev, tx.Time).Status == wire.InstructionOpen {
			return Change{}, Conflictf("%s of %s already waits for its checker: instruction %s, asked by %s", ch.Op, in.Target, prev.ID, prev.Maker)
		}
	}
	in.ID = "I" + firstN(tx.ID, 20)
	if existing, err := rd.Instruction(in.ID); err != nil {
		return Change{}, err
	} else if existing != nil {
		return Change{}, Conflictf("instruction %s already exists", in.ID)
	}
	in.Tx, in.Maker, in.MakerRole = ch.Op, tx.Caller.Account(), tx.Caller.Role
	in.CreatedAt = FormatTime(tx.Time)
	in.ExpiresAt = FormatTime(tx.Time.Add(time.Duration(tx.Config.InstructionTTLHours) * time.Hour))
	in.Status, in.RequestTx, in.LastTxID = wire.InstructionOpen, tx.ID, tx.ID
	return Change{Op: ch.Op, Instructions: []*wire.Instruction{&in}}, nil
}

// RequestIssue issues a receivable, or asks the checker to when the caller's organisation requires
// two-person control.
func RequestIssue(rd Reader, tx Tx, req wire.IssueRequest) (Change, error) {
	if req.ID == "" {
		req.ID = "R" + firstN(tx.ID, 20)
	}
	ch, err := Issue(rd, tx, req)
	if err != nil {
		return Change{}, err
	}
	return instruct(rd, tx, ch, wire.Instruction{Target: req.ID, Amount: ch.Writes[0].After.Amount, Issue: &req})
}

// RequestRedeem redeems one piece, or asks the checker to.
func RequestRedeem(rd Reader, tx Tx, id, paymentRef string) (Change, error) {
	ch, err := Redeem(rd, tx, id, paymentRef)
	if err != nil {
		return Change{}, err
	}
	return instruct(rd, tx, ch, wire.Instruction{Target: id, Amount: ch.Writes[0].After.Amount, PaymentRef: paymentRef})
}

// RequestRedeemAll redeems every live piece of a root, or asks the checker to.
func RequestRedeemAll(rd Reader, tx Tx, rootID, paymentRef string) (Change, error) {
	ch, err := RedeemAll(rd, tx, rootID, paymentRef)
	if err != nil {
		return Change{}, err
	}
	var total int64
	for _, w := range ch.Writes {
		total += w.After.AmountFen
	}
	return instruct(rd, tx, ch, wire.Instruction{Target: rootID, Amount: wire.FormatAmount(total), PaymentRef: paymentRef})
}

// ReadInstruction returns an instruction the caller may read (its organisation's issuers,
// approvers and admin, and the auditor), reading an OPEN one past its expiry as EXPIRED.
func ReadInstruction(rd Reader, tx Tx, id string) (*wire.Instruction, error) {
	in, err := loadInstruction(rd, id)
	if err != nil {
		return nil, err
	}
	if tx.Caller.Role != wire.RoleAuditor && wire.MSPOf(in.Maker) != tx.Caller.MSPID {
		return nil, Forbiddenf("instruction %s belongs to %s, not to %s", id, wire.MSPOf(in.Maker), tx.Caller.MSPID)
	}
	q := InstructionAsOf(*in, tx.Time)
	return &q, nil
}

// loadInstruction reads instruction id, refusing a malformed id and an unknown one.
func loadInstruction(rd Reader, id string) (*wire.Instruction, error) {
	if !instructionIDPattern.MatchString(id) {
		return nil, Invalidf("instruction id %.80q must match I[0-9a-zA-Z]{1,40}", id)
	}
	in, err := rd.Instruction(id)
	if err != nil {
		return nil, err
	}
	if in == nil {
		return nil, NotFoundf("instruction %s", id)
	}
	return in, nil
}

// InstructionAsOf returns in as it reads at t: an OPEN instruction past its expiry is EXPIRED.
func InstructionAsOf(in wire.Instruction, t time.Time) wire.Instruction {
	if in.Status == wire.InstructionOpen {
		if exp, err := time.Parse(TimeLayout, in.ExpiresAt); err == nil && !t.Before(exp) {
			in.Status = wire.InstructionExpired
		}
	}
	return in
}

// loadDecidable fetches an OPEN instruction the caller may decide: an approver of the maker's
// organisation who is not the maker.
func loadDecidable(rd Reader, tx Tx, id string) (*wire.Instruction, error) {
	if tx.Caller.Role != wire.RoleApprover {
		return nil, Forbiddenf("only an approver confirms or refuses instructions; %s has role %q", tx.Caller.Account(), tx.Caller.Role)
	}
	in, err := loadInstruction(rd, id)
	if err != nil {
		return nil, err
	}
	if wire.MSPOf(in.Maker) != tx.Caller.MSPID {
		return nil, Forbiddenf("instruction %s was made at %s: an approver of %s cannot decide it", id, wire.MSPOf(in.Maker), tx.Caller.MSPID)
	}
	if in.Maker == tx.Caller.Account() {
		return nil, Forbiddenf("instruction %s was made by %s: the checker must be another identity", id, in.Maker)
	}
	switch q := InstructionAsOf(*in, tx.Time); q.Status {
	case wire.InstructionOpen:
	case wire.InstructionExpired:
		return nil, Conflictf("instruction %s expired at %s: the maker asks again", id, in.ExpiresAt)
	default:
		return nil, Conflictf("instruction %s is %s", id, q.Status)
	}
	return in, nil
}

// ConfirmInstruction commits what the maker asked: the rule runs now, at this transaction's time,
// for the maker; the writes name the checker as their author.
func ConfirmInstruction(rd Reader, tx Tx, id string) (Change, error) {
	in, err := loadDecidable(rd, tx, id)
	if err != nil {
		return Change{}, err
	}
	if acct, err := rd.Account(in.Maker); err != nil {
		return Change{}, err
	} else if acct == nil || acct.Status != wire.AccountOpen || acct.Role != in.MakerRole {
		return Change{}, Conflictf("instruction %s: its maker %s can no longer act (account frozen, closed or of another role)", id, in.Maker)
	}
	msp, user, _ := wire.SplitAccount(in.Maker)
	mtx := tx
	mtx.Caller = Caller{MSPID: msp, ID: user, Role: in.MakerRole}
	var ch Change
	switch in.Tx {
	case "Issue":
		if in.Issue == nil {
			return Change{}, Conflictf("instruction %s carries no issue request", id)
		}
		ch, err = Issue(rd, mtx, *in.Issue)
	case "Redeem":
		ch, err = Redeem(rd, mtx, in.Target, in.PaymentRef)
	case "RedeemAll":
		ch, err = RedeemAll(rd, mtx, in.Target, in.PaymentRef)
	default:
		return Change{}, Conflictf("instruction %s stands for %s, which is not one of %s", id, in.Tx, strings.Join(instructTx, ", "))
	}
	if err != nil {
		return Change{}, within("instruction "+id, err)
	}
	for _, w := range ch.Writes {
		w.After.UpdatedBy = tx.Caller.Account()
		if w.After.Redemption != nil {
			w.After.Redemption.Instruction = id
		}
	}
	next := decided(in, tx, wire.InstructionConfirmed, "")
	ch.Op, ch.Instructions = "ConfirmInstruction", []*wire.Instruction{next}
	return ch, nil
}

// RefuseInstruction closes an instruction without committing it.
func RefuseInstruction(rd Reader, tx Tx, id, reason string) (Change, error) {
	if err := checkReason(reason); err != nil {
		return Change{}, err
	}
	in, err := loadDecidable(rd, tx, id)
	if err != nil {
		return Change{}, err
	}
	return Change{Op: "RefuseInstruction", Reason: reason, Instructions: []*wire.Instruction{decided(in, tx, wire.InstructionRefused, reason)}}, nil
}

func decided(in *wire.Instruction, tx Tx, s wire.InstructionStatus, reason string) *wire.Instruction {
	next := *in
	next.Status, next.Checker, next.DecidedAt, next.Reason, next.LastTxID = s, tx.Caller.Account(), FormatTime(tx.Time), reason, tx.ID
	return &next
}
