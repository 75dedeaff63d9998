package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/recv-ledger/recv/chaincode/wire"
	"github.com/recv-ledger/recv/gateway/audit"
	"github.com/recv-ledger/recv/gateway/client"
)

type auditOptions struct {
	policy         string
	chaincode      string
	fromCheckpoint string
	checkpointOut  string
	signWith       string
	noCompare      bool
	noRules        bool
	memoryEntries  int
}

// auditResult is what recv audit prints: the report and, when signed, the checkpoint.
type auditResult struct {
	audit.Report
	Checkpoint *audit.Checkpoint `json:"checkpoint,omitempty"`
	Failure    string            `json:"failure,omitempty"`
}

func newAuditCommand(g *globals) *cobra.Command {
	o := &auditOptions{}
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Verify every block from your organisation's peer and rebuild the receivables from them",
		Long: `audit reads the channel's blocks through your organisation's gateway and verifies them itself:
each block's hash link and data hash; that every valid transaction's creator and endorsers hold
certificates of the channel's member organisations (their CAs in the channel configuration) and
signed it; that the receivables chaincode's endorsements satisfy, for each key written, the key's
own (state-based) policy, for each private collection written, the collection's, and otherwise the
chaincode's endorsement policy, read from the chaincode definition committed in the blocks (or
--policy). It re-executes every valid transaction through the chaincode's own rules on the state
rebuilt from the blocks before it (a bank's decision with the terms the auditor's peer holds) and
names each one whose writes the rules would not have produced: endorsements prove who signed, not
that the rules allowed it (--no-rules skips this). It replays the write
sets of the valid transactions, rebuilds every receivable (in memory, or past --memory-entries in an
embedded store in a temporary folder), checks conservation and compares each
one with what the chaincode answers (get, and on a whole-chain audit the trace of every root and
the totals of every account holding a rebuilt receivable). Invalid transactions are counted by validation code, not
replayed. With --sign-with the last verified block is signed into a checkpoint from which a later
audit resumes (--from-checkpoint). See docs/audit.md for what an auditor must still trust.

Exit code 0: verified, no difference; 1: a block failed verification, or a difference or a
transaction the rules would not have produced was found.`,
		Example: `  recv --as AuditorMSP/auditor audit --sign-with "$(recv netinfo --key AuditorMSP/auditor)" --checkpoint-out audit.json
  recv --as AuditorMSP/auditor audit --from-checkpoint audit.json -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return g.audit(cmd, o) },
	}
	f := cmd.Flags()
	f.StringVar(&o.policy, "policy", "", "check against this endorsement policy (signature-policy syntax) instead of the chaincode definition in the blocks")
	f.StringVar(&o.chaincode, "chaincode", "receivables", "the chaincode whose write sets are replayed")
	f.StringVar(&o.fromCheckpoint, "from-checkpoint", "", "resume after the block this signed checkpoint names")
	f.StringVar(&o.checkpointOut, "checkpoint-out", "", "write the signed checkpoint of the last verified block here (needs --sign-with)")
	f.StringVar(&o.signWith, "sign-with", "", "the auditor's private key (PEM) that signs the checkpoint and checks --from-checkpoint's")
	f.BoolVar(&o.noCompare, "no-compare", false, "do not ask the chaincode for each rebuilt receivable")
	f.BoolVar(&o.noRules, "no-rules", false, "do not re-execute each valid transaction through the chaincode's rules")
	f.IntVar(&o.memoryEntries, "memory-entries", audit.DefaultMemoryEntries, "rebuilt receivables kept in memory; past this the state moves into an embedded store in a temporary folder, removed at the end")
	return cmd
}

func (g *globals) audit(cmd *cobra.Command, o *auditOptions) error {
	if o.memoryEntries < 1 {
		return usagef("--memory-entries must be at least 1")
	}
	opts := audit.Options{Chaincode: o.chaincode, MemoryEntries: o.memoryEntries, NoReplay: o.noRules}
	if o.policy != "" {
		pol, err := audit.ParsePolicy(o.policy)
		if err != nil {
			return usagef("--policy: %v", err)
		}
		opts.Policy, opts.FixedPolicy, opts.PolicySource = pol, true, "given"
	}
	if o.checkpointOut != "" && o.signWith == "" {
		return usagef("--checkpoint-out needs --sign-with")
	}
	var key []byte
	var err error
	if o.signWith != "" {
		if key, err = os.ReadFile(o.signWith); err != nil {
			return usagef("--sign-with: %v", err)
		}
	}
	if o.fromCheckpoint != "" {
		if err := resumeFrom(o.fromCheckpoint, key, &opts); err != nil {
			return usagef("--from-checkpoint: %v", err)
		}
	}
	c, err := g.client()
	if err != nil {
		return err
	}
	ctx, cancel := g.context(cmd)
	defer cancel()
	var get audit.Getter
	if !o.noCompare {
		get = c.GetRaw
	}
	opts.Terms = decisionTerms(ctx, c)
	stop := g.progress("verifying blocks")
	a, runErr := audit.Run(ctx, gatewaySource{c}, opts, get)
	if runErr == nil && get != nil && opts.Start == nil {
		if _, runErr = a.CompareTrees(ctx, chaincodeTracer(c)); runErr == nil {
			_, runErr = a.CompareTotals(ctx, chaincodeTotals(c))
		}
	}
	stop()
	if a == nil {
		return runErr
	}
	defer a.Close()
	res := auditResult{Report: a.Report()}
	if runErr != nil {
		res.Failure = runErr.Error()
	}
	if pos, ok := a.Position(); ok && key != nil && runErr == nil && len(res.Differences) == 0 && len(res.Conservation) == 0 {
		if res.Checkpoint, err = audit.NewCheckpoint(res.Channel, pos, res.Policy, key); err != nil {
			return usagef("--sign-with %s: %v", o.signWith, err)
		}
		if o.checkpointOut != "" {
			if err := writeJSONFile(o.checkpointOut, res.Checkpoint); err != nil {
				return err
			}
		}
	}
	if err := g.printer().Print(res, func(w io.Writer) { auditTable(w, &res, o.checkpointOut) }); err != nil {
		return err
	}
	switch {
	case runErr != nil:
		return fmt.Errorf("audit failed: %w", runErr)
	case len(res.Differences) > 0 || len(res.Conservation) > 0 || len(res.Violations) > 0:
		return fmt.Errorf("audit found %d differences, %d conservation violations and %d transactions the rules would not have produced",
			len(res.Differences), len(res.Conservation), len(res.Violations))
	}
	return nil
}

// decisionTerms reads a bank's decision's private terms through the gateway (GetTerms: the
// auditor is a member of every terms collection), so that the audit re-executes decisions too.
func decisionTerms(ctx context.Context, c *client.Client) audit.DecisionTerms {
	return func(id, hash string) (*wire.Terms, error) {
		var t wire.Terms
		err := c.Call(ctx, "get-terms", []string{id, hash}, nil, nil, &t)
		var p *wire.Problem
		if errors.As(err, &p) && (p.Kind == wire.KindNotFound || p.Kind == wire.KindForbidden) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return &t, nil
	}
}

// gatewaySource reads the blocks through the gateway (GET /v1/chain, /v1/blocks/{number}).
type gatewaySource struct{ c *client.Client }

func (s gatewaySource) Height(ctx context.Context) (uint64, error) {
	info, err := s.c.ChainInfo(ctx)
	if err != nil {
		return 0, err
	}
	return info.Height, nil
}

func (s gatewaySource) Block(ctx context.Context, n uint64) ([]byte, error) { return s.c.Block(ctx, n) }

// chaincodeTracer asks the chaincode (recv trace) for a root's lineage tree.
func chaincodeTracer(c *client.Client) audit.Tracer {
	return func(ctx context.Context, rootID string) (*wire.TraceNode, error) {
		var tr wire.Trace
		if err := c.Call(ctx, "trace", []string{rootID}, nil, nil, &tr); err != nil {
			return nil, err
		}
		return tr.Root, nil
	}
}

// chaincodeTotals asks the chaincode (recv totals, as the auditor) for an account's totals.
func chaincodeTotals(c *client.Client) audit.TotalsReader {
	return func(ctx context.Context, account string) (*wire.Totals, error) {
		msp, user, ok := wire.SplitAccount(account)
		if !ok {
			return nil, fmt.Errorf("account %q is not MSP/user", account)
		}
		var t wire.Totals
		if err := c.Call(ctx, "totals", []string{msp, user}, nil, nil, &t); err != nil {
			return nil, err
		}
		return &t, nil
	}
}

// resumeFrom reads and verifies a checkpoint and sets where the audit resumes: after its block, on
// its channel, with its policy unless --policy fixed one.
func resumeFrom(path string, key []byte, opts *audit.Options) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var cp audit.Checkpoint
	if err := json.Unmarshal(b, &cp); err != nil {
		return err
	}
	if opts.Start, err = cp.Verify(key); err != nil {
		return err
	}
	opts.Channel = cp.Channel
	if opts.Policy == nil && cp.Policy != "" {
		if opts.Policy, err = audit.ParsePolicy(cp.Policy); err != nil {
			return err
		}
		opts.PolicySource = "checkpoint"
	}
	return nil
}

func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

func auditTable(w io.Writer, r *auditResult, checkpointOut string) {
	if r.Failure != "" {
		fmt.Fprintf(w, "FAILED\t%s\n", r.Failure)
	}
	fmt.Fprintf(w, "channel\t%s\n", r.Channel)
	if r.Blocks > 0 {
		fmt.Fprintf(w, "blocks verified\t%d (%d..%d), %d configuration", r.Blocks, r.FirstBlock, r.LastBlock, r.ConfigBlocks)
		if r.ConfigUpdates > 0 {
			fmt.Fprintf(w, " (%d updates checked against their modification policies)", r.ConfigUpdates)
		}
		fmt.Fprintln(w)
	} else {
		fmt.Fprintf(w, "blocks verified\t0 (nothing new)\n")
	}
	if r.LastHeaderHash != "" {
		fmt.Fprintf(w, "last block\t%d, header hash %s\n", r.LastBlock, r.LastHeaderHash)
	}
	if r.ChainRechecked > 0 {
		fmt.Fprintf(w, "before the checkpoint\t%d blocks' hash chain re-checked\n", r.ChainRechecked)
	}
	fmt.Fprintf(w, "transactions\t%d: %d valid, %s\n", r.Transactions, r.Valid, invalidText(r.Invalid))
	fmt.Fprintf(w, "chaincode transactions\t%d, %d endorsements verified\n", r.ChaincodeTxs, r.Endorsements)
	if r.Policy != "" {
		fmt.Fprintf(w, "endorsement policy\t%s (%s)\n", r.Policy, r.PolicySource)
	}
	switch {
	case r.RulesNote != "":
		fmt.Fprintf(w, "rules re-executed\tnone: %s\n", r.RulesNote)
	default:
		fmt.Fprintf(w, "rules re-executed\t%d transactions, %d skipped (terms not held here): %d the rules would not have produced\n",
			r.RulesChecked, r.RulesSkipped, len(r.Violations))
	}
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  VIOLATION block %d tx %s\t%s by %s, endorsed by %s: %s\n", v.Block, v.TxID, v.Function, v.Creator,
			strings.Join(v.Endorsers, " "), v.Problem)
	}
	fmt.Fprintf(w, "parties' policies\t%d writes checked against their key's own policy, %d against their collection's", r.KeyPolicies, r.CollectionPolicies)
	if r.Unverified > 0 {
		fmt.Fprintf(w, ", %d to keys written before the checkpoint not verifiable", r.Unverified)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "range queries\t%d recomputed on the rebuilt keys (no phantom), %d of them from Merkle summaries\n",
		r.RangesRecomputed, r.RangesSummarised)
	fmt.Fprintf(w, "receivables rebuilt\t%d in %d roots, state in %s\n", r.Receivables, r.Roots, r.Store)
	if len(r.Conservation) == 0 {
		fmt.Fprintf(w, "conservation\tholds for every root\n")
	}
	for _, v := range r.Conservation {
		fmt.Fprintf(w, "conservation VIOLATED\t%s\n", v)
	}
	fmt.Fprintf(w, "financing terms\t%d public hashes backed by a recorded private decision, %d private terms read and matching\n", r.TermsHashes, r.TermsRead)
	fmt.Fprintf(w, "compared with chaincode\t%d receivables, %d root trees, %d accounts' totals: %d differences\n", r.ComparedWithPeer, r.RootsTraced, r.AccountsTotalled, len(r.Differences))
	for _, d := range r.Differences {
		fmt.Fprintf(w, "  DIFFERENCE %s\t%s %s\n", d.ID, d.Detail, strings.Join(d.Fields, ","))
	}
	if r.Checkpoint != nil {
		where := "in the JSON output"
		if checkpointOut != "" {
			where = "written to " + checkpointOut
		}
		fmt.Fprintf(w, "checkpoint\tblock %d signed, %s\n", r.Checkpoint.Block, where)
	}
	fmt.Fprintf(w, "time\t%.1fs\n", r.Seconds)
}

func invalidText(inv map[string]int) string {
	if len(inv) == 0 {
		return "none invalid"
	}
	codes := make([]string, 0, len(inv))
	for c := range inv {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	parts := make([]string, len(codes))
	for i, c := range codes {
		parts[i] = fmt.Sprintf("%d %s", inv[c], c)
	}
	return "invalid: " + strings.Join(parts, ", ")
}
