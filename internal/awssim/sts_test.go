package awssim

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	ststypes "github.com/aws/aws-sdk-go-v2/service/sts/types"
)

// clusters lists the ECS clusters a configuration sees.
func (f *acctFixture) clusters(cfg aws.Config) []string {
	f.t.Helper()
	out, err := ecs.NewFromConfig(cfg).ListClusters(f.ctx, &ecs.ListClustersInput{})
	if err != nil {
		f.t.Fatalf("ListClusters in %s: %v", cfg.Region, err)
	}
	return out.ClusterArns
}

func TestKeysAndRegionsPickThePartition(t *testing.T) {
	f := newAccountsFixture(t)
	prod := "arn:aws:ecs:us-east-1:123456789012:cluster/prod"
	staging := "arn:aws:ecs:eu-west-1:210987654321:cluster/staging"
	for _, c := range []struct {
		key, region string
		want        []string
	}{
		{"AKIDANYTHING", "us-east-1", []string{prod}}, // any other key: the default account
		{prodAccount, "us-east-1", []string{prod}},
		{stagingAccount, "eu-west-1", []string{staging}},
		{stagingAccount, "us-east-1", nil}, // the same account, another region: its own, empty world
		{"AKIDANYTHING", "eu-west-1", nil},
		{"2109876543210", "eu-west-1", nil}, // 13 digits: not an account
	} {
		if got := f.clusters(f.config(c.key, c.region)); strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("key %s in %s sees %v, want %v", c.key, c.region, got, c.want)
		}
	}
	// The partition's own Config acts there too.
	if got := f.clusters(f.sim.Partition(stagingAccount, "eu-west-1").Config()); len(got) != 1 || got[0] != staging {
		t.Errorf("staging partition's Config sees %v", got)
	}
}

func TestAssumeRoleActsInTheRoleAccount(t *testing.T) {
	f := newAccountsFixture(t)
	bot := f.config("AKIDBOT", "eu-west-1")
	id, err := sts.NewFromConfig(bot).GetCallerIdentity(f.ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != prodAccount || aws.ToString(id.Arn) != "arn:aws:iam::123456789012:user/switchyard" ||
		!strings.HasPrefix(aws.ToString(id.UserId), "AIDA") {
		t.Errorf("plain key identity = %s %s %s", aws.ToString(id.Account), aws.ToString(id.Arn), aws.ToString(id.UserId))
	}

	stg := f.assumed(bot, "eu-west-1", stagingRole, asUser("U0ALICE", "alice", func(o *stscreds.AssumeRoleOptions) {
		o.ExternalID = aws.String("switchyard-staging")
		o.Tags = []ststypes.Tag{{Key: aws.String("slack-user"), Value: aws.String("U0ALICE")}}
	}))
	id, err = sts.NewFromConfig(stg).GetCallerIdentity(f.ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != stagingAccount ||
		aws.ToString(id.Arn) != "arn:aws:sts::210987654321:assumed-role/switchyard-deploy/alice" ||
		!strings.HasPrefix(aws.ToString(id.UserId), "AROA") || !strings.HasSuffix(aws.ToString(id.UserId), ":alice") {
		t.Errorf("session identity = %s %s %s", aws.ToString(id.Account), aws.ToString(id.Arn), aws.ToString(id.UserId))
	}
	creds, err := stg.Credentials.Retrieve(f.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(creds.AccessKeyID, "ASIA") || creds.SessionToken == "" || creds.AccountID != stagingAccount ||
		creds.Expires.Sub(time.Now()) < 14*time.Minute || creds.Expires.Sub(time.Now()) > 16*time.Minute {
		t.Errorf("credentials = key %s, account %s, expires %v (stscreds asks for 15 minutes)", creds.AccessKeyID, creds.AccountID, creds.Expires)
	}
	if got := f.clusters(stg); len(got) != 1 || got[0] != "arn:aws:ecs:eu-west-1:210987654321:cluster/staging" {
		t.Errorf("the staging session sees %v", got)
	}
	if got := f.clusters(bot); len(got) != 0 {
		t.Errorf("the bot's own key in eu-west-1 sees %v, want the empty default account", got)
	}

	// A read session: the same role, no person.
	read := f.assumed(f.config("AKIDBOT", "us-east-1"), "us-east-1", prodDeployRole, nil)
	if got := f.clusters(read); len(got) != 1 || !strings.Contains(got[0], "123456789012:cluster/prod") {
		t.Errorf("the production read session sees %v", got)
	}
}

func TestAssumeRoleValidation(t *testing.T) {
	f := newAccountsFixture(t)
	client := sts.NewFromConfig(f.config("AKIDBOT", "us-east-1"))
	tags := func(n int) []ststypes.Tag {
		out := make([]ststypes.Tag, n)
		for i := range out {
			out[i] = ststypes.Tag{Key: aws.String("k" + strings.Repeat("x", i)), Value: aws.String("v")}
		}
		return out
	}
	for _, c := range []struct {
		name     string
		in       sts.AssumeRoleInput
		code     string
		contains string
	}{
		{"short session name", sts.AssumeRoleInput{RoleSessionName: aws.String("a")}, "ValidationError",
			"1 validation error detected: Value 'a' at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{"session name with a space", sts.AssumeRoleInput{RoleSessionName: aws.String("alice smith")}, "ValidationError",
			`Value 'alice smith' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*`},
		{"reserved source identity", sts.AssumeRoleInput{SourceIdentity: aws.String("aws:U1")}, "ValidationError", "at 'sourceIdentity'"},
		{"long source identity", sts.AssumeRoleInput{SourceIdentity: aws.String(strings.Repeat("U", 65))}, "ValidationError",
			"Member must have length less than or equal to 64"},
		{"two problems", sts.AssumeRoleInput{RoleSessionName: aws.String("a"), ExternalId: aws.String("x")}, "ValidationError",
			"2 validation errors detected: "},
		{"external ID not echoed", sts.AssumeRoleInput{ExternalId: aws.String("s3cret with spaces")}, "ValidationError",
			"Value '***' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"short duration", sts.AssumeRoleInput{DurationSeconds: aws.Int32(600)}, "ValidationError",
			"Value '600' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"long duration", sts.AssumeRoleInput{DurationSeconds: aws.Int32(43201)}, "ValidationError", "less than or equal to 43200"},
		{"beyond the role's maximum", sts.AssumeRoleInput{DurationSeconds: aws.Int32(7200)}, "ValidationError",
			"The requested DurationSeconds exceeds the MaxSessionDuration set for this role."},
		{"51 tags", sts.AssumeRoleInput{Tags: tags(51)}, "ValidationError", "at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"},
		{"long tag key", sts.AssumeRoleInput{Tags: []ststypes.Tag{{Key: aws.String(strings.Repeat("k", 129)), Value: aws.String("v")}}},
			"ValidationError", "Member must have length less than or equal to 128"},
		{"keys differing in case", sts.AssumeRoleInput{Tags: []ststypes.Tag{{Key: aws.String("Team"), Value: aws.String("a")},
			{Key: aws.String("team"), Value: aws.String("b")}}}, "InvalidParameterValue", "Tag keys are case insensitive"},
		{"policy not JSON", sts.AssumeRoleInput{Policy: aws.String("allow all")}, "MalformedPolicyDocument", "Syntax errors in policy."},
		{"packed too large", sts.AssumeRoleInput{Tags: func() []ststypes.Tag {
			out := tags(50)
			for i := range out {
				out[i].Value = aws.String(strings.Repeat("v", 256))
			}
			return out
		}()}, "PackedPolicyTooLarge", "Packed policy consumes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			in.RoleArn = aws.String(prodDeployRole)
			if in.RoleSessionName == nil {
				in.RoleSessionName = aws.String("alice")
			}
			_, err := client.AssumeRole(f.ctx, &in)
			ae := wantCode(t, err, c.code)
			if !strings.Contains(ae.ErrorMessage(), c.contains) {
				t.Errorf("message %q, want it to contain %q", ae.ErrorMessage(), c.contains)
			}
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
				t.Errorf("status: %v", err)
			}
		})
	}
	// Within the role's maximum, a long session is fine.
	out, err := client.AssumeRole(f.ctx, &sts.AssumeRoleInput{RoleArn: aws.String(stagingRole), RoleSessionName: aws.String("long"),
		ExternalId: aws.String("switchyard-staging"), DurationSeconds: aws.Int32(7200),
		Tags: []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("payments")}}})
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(aws.ToTime(out.Credentials.Expiration)); d < 119*time.Minute || d > 121*time.Minute {
		t.Errorf("a 7200-second session expires in %v", d)
	}
	if out.PackedPolicySize == nil || *out.PackedPolicySize < 1 || *out.PackedPolicySize > 100 {
		t.Errorf("PackedPolicySize = %v, want a percentage for a call with tags", out.PackedPolicySize)
	}
}

func TestTrustPolicies(t *testing.T) {
	f := newAccountsFixture(t)
	bot := sts.NewFromConfig(f.config("AKIDBOT", "us-east-1"))
	assume := func(c *sts.Client, role string, mod func(*sts.AssumeRoleInput)) (*sts.AssumeRoleOutput, error) {
		in := &sts.AssumeRoleInput{RoleArn: aws.String(role), RoleSessionName: aws.String("alice")}
		if mod != nil {
			mod(in)
		}
		return c.AssumeRole(f.ctx, in)
	}
	denied := func(t *testing.T, err error, who, action, role string) {
		t.Helper()
		ae := wantCode(t, err, "AccessDenied")
		want := "User: " + who + " is not authorized to perform: " + action + " on resource: " + role
		if ae.ErrorMessage() != want {
			t.Errorf("message %q, want %q", ae.ErrorMessage(), want)
		}
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden {
			t.Errorf("status: %v", err)
		}
	}
	const botUser = "arn:aws:iam::123456789012:user/switchyard"
	ext := func(id string) func(*sts.AssumeRoleInput) {
		return func(in *sts.AssumeRoleInput) { in.ExternalId = aws.String(id) }
	}

	_, err := assume(bot, stagingRole, nil)
	denied(t, err, botUser, "sts:AssumeRole", stagingRole)
	_, err = assume(bot, stagingRole, ext("someone-else"))
	denied(t, err, botUser, "sts:AssumeRole", stagingRole)
	if _, err := assume(bot, stagingRole, ext("switchyard-staging")); err != nil {
		t.Errorf("with the external ID: %v", err)
	}
	stranger := sts.NewFromConfig(f.config("555555555555", "us-east-1"))
	_, err = assume(stranger, prodDeployRole, nil)
	denied(t, err, "arn:aws:iam::555555555555:user/switchyard", "sts:AssumeRole", prodDeployRole)
	_, err = assume(bot, "arn:aws:iam::123456789012:role/nobody", nil)
	denied(t, err, botUser, "sts:AssumeRole", "arn:aws:iam::123456789012:role/nobody")

	// Each extra of the call needs its own action in the trust policy.
	untagged := "arn:aws:iam::123456789012:role/untagged"
	if _, err := assume(bot, untagged, nil); err != nil {
		t.Errorf("plain: %v", err)
	}
	_, err = assume(bot, untagged, func(in *sts.AssumeRoleInput) { in.SourceIdentity = aws.String("U0ALICE") })
	denied(t, err, botUser, "sts:SetSourceIdentity", untagged)
	_, err = assume(bot, untagged, func(in *sts.AssumeRoleInput) {
		in.Tags = []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("payments")}}
	})
	denied(t, err, botUser, "sts:TagSession", untagged)

	// audited trusts only sessions of switchyard-deploy with a Slack user.
	_, err = assume(bot, auditedRole, func(in *sts.AssumeRoleInput) { in.SourceIdentity = aws.String("U0ALICE") })
	denied(t, err, botUser, "sts:AssumeRole", auditedRole)
	session := func(source string) *sts.Client {
		cfg := f.assumed(f.config("AKIDBOT", "us-east-1"), "us-east-1", prodDeployRole, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "hop"
			if source != "" {
				o.SourceIdentity = aws.String(source)
			}
			o.Tags = []ststypes.Tag{{Key: aws.String("team"), Value: aws.String("payments")}, {Key: aws.String("env"), Value: aws.String("prod")}}
			o.TransitiveTagKeys = []string{"team"}
		})
		return sts.NewFromConfig(cfg)
	}
	const hop = "arn:aws:sts::123456789012:assumed-role/switchyard-deploy/hop"
	nobody, alice := session(""), session("U0ALICE")
	_, err = assume(nobody, auditedRole, nil)
	denied(t, err, hop, "sts:AssumeRole", auditedRole)
	_, err = assume(nobody, auditedRole, func(in *sts.AssumeRoleInput) { in.SourceIdentity = aws.String("X0BOT") })
	denied(t, err, hop, "sts:AssumeRole", auditedRole)
	out, err := assume(alice, auditedRole, nil) // the source identity carries over
	if err != nil {
		t.Fatalf("chained with an inherited source identity: %v", err)
	}
	if aws.ToString(out.SourceIdentity) != "U0ALICE" || aws.ToString(out.AssumedRoleUser.Arn) != "arn:aws:sts::123456789012:assumed-role/audited/alice" {
		t.Errorf("chained session: source %q, arn %q", aws.ToString(out.SourceIdentity), aws.ToString(out.AssumedRoleUser.Arn))
	}
	_, err = assume(alice, auditedRole, func(in *sts.AssumeRoleInput) { in.SourceIdentity = aws.String("U0BOB") })
	denied(t, err, hop, "sts:SetSourceIdentity", auditedRole)
	_, err = assume(alice, auditedRole, func(in *sts.AssumeRoleInput) {
		in.Tags = []ststypes.Tag{{Key: aws.String("Team"), Value: aws.String("other")}}
	})
	wantCode(t, err, "InvalidParameterValue") // a transitive tag cannot be overridden
	_, err = assume(alice, stagingRole, func(in *sts.AssumeRoleInput) {
		in.ExternalId, in.DurationSeconds = aws.String("switchyard-staging"), aws.Int32(7200)
	})
	ae := wantCode(t, err, "ValidationError")
	if ae.ErrorMessage() != "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining." {
		t.Errorf("chained duration: %q", ae.ErrorMessage())
	}
}

func TestSessionCredentialsAreChecked(t *testing.T) {
	f := newAccountsFixture(t)
	out, err := sts.NewFromConfig(f.config("AKIDBOT", "us-east-1")).AssumeRole(f.ctx, &sts.AssumeRoleInput{
		RoleArn: aws.String(prodDeployRole), RoleSessionName: aws.String("alice"), DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	c := out.Credentials
	with := func(key, token string) aws.Config {
		cfg := f.config("", "us-east-1")
		cfg.Credentials = credentials.NewStaticCredentialsProvider(key, aws.ToString(c.SecretAccessKey), token)
		return cfg
	}
	check := func(cfg aws.Config, ecsCode, stsCode, msg string) {
		t.Helper()
		_, err := ecs.NewFromConfig(cfg).ListClusters(f.ctx, &ecs.ListClustersInput{})
		if ae := wantCode(t, err, ecsCode); ae.ErrorMessage() != msg {
			t.Errorf("ECS message %q", ae.ErrorMessage())
		}
		_, err = sts.NewFromConfig(cfg).GetCallerIdentity(f.ctx, &sts.GetCallerIdentityInput{})
		wantCode(t, err, stsCode)
		var re *awshttp.ResponseError
		if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusForbidden {
			t.Errorf("STS status: %v", err)
		}
	}
	check(with(aws.ToString(c.AccessKeyId), ""), "UnrecognizedClientException", "InvalidClientTokenId", msgInvalidToken)
	check(with(aws.ToString(c.AccessKeyId), "forged"), "UnrecognizedClientException", "InvalidClientTokenId", msgInvalidToken)
	check(with("ASIAUNKNOWNKEY12345", aws.ToString(c.SessionToken)), "UnrecognizedClientException", "InvalidClientTokenId", msgInvalidToken)
	good := with(aws.ToString(c.AccessKeyId), aws.ToString(c.SessionToken))
	if got := f.clusters(good); len(got) != 1 {
		t.Fatalf("the session sees %v", got)
	}
	f.setWallNow(func() time.Time { return time.Now().Add(15 * time.Minute) })
	check(good, "ExpiredTokenException", "ExpiredToken", msgExpiredToken)
	// The simulated clock does not expire sessions: only real time does.
	f.setWallNow(time.Now)
	f.sim.Advance(24 * time.Hour)
	if got := f.clusters(good); len(got) != 1 {
		t.Errorf("after a simulated day the session sees %v", got)
	}
}

// TestSTSWire checks the XML itself: the result directly under the root,
// the request ID in the body and the header, and ErrorResponse.
func TestSTSWire(t *testing.T) {
	f := newAccountsFixture(t)
	post := func(form url.Values) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, f.sim.URL(), strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+stagingAccount+"/20260504/eu-west-1/sts/aws4_request, SignedHeaders=host, Signature=0")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp, body
	}
	resp, body := post(url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}})
	var ok struct {
		XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
		Result  struct {
			Arn, UserId, Account string
		} `xml:"GetCallerIdentityResult"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	if err := xml.Unmarshal(body, &ok); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GetCallerIdentity: %d %v\n%s", resp.StatusCode, err, body)
	}
	if ok.Result.Account != stagingAccount || ok.Result.Arn != "arn:aws:iam::210987654321:user/switchyard" ||
		ok.RequestID == "" || ok.RequestID != resp.Header.Get("X-Amzn-Requestid") {
		t.Errorf("GetCallerIdentity = %+v, header request ID %q", ok, resp.Header.Get("X-Amzn-Requestid"))
	}
	resp, body = post(url.Values{"Action": {"AssumeRole"}, "Version": {"2011-06-15"}, "RoleArn": {prodDeployRole},
		"RoleSessionName": {"alice"}, "Tags.member.1.Key": {"team"}, "Tags.member.1.Value": {"payments"}, "TransitiveTagKeys": {""}})
	var fail struct {
		XMLName   xml.Name `xml:"ErrorResponse"`
		Error     struct{ Type, Code, Message string }
		RequestID string `xml:"RequestId"`
	}
	if err := xml.Unmarshal(body, &fail); err != nil {
		t.Fatalf("%v\n%s", err, body)
	}
	if resp.StatusCode != http.StatusForbidden || resp.Header.Get("Content-Type") != "text/xml" || fail.Error.Type != "Sender" ||
		fail.Error.Code != "AccessDenied" || fail.RequestID != resp.Header.Get("X-Amzn-Requestid") ||
		!strings.HasPrefix(fail.Error.Message, "User: arn:aws:iam::210987654321:user/switchyard is not authorized") {
		t.Errorf("AssumeRole across accounts without trust: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	resp, body = post(url.Values{"Action": {"GetSessionToken"}, "Version": {"2011-06-15"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), "<Code>InvalidAction</Code>") {
		t.Errorf("an action not simulated: %d\n%s", resp.StatusCode, body)
	}
}

// FuzzAssumeRoleRequest: any form body and Authorization header is parsed
// and judged without panicking, and what parses passes its own limits.
func FuzzAssumeRoleRequest(f *testing.F) {
	f.Add("Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fdeploy&RoleSessionName=alice"+
		"&SourceIdentity=U0ALICE&Tags.member.1.Key=team&Tags.member.1.Value=payments&TransitiveTagKeys.member.1=team&DurationSeconds=900",
		"AWS4-HMAC-SHA256 Credential=ASIAEXAMPLE/20260504/eu-west-1/sts/aws4_request, SignedHeaders=host, Signature=0")
	f.Add("Tags.member.x.Key=&Tags.member.-1.Value=%ff&DurationSeconds=9e99&Policy=%7B", "Credential=/////")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, body, auth string) {
		cred := parseCredential(auth)
		if cred.service != "" && strings.Contains(cred.service, "/") {
			t.Fatalf("service %q from %q", cred.service, auth)
		}
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		in, aerr := parseAssumeRole(form)
		if aerr != nil {
			return
		}
		if len(in.tags) > 50 || len(in.sessionName) > 64*4 || (in.duration != 0 && (in.duration < 900 || in.duration > 43200)) {
			t.Fatalf("accepted %+v", in)
		}
		caller := userPrincipal("123456789012", cred.accessKey)
		trustRequest(caller, in, in.sourceIdentity, in.tags)
		packedSize(in)
	})
}
