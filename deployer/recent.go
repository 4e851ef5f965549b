package deployer

import (
	"context"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/codedeploy"
	cdtypes "github.com/aws/aws-sdk-go-v2/service/codedeploy/types"
	"go.uber.org/zap"

	"github.com/switchyard/switchyard"
)

// Recent lists the deployments of env's deployment group created since
// since, newest first, whoever started them (the bot, the console, the CLI,
// CI), at most Options.RecentLimit. Each Status carries what GetDeployment
// tells (no stages or traffic: Describe one for those).
//
// Which backend's deployments it lists follows the service's deployment
// controller, read at most every serviceTTL.
func (d *Deployer) Recent(ctx context.Context, env switchyard.Environment, since time.Time) ([]*switchyard.Observation, error) {
	if err := checkService(env); err != nil {
		return nil, err
	}
	c, err := d.reads(ctx, env, "")
	if err != nil {
		return nil, err
	}
	f, err := d.facts(ctx, c, env)
	switch {
	case err == nil && f.backend == switchyard.BackendECS:
		return d.recentNative(ctx, c, env, since, f.created)
	case err != nil && env.Application == "":
		return nil, err
	case err != nil:
		d.log.Debug("read the service's deployment controller; listing CodeDeploy's", zap.String("service", env.Service), zap.Error(err))
	}
	if err := checkEnv(env); err != nil {
		return nil, err
	}
	in := &codedeploy.ListDeploymentsInput{
		ApplicationName:     aws.String(env.Application),
		DeploymentGroupName: aws.String(env.DeploymentGroup),
	}
	if !since.IsZero() {
		in.CreateTimeRange = &cdtypes.TimeRange{Start: aws.Time(since)}
	}
	var ids []string
	for {
		out, err := c.History.ListDeployments(ctx, in)
		if err != nil {
			return nil, fail(err, "list deployments", "list the deployments of "+env.DeploymentGroup)
		}
		ids = append(ids, out.Deployments...)
		// ListDeployments promises no order, so read every page of the
		// window before keeping the newest; a page holds up to 100 ids.
		if out.NextToken == nil || len(ids) >= 4*d.opts.RecentLimit {
			break
		}
		in.NextToken = out.NextToken
	}
	infos, err := d.batchGet(ctx, c, ids)
	if err != nil {
		return nil, err
	}
	sort.SliceStable(infos, func(i, j int) bool {
		return aws.ToTime(infos[i].CreateTime).After(aws.ToTime(infos[j].CreateTime))
	})
	if len(infos) > d.opts.RecentLimit {
		infos = infos[:d.opts.RecentLimit]
	}
	out := make([]*switchyard.Observation, 0, len(infos))
	for i := range infos {
		st := statusOf(&infos[i])
		d.fillTaskDefinitionsFromMemo(st)
		out = append(out, st)
	}
	return out, nil
}

// batchGet reads deployments 25 at a time, the most BatchGetDeployments
// takes.
func (d *Deployer) batchGet(ctx context.Context, c Clients, ids []string) ([]cdtypes.DeploymentInfo, error) {
	var infos []cdtypes.DeploymentInfo
	for start := 0; start < len(ids); start += 25 {
		batch := ids[start:min(start+25, len(ids))]
		out, err := c.History.BatchGetDeployments(ctx, &codedeploy.BatchGetDeploymentsInput{DeploymentIds: batch})
		if err != nil {
			return nil, fail(err, "batch get deployments", "read the recent deployments")
		}
		infos = append(infos, out.DeploymentsInfo...)
	}
	return infos, nil
}

// fillTaskDefinitionsFromMemo adds what this process saw of the
// deployment's task sets while it ran.
func (d *Deployer) fillTaskDefinitionsFromMemo(st *switchyard.Observation) {
	known := d.memo.taskSets(st.ID)
	if st.Previous == "" {
		st.Previous = lastSegment(known[0])
	}
	if st.TaskDefinition == "" {
		st.TaskDefinition = lastSegment(known[1])
	}
}
