package server_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// TestLambdaFunctionFields is the audit of every member of CreateFunction,
// UpdateFunctionConfiguration, UpdateFunctionCode and PublishVersion in
// Lambda's model: each is honoured (stored, answered in the function's
// configuration as Lambda shapes it, and in effect) or refused with
// InvalidParameterValueException; none is accepted and dropped.
//
//	Member                              Fate
//	FunctionName, Role, Handler,
//	Runtime, Code.ZipFile, Description,
//	Timeout, MemorySize, Environment,
//	Tags, Publish, RevisionId, DryRun   honoured (other tests)
//	VpcConfig                           honoured: the subnets' VPC (TestLambdaVpcConfig), Ipv6AllowedForDualStack
//	TracingConfig                       honoured: TestLambdaActiveTracing
//	LoggingConfig                       honoured: TestLambdaLoggingConfig
//	KMSKeyArn                           honoured: TestLambdaKMSEnvironment
//	Architectures                       honoured: answered (x86_64 default, arm64)
//	EphemeralStorage                    honoured: answered, given to the runtime's configuration
//	SnapStart ApplyOn None              honoured: answered
//	SnapStart ApplyOn PublishedVersions refused
//	PackageType Image, ImageConfig,
//	Code.ImageUri                       refused: .zip file archives only
//	Code.S3Bucket/S3Key/S3ObjectVersion refused: Code.ZipFile only
//	Layers, FileSystemConfigs,
//	CodeSigningConfigArn,
//	Code.SourceKMSKeyArn,
//	DeadLetterConfig, PublishTo,
//	TenancyConfig, CapacityProviderConfig,
//	DurableConfig                       refused
//	UpdateFunctionCode S3*, ImageUri,
//	SourceKMSKeyArn, PublishTo          refused
func TestLambdaFunctionFields(t *testing.T) {
	s := newLambdaSuite(t)
	ctx := context.Background()
	role := s.role(t, "fields-role", lambdaTrust, basicExecRole, vpcAccessRole)
	vpc := newNetwork(t, ec2.NewFromConfig(s.srv.RootConfig()), "10.0.0.0/16", "10.0.0.0/24")
	code := sourceZip(t, map[string]string{"handler.py": envFunction})
	base := func(name string) *lambda.CreateFunctionInput {
		return &lambda.CreateFunctionInput{FunctionName: aws.String(name), Role: aws.String(role), Runtime: lambdatypes.RuntimePython312,
			Handler: aws.String("handler.handler"), Code: &lambdatypes.FunctionCode{ZipFile: code}}
	}

	refusedCreate := []struct {
		member string
		set    func(*lambda.CreateFunctionInput)
		msg    string
	}{
		{"Layers", func(in *lambda.CreateFunctionInput) {
			in.Layers = []string{"arn:aws:lambda:us-east-1:123456789012:layer:l:1"}
		}, "Layers are not supported by this endpoint."},
		{"FileSystemConfigs", func(in *lambda.CreateFunctionInput) {
			in.FileSystemConfigs = []lambdatypes.FileSystemConfig{{Arn: aws.String("arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-1234567890abcdef0"), LocalMountPath: aws.String("/mnt/efs")}}
		}, "FileSystemConfigs are not supported by this endpoint: it has no Amazon EFS."},
		{"ImageConfig", func(in *lambda.CreateFunctionInput) {
			in.ImageConfig = &lambdatypes.ImageConfig{Command: []string{"app.handler"}}
		}, "ImageConfig is not supported by this endpoint: it runs .zip file archives only."},
		{"PackageType Image", func(in *lambda.CreateFunctionInput) {
			in.PackageType = lambdatypes.PackageTypeImage
		}, "PackageType Image is not supported by this endpoint; use Zip."},
		{"CodeSigningConfigArn", func(in *lambda.CreateFunctionInput) {
			in.CodeSigningConfigArn = aws.String("arn:aws:lambda:us-east-1:123456789012:code-signing-config:csc-0123456789abcdef0")
		}, "CodeSigningConfigArn is not supported by this endpoint: it has no code signing configurations."},
		{"DeadLetterConfig", func(in *lambda.CreateFunctionInput) {
			in.DeadLetterConfig = &lambdatypes.DeadLetterConfig{TargetArn: aws.String("arn:aws:sqs:us-east-1:123456789012:dlq")}
		}, "DeadLetterConfig is not supported by this endpoint: it has no Amazon SQS queue or Amazon SNS topic to deliver to."},
		{"PublishTo", func(in *lambda.CreateFunctionInput) {
			in.PublishTo = lambdatypes.FunctionVersionLatestPublishedLatestPublished
		}, "PublishTo is not supported by this endpoint."},
		{"TenancyConfig", func(in *lambda.CreateFunctionInput) {
			in.TenancyConfig = &lambdatypes.TenancyConfig{TenantIsolationMode: lambdatypes.TenantIsolationModePerTenant}
		}, "TenancyConfig is not supported by this endpoint."},
		{"CapacityProviderConfig", func(in *lambda.CreateFunctionInput) {
			in.CapacityProviderConfig = &lambdatypes.CapacityProviderConfig{LambdaManagedInstancesCapacityProviderConfig: &lambdatypes.LambdaManagedInstancesCapacityProviderConfig{
				CapacityProviderArn: aws.String("arn:aws:lambda:us-east-1:123456789012:capacity-provider:cp")}}
		}, "CapacityProviderConfig is not supported by this endpoint."},
		{"DurableConfig", func(in *lambda.CreateFunctionInput) {
			in.DurableConfig = &lambdatypes.DurableConfig{ExecutionTimeout: aws.Int32(60)}
		}, "DurableConfig is not supported by this endpoint."},
		{"Code.S3Bucket", func(in *lambda.CreateFunctionInput) {
			in.Code = &lambdatypes.FunctionCode{S3Bucket: aws.String("bucket"), S3Key: aws.String("code.zip")}
		}, "Only Code.ZipFile is supported by this endpoint."},
		{"Code.ImageUri", func(in *lambda.CreateFunctionInput) {
			in.Code = &lambdatypes.FunctionCode{ImageUri: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest")}
		}, "Only Code.ZipFile is supported by this endpoint."},
		{"Code.SourceKMSKeyArn", func(in *lambda.CreateFunctionInput) {
			in.Code.SourceKMSKeyArn = aws.String("arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab")
		}, "Code.SourceKMSKeyArn is not supported by this endpoint: it has no AWS KMS keys."},
		{"SnapStart PublishedVersions", func(in *lambda.CreateFunctionInput) {
			in.SnapStart = &lambdatypes.SnapStart{ApplyOn: lambdatypes.SnapStartApplyOnPublishedVersions}
		}, "SnapStart is not supported by this endpoint: every execution environment runs its function's init phase."},
	}
	for _, tc := range refusedCreate {
		in := base("refused")
		tc.set(in)
		_, err := s.lambda.CreateFunction(ctx, in)
		wantStatus(t, "CreateFunction "+tc.member, err, "InvalidParameterValueException", http.StatusBadRequest, tc.msg)
	}
	if _, err := s.lambda.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("refused")}); err == nil {
		t.Error("a refused function exists")
	}

	// Honoured members, answered back as Lambda shapes them.
	in := base("fields")
	in.Architectures = []lambdatypes.Architecture{lambdatypes.ArchitectureArm64}
	in.EphemeralStorage = &lambdatypes.EphemeralStorage{Size: aws.Int32(2048)}
	in.SnapStart = &lambdatypes.SnapStart{ApplyOn: lambdatypes.SnapStartApplyOnNone}
	in.VpcConfig = vpc.config()
	in.VpcConfig.Ipv6AllowedForDualStack = aws.Bool(true)
	in.Description = aws.String("all fields")
	// Empty members leave the setting as it is, as in Lambda.
	in.Layers = []string{}
	in.KMSKeyArn = aws.String("")
	in.DeadLetterConfig = &lambdatypes.DeadLetterConfig{}
	s.create(t, in)
	cfg, err := s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fields")})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Architectures) != 1 || cfg.Architectures[0] != lambdatypes.ArchitectureArm64 {
		t.Errorf("Architectures = %v", cfg.Architectures)
	}
	if aws.ToInt32(cfg.EphemeralStorage.Size) != 2048 {
		t.Errorf("EphemeralStorage = %v", aws.ToInt32(cfg.EphemeralStorage.Size))
	}
	if cfg.SnapStart == nil || cfg.SnapStart.ApplyOn != lambdatypes.SnapStartApplyOnNone || cfg.SnapStart.OptimizationStatus != lambdatypes.SnapStartOptimizationStatusOff {
		t.Errorf("SnapStart = %+v", cfg.SnapStart)
	}
	if v := cfg.VpcConfig; v == nil || !aws.ToBool(v.Ipv6AllowedForDualStack) || len(v.SubnetIds) != 1 || aws.ToString(v.VpcId) != vpc.vpc {
		t.Errorf("VpcConfig = %+v", cfg.VpcConfig)
	}
	if cfg.PackageType != lambdatypes.PackageTypeZip || aws.ToString(cfg.Description) != "all fields" || len(cfg.Layers) != 0 ||
		cfg.KMSKeyArn != nil || cfg.DeadLetterConfig != nil {
		t.Errorf("configuration = %+v", cfg)
	}

	// UpdateFunctionConfiguration: the same members, the same fates.
	refusedUpdate := []struct {
		member string
		set    func(*lambda.UpdateFunctionConfigurationInput)
		msg    string
	}{
		{"Layers", func(in *lambda.UpdateFunctionConfigurationInput) {
			in.Layers = []string{"arn:aws:lambda:us-east-1:123456789012:layer:l:1"}
		}, "Layers are not supported by this endpoint."},
		{"DeadLetterConfig", func(in *lambda.UpdateFunctionConfigurationInput) {
			in.DeadLetterConfig = &lambdatypes.DeadLetterConfig{TargetArn: aws.String("arn:aws:sns:us-east-1:123456789012:dlq")}
		}, "DeadLetterConfig is not supported by this endpoint: it has no Amazon SQS queue or Amazon SNS topic to deliver to."},
		{"ImageConfig", func(in *lambda.UpdateFunctionConfigurationInput) {
			in.ImageConfig = &lambdatypes.ImageConfig{Command: []string{"x"}}
		}, "ImageConfig is not supported by this endpoint: it runs .zip file archives only."},
		{"FileSystemConfigs", func(in *lambda.UpdateFunctionConfigurationInput) {
			in.FileSystemConfigs = []lambdatypes.FileSystemConfig{{Arn: aws.String("arn:aws:elasticfilesystem:us-east-1:123456789012:access-point/fsap-1234567890abcdef0"), LocalMountPath: aws.String("/mnt/efs")}}
		}, "FileSystemConfigs are not supported by this endpoint: it has no Amazon EFS."},
		{"SnapStart PublishedVersions", func(in *lambda.UpdateFunctionConfigurationInput) {
			in.SnapStart = &lambdatypes.SnapStart{ApplyOn: lambdatypes.SnapStartApplyOnPublishedVersions}
		}, "SnapStart is not supported by this endpoint: every execution environment runs its function's init phase."},
		{"DurableConfig", func(in *lambda.UpdateFunctionConfigurationInput) {
			in.DurableConfig = &lambdatypes.DurableConfig{ExecutionTimeout: aws.Int32(60)}
		}, "DurableConfig is not supported by this endpoint."},
	}
	for _, tc := range refusedUpdate {
		in := &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fields")}
		tc.set(in)
		_, err := s.lambda.UpdateFunctionConfiguration(ctx, in)
		wantStatus(t, "UpdateFunctionConfiguration "+tc.member, err, "InvalidParameterValueException", http.StatusBadRequest, tc.msg)
	}
	s.updateConfig(t, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String("fields"),
		EphemeralStorage: &lambdatypes.EphemeralStorage{Size: aws.Int32(512)}})
	cfg, _ = s.lambda.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("fields")})
	if aws.ToInt32(cfg.EphemeralStorage.Size) != 512 || cfg.Architectures[0] != lambdatypes.ArchitectureArm64 {
		t.Errorf("after update: EphemeralStorage %d, Architectures %v", aws.ToInt32(cfg.EphemeralStorage.Size), cfg.Architectures)
	}

	// UpdateFunctionCode: Architectures honoured, the rest refused.
	for _, tc := range []struct {
		member string
		in     *lambda.UpdateFunctionCodeInput
		msg    string
	}{
		{"S3Bucket", &lambda.UpdateFunctionCodeInput{S3Bucket: aws.String("bucket"), S3Key: aws.String("code.zip")}, "Only ZipFile is supported by this endpoint."},
		{"ImageUri", &lambda.UpdateFunctionCodeInput{ImageUri: aws.String("123456789012.dkr.ecr.us-east-1.amazonaws.com/app:latest")}, "Only ZipFile is supported by this endpoint."},
		{"SourceKMSKeyArn", &lambda.UpdateFunctionCodeInput{ZipFile: code, SourceKMSKeyArn: aws.String("arn:aws:kms:us-east-1:123456789012:key/k")}, "SourceKMSKeyArn is not supported by this endpoint: it has no AWS KMS keys."},
		{"PublishTo", &lambda.UpdateFunctionCodeInput{ZipFile: code, PublishTo: lambdatypes.FunctionVersionLatestPublishedLatestPublished}, "PublishTo is not supported by this endpoint."},
	} {
		tc.in.FunctionName = aws.String("fields")
		_, err := s.lambda.UpdateFunctionCode(ctx, tc.in)
		wantStatus(t, "UpdateFunctionCode "+tc.member, err, "InvalidParameterValueException", http.StatusBadRequest, tc.msg)
	}
	out, err := s.lambda.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("fields"), ZipFile: code,
		Architectures: []lambdatypes.Architecture{lambdatypes.ArchitectureX8664}})
	if err != nil || len(out.Architectures) != 1 || out.Architectures[0] != lambdatypes.ArchitectureX8664 {
		t.Fatalf("UpdateFunctionCode Architectures: %v %v", out, err)
	}
	s.waitUpdated(t, "fields")
	_, err = s.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fields"), PublishTo: lambdatypes.FunctionVersionLatestPublishedLatestPublished})
	wantStatus(t, "PublishVersion PublishTo", err, "InvalidParameterValueException", http.StatusBadRequest, "PublishTo is not supported by this endpoint.")
	v, err := s.lambda.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("fields")})
	if err != nil || aws.ToInt32(v.EphemeralStorage.Size) != 512 || v.Architectures[0] != lambdatypes.ArchitectureX8664 ||
		!aws.ToBool(v.VpcConfig.Ipv6AllowedForDualStack) {
		t.Errorf("PublishVersion: %+v %v", v, err)
	}
}
