package server_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/rolecall/rolecall/internal/server/servertest"
)

// TestAccessKeyInfoOfUserKeys: GetAccessKeyInfo answers the account of
// every access key IAM makes for a user (STS API Reference,
// GetAccessKeyInfo), as it does for the root key and for temporary keys.
func TestAccessKeyInfoOfUserKeys(t *testing.T) {
	srv := servertest.Start(t)
	ctx := context.Background()
	admin := iam.NewFromConfig(srv.RootConfig())
	client := sts.NewFromConfig(srv.RootConfig())
	// Each key's ID is random beyond the account it encodes: enough keys
	// that one ID of each kind of random bits is all but certain.
	for u := range 12 {
		name := aws.String("keyholder" + string(rune('a'+u)))
		if _, err := admin.CreateUser(ctx, &iam.CreateUserInput{UserName: name}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			key, err := admin.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: name})
			if err != nil {
				t.Fatal(err)
			}
			id := aws.ToString(key.AccessKey.AccessKeyId)
			info, err := client.GetAccessKeyInfo(ctx, &sts.GetAccessKeyInfoInput{AccessKeyId: aws.String(id)})
			if err != nil {
				t.Errorf("GetAccessKeyInfo %s: %v", id, err)
				continue
			}
			if got := aws.ToString(info.Account); got != "123456789012" {
				t.Errorf("GetAccessKeyInfo %s: account %s", id, got)
			}
		}
	}
}
